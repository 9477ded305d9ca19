package restore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rondanet/ronda/internal/routeros"
)

// BootMatchTolerance is how far a boot time given by an alert (the MikrotikRebooted rule's
// boot_time label, read at the rule's evaluation) may lie from the reboot as the history
// shows it (the first scrape after the boot). The exporter holds a boot time within ±2 s,
// and a restarted exporter may estimate it a second off; two reboots are always more than
// RebootThreshold apart, so the nearest reboot within this tolerance is the one meant.
const BootMatchTolerance = 15 * time.Second

// MatchReboot picks the reboot booted at boot: the point whose boot time is nearest to it,
// within BootMatchTolerance. Not merely the newest: a router that rebooted again since the
// alert still gets the restore the alert was about.
func MatchReboot(points []Point, boot time.Time) (Point, bool) {
	var best Point
	bestOff := BootMatchTolerance + 1
	for _, p := range points {
		if p.BootTime.IsZero() {
			continue
		}
		off := p.BootTime.Sub(boot).Abs()
		if off <= BootMatchTolerance && off < bestOff {
			best, bestOff = p, off
		}
	}
	return best, bestOff <= BootMatchTolerance
}

// Limits are the operator's bounds on a restore made without anyone watching: beyond
// either, nothing is written and a person decides.
type Limits struct {
	// PerUser is the most time given back to one user; zero leaves only the window bound.
	PerUser time.Duration `json:"per_user,omitempty"`
	// Total is the most given back to all users together; zero means no bound.
	Total time.Duration `json:"total,omitempty"`
}

// windowSlack absorbs the exporter's ±2 s on boot times and RouterOS's whole seconds.
const windowSlack = 3 * time.Second

// Check lists why plan may not be applied unattended: a user would get back more than
// PerUser, all users together more than Total, or a user more than the window allows.
//
// The window bound holds whatever the operator sets: what a user lost is the uptime of the
// session at the restore point, and that session began after the router's previous boot,
// so it cannot exceed the router's uptime at the point (At − PrevBootTime). A plan beyond
// it reads a history that cannot be right (a counter from another router, a wrong clock),
// and giving that back would hand out free time. The outage itself bounds nothing: the
// time lost is time used before the cut, not the time the router was dark.
func (l Limits) Check(plan *Plan) []string {
	var out []string
	var total time.Duration
	window := time.Duration(0)
	if p := plan.Point; !p.PrevBootTime.IsZero() && p.At.After(p.PrevBootTime) {
		window = p.At.Sub(p.PrevBootTime)
	}
	for _, e := range plan.Entries {
		if !e.Restored() {
			continue
		}
		total += e.Lost
		switch {
		case window > 0 && e.Lost > window+windowSlack:
			out = append(out, fmt.Sprintf("%s: %s to give back, more than the %s the router had been up at the restore point",
				e.User, fmtDur(e.Lost), fmtDur(window)))
		case l.PerUser > 0 && e.Lost > l.PerUser:
			out = append(out, fmt.Sprintf("%s: %s to give back, above the limit of %s per user", e.User, fmtDur(e.Lost), fmtDur(l.PerUser)))
		}
	}
	if l.Total > 0 && total > l.Total {
		out = append(out, fmt.Sprintf("%s to give back in all, above the limit of %s", fmtDur(total), fmtDur(l.Total)))
	}
	return out
}

func fmtDur(d time.Duration) string { return routeros.FormatDuration(d.Round(time.Second)) }

// AutoStatus is how an unattended restore ended.
type AutoStatus string

// Outcomes of Auto; the CLI maps each to an exit code.
const (
	// AutoDone: the limits were written, or nobody had anything to get back.
	AutoDone AutoStatus = "done"
	// AutoRefused: the history cannot be trusted, or the input is wrong: a person must look.
	AutoRefused AutoStatus = "refused"
	// AutoOverLimits: the plan is beyond the operator's Limits; nothing was written.
	AutoOverLimits AutoStatus = "over-limits"
	// AutoRetry: the router or Prometheus was not ready within the wait, another restore
	// held the lock, or some writes failed: run again later (the ledger skips what was done).
	AutoRetry AutoStatus = "retry"
)

// AutoOptions configure Auto.
type AutoOptions struct {
	Router   string
	BootTime time.Time
	// Wait bounds the time spent waiting for the router and Prometheus to be ready.
	Wait time.Duration
	// Poll is the first pause between tries; it doubles up to MaxPoll.
	Poll, MaxPoll time.Duration
	Limits        Limits
	// MaxGap is PlanOptions.MaxGap. (Force is never used unattended: a limit topped up
	// after the cut needs a person.)
	MaxGap time.Duration
	// Now and Sleep are the clock, replaced in tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// AutoReport is what Auto did, for the summary.
type AutoReport struct {
	Router   string     `json:"router"`
	BootTime time.Time  `json:"boot_time"`
	Status   AutoStatus `json:"status"`
	Plan     *Plan      `json:"plan,omitempty"`
	// Result is what the last try that applied did, with the users earlier tries wrote; it
	// is there whatever the status when anything was written.
	Result     *Result  `json:"result,omitempty"`
	Limits     Limits   `json:"limits"`
	Violations []string `json:"violations,omitempty"`
	Error      string   `json:"error,omitempty"`
	Tries      int      `json:"tries"`
}

// SeenWithin is how long after the boot Prometheus may still lack the reboot. The alert
// that runs Auto is itself computed from a scrape after the boot, so only a lagging
// replica or remote-write backend can miss it, and not for long: a reboot still missing an
// hour after the boot is not one the history has (a wrong boot time, or a router that was
// up for less than RebootThreshold), and waiting longer will not find it.
const SeenWithin = time.Hour

// Auto restores the reboot booted at opts.BootTime, unattended: it finds that reboot in the
// history (waiting while Prometheus has not scraped the router after the boot), plans it
// (waiting while the router does not answer), refuses a plan beyond opts.Limits, and
// applies the rest. It tries again, with a growing pause, while the failure is one that
// time can cure, until opts.Wait has passed.
func Auto(ctx context.Context, svc Service, opts AutoOptions) *AutoReport {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.MaxPoll < opts.Poll {
		opts.MaxPoll = max(opts.Poll, 30*time.Second)
	}
	rep := &AutoReport{Router: opts.Router, BootTime: opts.BootTime, Limits: opts.Limits}
	if opts.Router == "" || opts.BootTime.IsZero() {
		rep.Status, rep.Error = AutoRefused, "the router and the boot time are required"
		return rep
	}
	deadline := opts.Now().Add(opts.Wait)
	pause := opts.Poll
	// Users written by an earlier try of this run: a later try's plan finds them in the
	// ledger (already-restored), but the summary must count them as restored now.
	earlier := map[string]Outcome{}
	for {
		rep.Tries++
		last := rep.Result
		err := autoOnce(ctx, svc, opts, rep)
		if rep.Result != nil {
			mergeEarlier(rep.Result, earlier)
		} else {
			// This try stopped before writing: the users earlier tries wrote stay in the
			// report, so that the summary of a run refused or left to retry names them.
			rep.Result = last
		}
		if err == nil {
			return rep
		}
		rep.Error = err.Error()
		if !retryable(err) {
			rep.Status = AutoRefused
			return rep
		}
		rep.Status = AutoRetry
		left := deadline.Sub(opts.Now())
		if left <= 0 || ctx.Err() != nil {
			if errors.Is(err, errNotSeen) && opts.Now().Sub(opts.BootTime) > SeenWithin {
				rep.Status = AutoRefused
			}
			return rep
		}
		if opts.Sleep(ctx, min(pause, left)) != nil {
			return rep
		}
		pause = min(2*pause, opts.MaxPoll)
	}
}

// mergeEarlier records the users res applied (or may have: a write whose reply was lost)
// and puts those written by earlier tries back in place of their already-restored skips,
// so res reads as the whole run's result. An unconfirmed write is already-restored later
// only when the ledger finds it taken.
func mergeEarlier(res *Result, earlier map[string]Outcome) {
	for i, o := range res.Outcomes {
		if o.Applied || o.Unconfirmed {
			earlier[o.User] = o
			continue
		}
		if prev, ok := earlier[o.User]; ok && o.Skip == SkipAlreadyRestored {
			prev.Applied, prev.Unconfirmed, prev.Error = true, false, ""
			res.Outcomes[i] = prev
			res.Skipped--
			res.Applied++
			res.GivenBack += prev.Lost
		}
	}
}

// errNotSeen: Prometheus has no reboot at the boot time yet (it has not scraped the router
// since the boot, or the query went to a replica that lags).
var errNotSeen = errors.New("not seen yet")

func retryable(err error) bool {
	if errors.Is(err, errNotSeen) {
		return true
	}
	switch FailureOf(err) {
	case Unreachable, Incomplete:
		return true
	}
	return false
}

// autoOnce is one try. It returns nil when rep holds the final answer (done or over
// limits), else the error to classify.
func autoOnce(ctx context.Context, svc Service, opts AutoOptions, rep *AutoReport) error {
	rep.Plan, rep.Result, rep.Violations = nil, nil, nil
	// The same window as `apply --reboot`: the point can lie well before the boot.
	from := opts.BootTime.Add(-24 * time.Hour)
	to := opts.BootTime.Add(time.Hour)
	if now := opts.Now(); now.Before(to) {
		to = now
	}
	if !to.After(opts.BootTime) {
		to = opts.BootTime.Add(time.Second)
	}
	points, err := svc.Points(ctx, opts.Router, from, to)
	if err != nil {
		return err
	}
	pt, ok := MatchReboot(points, opts.BootTime)
	if !ok {
		return fmt.Errorf("no reboot of %s booted at %s (±%s) in Prometheus's history: %w", opts.Router, opts.BootTime.Format(time.RFC3339), BootMatchTolerance, errNotSeen)
	}
	plan, err := svc.Plan(ctx, pt, PlanOptions{MaxGap: opts.MaxGap})
	if err != nil {
		return err
	}
	rep.Plan = plan
	if v := opts.Limits.Check(plan); len(v) > 0 {
		rep.Status, rep.Violations = AutoOverLimits, v
		return nil
	}
	res, err := svc.Apply(ctx, plan, nil)
	if res != nil {
		rep.Result = res
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return &Error{Failure: Incomplete, Err: fmt.Errorf("%d of %d writes failed", res.Failed, res.Applied+res.Failed)}
	}
	rep.Status, rep.Error = AutoDone, ""
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
