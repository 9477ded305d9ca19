// Package restore gives hotspot users back the time a router lost when its power was cut.
//
// RouterOS adds a session's uptime to the user's stored uptime only at logout, so an abrupt
// power loss forgets every session in progress and those users get that time again for
// free. The Prometheus history knows, to within one scrape interval, how long each session
// had run: the last scrape before the reboot is the restore point. Restoring lowers each
// affected user's limit-uptime by the lost time; it never writes uptime, counters or
// comments.
//
// The CLI (cmd/ronda-restore) and the web page (restore/web) both drive a Service.
package restore

import (
	"context"
	"time"
)

// Point is a moment a router's users can be restored to: the last successful scrape
// before an abrupt reboot, or any time the operator picks.
type Point struct {
	Router string    `json:"router"`
	At     time.Time `json:"at"` // timestamp of the scrape the plan reads
	// BootTime is when the router booted after the reboot; zero for a chosen time (--at).
	BootTime time.Time `json:"boot_time,omitzero"`
	// Online is how many users had an active session at At.
	Online int `json:"online"`
	// Gap is the time from At to the next sample of the router (the first failed scrape
	// when the power went): the uncertainty of the lost time.
	Gap time.Duration `json:"gap"`
	// After is the first scrape after the boot (zero for a chosen time): the stored
	// uptimes it saw tell whether the router saved the sessions (a clean reboot).
	After time.Time `json:"after,omitzero"`
	// Interval is the scrape interval seen in the router's samples around the point.
	Interval time.Duration `json:"interval,omitempty"`
	// PrevBootTime is when the router had booted before the reboot (zero for a chosen
	// time): no session at At can have begun earlier, which bounds what a user can have lost.
	PrevBootTime time.Time `json:"prev_boot_time,omitzero"`
}

// Bridged reports whether Prometheus saw the router fail between At and the boot, so the
// power cut is known to lie within Gap. An unbridged point (Prometheus or the exporter was
// down too) is planned only when Gap is small enough.
func (p Point) Bridged() bool {
	return p.BootTime.IsZero() || !p.At.Add(p.Gap).After(p.BootTime)
}

// GapAccepted reports whether a plan with PlanOptions.MaxGap maxGap accepts p: it is
// bridged, or its gap is within maxGap (twice the scrape interval when zero).
func (p Point) GapAccepted(maxGap time.Duration) bool {
	return p.Bridged() || p.Gap <= p.maxGap(maxGap)
}

// maxGap is the longest unbridged gap PlanOptions.MaxGap maxGap allows at p.
func (p Point) maxGap(maxGap time.Duration) time.Duration {
	if maxGap <= 0 {
		return 2 * p.Interval
	}
	return maxGap
}

// Skip says why a user online at the restore point gets nothing back. The empty Skip
// means the user is restored.
type Skip string

// Reasons a user is skipped.
const (
	SkipUnlimited       Skip = "unlimited"        // limit-uptime 0: nothing to give back
	SkipExpired         Skip = "expired-voucher"  // limit-uptime 1s: Mikhmon's expiry mark
	SkipUptimeGrew      Skip = "uptime-grew"      // stored uptime grew across the reboot: the session was saved
	SkipDeleted         Skip = "deleted"          // the user no longer exists on the router
	SkipLimitChanged    Skip = "limit-changed"    // limit-uptime changed since the reboot (unless forced)
	SkipAlreadyRestored Skip = "already-restored" // the ledger has this (router, user, reboot), or the limit is what restoring it writes
	SkipAmbiguous       Skip = "ambiguous-name"   // several router users share the name
	SkipNothingLost     Skip = "nothing-lost"     // the session had not used any time yet
	SkipStillOnline     Skip = "still-online"     // a chosen time's session is still running: RouterOS will store all of it
)

// Entry is one user online at the restore point.
type Entry struct {
	User string `json:"user"`
	// ID is the user's RouterOS .id now (empty when deleted).
	ID string `json:"id,omitempty"`

	UptimeThen  time.Duration `json:"uptime_then"`  // stored uptime at the restore point
	SessionThen time.Duration `json:"session_then"` // session uptime at the restore point
	Used        time.Duration `json:"used"`         // UptimeThen + SessionThen
	UptimeNow   time.Duration `json:"uptime_now"`   // stored uptime on the router now
	Lost        time.Duration `json:"lost"`         // time used but never stored
	LimitThen   time.Duration `json:"limit_then"`   // limit-uptime at the restore point
	LimitNow    time.Duration `json:"limit_now"`    // limit-uptime on the router now
	NewLimit    time.Duration `json:"new_limit"`    // LimitNow - Lost (at least 1s; 0 would mean unlimited)

	Skip       Skip   `json:"skip,omitempty"`
	SkipDetail string `json:"skip_detail,omitempty"`
}

// Restored reports whether the entry is to be written.
func (e Entry) Restored() bool { return e.Skip == "" }

// Plan is what a restore would write for one router and one point.
type Plan struct {
	Router    string    `json:"router"`
	Point     Point     `json:"point"`
	PlannedAt time.Time `json:"planned_at"`
	Entries   []Entry   `json:"entries"` // sorted by user name
}

// Outcome is what happened to one entry when a plan was applied.
type Outcome struct {
	Entry
	Applied bool   `json:"applied"`
	Error   string `json:"error,omitempty"`
	// Unconfirmed: the write failed after it was sent (its reply never came) and reading
	// the users back did not tell whether the router took it. The ledger holds it as
	// unconfirmed: a later run restores the user only while the limit is still LimitNow.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

// Result is the outcome of applying a plan.
type Result struct {
	Plan      *Plan         `json:"plan"`
	Outcomes  []Outcome     `json:"outcomes"`
	Applied   int           `json:"applied"`
	Skipped   int           `json:"skipped"`
	Failed    int           `json:"failed"`
	GivenBack time.Duration `json:"given_back"` // total time given back by the applied entries
}

// PlanOptions change how a plan is made.
type PlanOptions struct {
	// Force plans users whose limit changed since the reboot.
	Force bool
	// MaxGap is the longest unbridged gap planned anyway (see Point.Bridged); zero means
	// twice the scrape interval.
	MaxGap time.Duration
}

// Service is what the CLI and the web page drive.
type Service interface {
	// Routers names the MikroTik targets of the exporter's config, sorted.
	Routers() []string
	// Points lists the abrupt reboots of router between from and to, newest first.
	Points(ctx context.Context, router string, from, to time.Time) ([]Point, error)
	// PointAt makes a restore point of any time: the router's last scrape at or before at.
	PointAt(ctx context.Context, router string, at time.Time) (Point, error)
	// Plan reads the history at p and the router's users now.
	Plan(ctx context.Context, p Point, opts PlanOptions) (*Plan, error)
	// Apply writes the plan's limits to the router, recording each in the ledger; entries
	// the ledger already holds are skipped. progress, when not nil, is called after each entry.
	// Writes the router refused come back as a Refused error along with the Result.
	Apply(ctx context.Context, plan *Plan, progress func(done, total int)) (*Result, error)
}
