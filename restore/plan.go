package restore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-routeros/routeros/v3/proto"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
	"github.com/rondanet/ronda/internal/routeros"
)

// expiredMark is the limit-uptime Mikhmon sets on an expired voucher.
const expiredMark = time.Second

// userProps are the only fields read from /ip/hotspot/user.
var userProps = []string{".id", "name", "uptime", "limit-uptime"}

// then is what Prometheus knew about one online user at the restore point.
type then struct {
	uptime, session, limit time.Duration
	hasUptime              bool
}

// now is one user on the router now. count > 1 means the name is ambiguous.
type now struct {
	id            string
	uptime, limit time.Duration
	count         int
	// since is when the user's earliest session running now began; zero when offline (or,
	// for a reboot's point, not read).
	since time.Time
}

// activeProps are the only fields read from /ip/hotspot/active.
var activeProps = []string{"user", "uptime"}

// Plan reads the history at p and the router's users now.
func (r *Restorer) Plan(ctx context.Context, p Point, opts PlanOptions) (*Plan, error) {
	t, err := r.target(p.Router)
	if err != nil {
		return nil, err
	}
	if p.At.IsZero() {
		return nil, refused("the restore point has no time")
	}
	if t.HotspotUsers == config.HotspotUsersNone {
		return nil, refused("router %s has hotspot_users: none in the config file, so Prometheus has no per-user series to restore from; set it to all or limited (restore then works for outages after the change)", p.Router)
	}
	if err := checkGap(p, opts.MaxGap); err != nil {
		return nil, err
	}

	history, err := r.readHistory(ctx, p)
	if err != nil {
		return nil, err
	}
	var missing []string
	for user, th := range history.users {
		if !th.hasUptime {
			missing = append(missing, user)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, refused("%d users online at %s have no %s series at that scrape (%s): restore needs per-user series; router %s has hotspot_users: %s in the config file",
			len(missing), p.describe(), metricUserUptime, sample(missing), p.Router, t.HotspotUsers)
	}

	// A reboot ends every session; a chosen time's may still be running, and RouterOS will
	// store all of it at logout. The sessions are read before the users, so one that ends
	// between the two reads is seen either running or stored (uptime-grew).
	var running map[string]time.Time
	if p.BootTime.IsZero() {
		if running, err = r.runningSessions(ctx, t); err != nil {
			return nil, err
		}
	}
	users, err := r.routerUsers(ctx, t)
	if err != nil {
		return nil, err
	}
	ledger, err := readLedger(r.opts.LedgerFile)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Router: p.Router, Point: p, PlannedAt: r.now()}
	for user, th := range history.users {
		cur := users[user]
		cur.since = running[user]
		e := decide(user, th, cur, p.At, history.uptimeAfter, opts.Force, func(e Entry) (string, bool) {
			return ledger.find(p, e)
		})
		plan.Entries = append(plan.Entries, e)
	}
	slices.SortFunc(plan.Entries, func(a, b Entry) int { return strings.Compare(a.User, b.User) })
	return plan, nil
}

// checkGap refuses a point whose lost time is uncertain by more than maxGap: Prometheus
// did not see the router fail before it booted again, so the power went at some unknown
// moment in the gap.
func checkGap(p Point, maxGap time.Duration) error {
	if p.GapAccepted(maxGap) {
		return nil
	}
	return refused("no sample of %s between the restore point %s and the boot at %s: Prometheus or the exporter was not scraping for %s, so the power cut time is unknown within that gap; allow it with a larger --max-gap (now %s)",
		p.Router, p.At.Format(time.RFC3339), p.BootTime.Format(time.RFC3339), p.Gap, p.maxGap(maxGap))
}

// history is what Prometheus holds for a plan.
type history struct {
	users map[string]then // users online at the point
	// uptimeAfter is the stored uptime in the first scrape after the boot; nil when the
	// point has no boot (the router's stored uptime now is used instead).
	uptimeAfter map[string]float64
}

func (r *Restorer) readHistory(ctx context.Context, p Point) (*history, error) {
	queries := []struct {
		metric string
		at     time.Time
	}{
		{metricUp, p.At},
		{metricActiveUptime, p.At},
		{metricUserUptime, p.At},
		{metricUserLimit, p.At},
		{metricUserUptime, p.After},
	}
	results := make([][]promapi.Series, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		if q.at.IsZero() {
			continue
		}
		wg.Go(func() {
			results[i], errs[i] = r.matrix(ctx, selector(q.metric, p.Router)+"[1s]", q.at)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	up := valuesAt(results[0], "", p.At)
	if v, ok := up[""]; !ok || v != 1 {
		return nil, refused("Prometheus has no successful scrape of %s at exactly %s (%s): pick a restore point from `points`, or a time with --at",
			p.Router, p.At.Format(time.RFC3339Nano), selector(metricUp, p.Router))
	}
	active := valuesAt(results[1], "user", p.At)
	uptime := valuesAt(results[2], "user", p.At)
	limit := valuesAt(results[3], "user", p.At)
	h := &history{users: make(map[string]then, len(active))}
	for user, session := range active {
		u, ok := uptime[user]
		h.users[user] = then{
			uptime:    seconds(u),
			session:   seconds(session),
			limit:     seconds(limit[user]), // absent: unlimited at that time
			hasUptime: ok,
		}
	}
	if !p.After.IsZero() {
		h.uptimeAfter = valuesAt(results[4], "user", p.After)
	}
	return h, nil
}

// seconds turns a sample value into a duration in whole seconds, RouterOS's resolution.
func seconds(v float64) time.Duration {
	if math.IsNaN(v) || v <= 0 {
		return 0
	}
	if v > float64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64).Truncate(time.Second)
	}
	return time.Duration(math.Round(v)) * time.Second
}

// runningSessions reads /ip/hotspot/active: when each user's earliest session running
// now began, keyed by name as Prometheus labels it.
func (r *Restorer) runningSessions(ctx context.Context, t config.MikroTikTarget) (map[string]time.Time, error) {
	re, err := r.print(ctx, t, "/ip/hotspot/active", activeProps)
	if err != nil {
		return nil, err
	}
	now := r.now()
	running := make(map[string]time.Time, len(re))
	var bad []string
	for _, s := range re {
		name := routeros.ToUTF8(s.Map["user"])
		uptime, _, err := routeros.ParseDuration(s.Map["uptime"])
		if err != nil {
			bad = append(bad, name)
			continue
		}
		if since, ok := running[name]; !ok || now.Add(-uptime).Before(since) {
			running[name] = now.Add(-uptime)
		}
	}
	if len(bad) > 0 {
		return nil, refused("router %s: unreadable uptime of the active sessions of %d users (%s)", t.Name, len(bad), sample(bad))
	}
	return running, nil
}

// print reads a menu of the router within its timeout, waiting for the reconnection as a
// write does (afterBackoff).
func (r *Restorer) print(ctx context.Context, t config.MikroTikTarget, menu string, props []string) ([]*proto.Sentence, error) {
	conn, err := r.conn(t)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Timeout))
	defer cancel()
	var re []*proto.Sentence
	err = afterBackoff(ctx, func() (err error) {
		re, err = conn.Print(ctx, menu, props)
		return err
	})
	if err != nil {
		return nil, routerFailure(t.Name, err)
	}
	return re, nil
}

// routerUsers reads /ip/hotspot/user, keyed by name as Prometheus labels it.
func (r *Restorer) routerUsers(ctx context.Context, t config.MikroTikTarget) (map[string]now, error) {
	re, err := r.print(ctx, t, "/ip/hotspot/user", userProps)
	if err != nil {
		return nil, err
	}
	users := make(map[string]now, len(re))
	var bad []string
	for _, s := range re {
		name := routeros.ToUTF8(s.Map["name"])
		u := users[name]
		u.count++
		if u.count == 1 {
			u.id = s.Map[".id"]
			var perr error
			if u.uptime, _, perr = routeros.ParseDuration(s.Map["uptime"]); perr != nil {
				bad = append(bad, name)
			}
			if u.limit, _, perr = routeros.ParseDuration(s.Map["limit-uptime"]); perr != nil {
				bad = append(bad, name)
			}
		}
		users[name] = u
	}
	if len(bad) > 0 {
		return nil, refused("router %s: unreadable uptime or limit-uptime for %d users (%s)", t.Name, len(bad), sample(bad))
	}
	return users, nil
}

// decide makes one user's entry for the point at at; the skip reasons are tried in their
// documented order. restored says whether the ledger holds the entry's restore, and when
// it was made.
func decide(user string, th then, cur now, at time.Time, uptimeAfter map[string]float64, force bool, restored func(Entry) (string, bool)) Entry {
	e := Entry{
		User:        user,
		ID:          cur.id,
		UptimeThen:  th.uptime,
		SessionThen: th.session,
		Used:        th.uptime + th.session,
		LimitThen:   th.limit,
		UptimeNow:   cur.uptime,
		LimitNow:    cur.limit,
	}
	skip := func(s Skip, format string, args ...any) Entry {
		e.Skip, e.SkipDetail = s, fmt.Sprintf(format, args...)
		return e
	}
	switch {
	case cur.count == 0:
		e.ID = ""
		return skip(SkipDeleted, "no user %q on the router now", user)
	case cur.count > 1:
		e.ID = ""
		return skip(SkipAmbiguous, "%d users on the router are named %q (on different servers, or once made valid UTF-8)", cur.count, user)
	case cur.limit == 0:
		return skip(SkipUnlimited, "limit-uptime is not set")
	case cur.limit == expiredMark:
		return skip(SkipExpired, "limit-uptime=1s marks an expired voucher")
	}
	if detail, ok := restored(e); ok {
		return skip(SkipAlreadyRestored, "%s", detail)
	}
	if restoredLimit := max(th.limit-th.session, time.Second); th.session > 0 && cur.limit != th.limit && cur.limit == restoredLimit {
		// Exactly what restoring this session writes: a write the router took whose reply
		// was lost, so the ledger never heard of it. Never take the session twice, even
		// when forced.
		return skip(SkipAlreadyRestored, "limit-uptime is %s, the %s at the restore point less this session's %s: restored before, though the ledger has no record (a write whose reply was lost)",
			routeros.FormatDuration(cur.limit), formatLimit(th.limit), routeros.FormatDuration(th.session))
	}
	// Whether the router saved the session: its stored uptime after the boot (or now,
	// for a chosen time) is above what it was at the point.
	after, seen := cur.uptime, "now"
	if v, ok := uptimeAfter[user]; ok {
		after, seen = seconds(v), "in the first scrape after the boot"
	}
	if after > th.uptime {
		return skip(SkipUptimeGrew, "stored uptime grew from %s to %s (%s): the router saved the session", routeros.FormatDuration(th.uptime), routeros.FormatDuration(after), seen)
	}
	// A session running now that began by the point (give or take the seconds of working
	// its start out) is the session of the point: nothing of it was lost.
	if !cur.since.IsZero() && !cur.since.After(at.Add(sessionTolerance)) {
		return skip(SkipStillOnline, "the session of the restore point, online since %s, is still running: the router will store all of it at logout",
			cur.since.Round(time.Second).Format(time.RFC3339))
	}
	if cur.limit != th.limit && !force {
		return skip(SkipLimitChanged, "limit-uptime was %s at the restore point, is %s now (--force plans it anyway)", formatLimit(th.limit), formatLimit(cur.limit))
	}
	if th.session <= 0 {
		return skip(SkipNothingLost, "the session had not used any time")
	}
	e.Lost = th.session
	e.NewLimit = max(cur.limit-e.Lost, time.Second) // 0 would make the user unlimited
	return e
}

func formatLimit(d time.Duration) string {
	if d == 0 {
		return "unlimited"
	}
	return routeros.FormatDuration(d)
}

// sample names up to five items of a list for a message.
func sample(items []string) string {
	const most = 5
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
}
