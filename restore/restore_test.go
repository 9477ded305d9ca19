package restore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

var (
	t0       = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	oldBoot  = t0.Add(-24 * time.Hour)
	interval = 15 * time.Second
	at       = t0.Add(4 * interval)     // the last scrape before the cut
	newBoot  = at.Add(35 * time.Second) // power back
	after    = at.Add(3 * interval)     // first scrape after the boot
	cafe     = "Caf\xe9"                // latin-1 on the router, "Café" in Prometheus
	h, m     = time.Hour, time.Minute
)

// usersAt is the hotspot at the restore point.
var usersAt = []hotspotUser{
	{name: "alice", uptime: 30 * m, limit: 2 * h, session: 10 * m, online: true},
	{name: "bob", uptime: 5 * h, session: 5 * m, online: true},
	{name: "carol", uptime: 10 * m, limit: 3 * h, session: 20 * m, online: true},
	{name: "dave", uptime: 20 * m, limit: h, session: 5 * m, online: true},
	{name: "erin", uptime: 0, limit: h, session: 7 * m, online: true},
	{name: "frank", uptime: 10 * m, limit: h, session: 4 * m, online: true},
	{name: "gina", uptime: 10 * m, limit: h, session: 0, online: true},
	{name: "hana", uptime: 0, limit: h, session: 10 * m, online: true},
	{name: "ivan", uptime: 10 * m, limit: h},
	{name: "Café", uptime: 0, limit: h, session: 3 * m, online: true},
}

// powerCutHistory is a clean power cut: scrapes every 15s, two failed scrapes, the boot,
// and the first scrape after it, where only dave's session was saved (he logged out just
// before the cut).
func powerCutHistory(p *fakeProm) {
	for i := range 5 {
		ts := t0.Add(time.Duration(i) * interval)
		users := make([]hotspotUser, len(usersAt))
		copy(users, usersAt)
		for j := range users {
			if users[j].online {
				users[j].session -= at.Sub(ts)
				users[j].session = max(users[j].session, 0)
			}
		}
		p.scrape(ts, oldBoot, users...)
	}
	p.failedScrape(at.Add(interval))
	p.failedScrape(at.Add(2 * interval))
	afterUsers := make([]hotspotUser, 0, len(usersAt))
	for _, u := range usersAt {
		u.online, u.session = false, 0
		if u.name == "dave" {
			u.uptime += 5 * m
		}
		afterUsers = append(afterUsers, u)
	}
	p.scrape(after, newBoot, afterUsers...)
}

// routerNow is the router after the boot.
var routerNow = []sim.User{
	{Name: "alice", Uptime: 30 * m, LimitUptime: 2 * h},
	{Name: "bob", Uptime: 5 * h},
	{Name: "carol", Uptime: 10 * m, LimitUptime: time.Second},
	{Name: "dave", Uptime: 25 * m, LimitUptime: h},
	{Name: "frank", Uptime: 10 * m, LimitUptime: 3 * h},
	{Name: "gina", Uptime: 10 * m, LimitUptime: h},
	{Name: "hana", Uptime: 0, LimitUptime: 5 * m},
	{Name: "ivan", Uptime: 10 * m, LimitUptime: h},
	{Name: cafe, LimitUptime: h},
	{Name: "Café", LimitUptime: h},
}

func powerCutLab(t *testing.T) *lab {
	l := newLab(t, "all")
	powerCutHistory(l.prom)
	l.addUsers(t, routerNow...)
	return l
}

func onlyPoint(t *testing.T, l *lab) Point {
	t.Helper()
	points, err := l.r.Points(testCtx(t), testRouter, t0.Add(-time.Hour), after.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 1 {
		t.Fatalf("want one point, got %+v", points)
	}
	return points[0]
}

func TestPointsFindTheCut(t *testing.T) {
	l := powerCutLab(t)
	p := onlyPoint(t, l)
	want := Point{Router: testRouter, At: at, BootTime: newBoot, Online: 9, Gap: interval, After: after, Interval: interval, PrevBootTime: oldBoot}
	if p != want {
		t.Errorf("point\n got %+v\nwant %+v", p, want)
	}
	if !p.Bridged() {
		t.Error("failed scrapes before the boot bridge the gap")
	}
}

func TestPlanSkipReasonsAndNewLimits(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range plan.Entries {
		names = append(names, e.User)
	}
	if got := strings.Join(names, ","); got != "Café,alice,bob,carol,dave,erin,frank,gina,hana" {
		t.Errorf("entries %s: want the users online at the point, sorted", got)
	}
	alice := entryOf(t, plan, "alice")
	want := Entry{User: "alice", ID: alice.ID, UptimeThen: 30 * m, SessionThen: 10 * m, Used: 40 * m, UptimeNow: 30 * m,
		Lost: 10 * m, LimitThen: 2 * h, LimitNow: 2 * h, NewLimit: 110 * m}
	if alice != want || alice.ID == "" {
		t.Errorf("alice\n got %+v\nwant %+v", alice, want)
	}
	for user, skip := range map[string]Skip{
		"bob": SkipUnlimited, "carol": SkipExpired, "dave": SkipUptimeGrew, "erin": SkipDeleted,
		"frank": SkipLimitChanged, "gina": SkipNothingLost, "hana": SkipLimitChanged, "Café": SkipAmbiguous,
	} {
		e := entryOf(t, plan, user)
		if e.Skip != skip || e.SkipDetail == "" || e.NewLimit != 0 || e.Lost != 0 {
			t.Errorf("%s: got skip %q (%s), new limit %v; want %q", user, e.Skip, e.SkipDetail, e.NewLimit, skip)
		}
	}
	if d := entryOf(t, plan, "dave").SkipDetail; !strings.Contains(d, "20m to 25m") || !strings.Contains(d, "first scrape after the boot") {
		t.Errorf("dave's detail: %s", d)
	}
}

func TestForcePlansChangedLimitsWithTheOneSecondFloor(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, plan, "frank"); e.Skip != "" || e.NewLimit != 3*h-4*m {
		t.Errorf("frank: %+v", e)
	}
	// 5m - 10m would be negative, and 0 means unlimited: the floor is 1s.
	if e := entryOf(t, plan, "hana"); e.Skip != "" || e.Lost != 10*m || e.NewLimit != time.Second {
		t.Errorf("hana: %+v", e)
	}
	// Force does not override the other reasons.
	if e := entryOf(t, plan, "carol"); e.Skip != SkipExpired {
		t.Errorf("carol: %+v", e)
	}
}

func TestApplyWritesOnlyLimitsAndOnce(t *testing.T) {
	l := powerCutLab(t)
	p := onlyPoint(t, l)
	plan, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	var progress []int
	res, err := l.r.Apply(testCtx(t), plan, func(done, total int) {
		if total != len(plan.Entries) {
			t.Errorf("total %d", total)
		}
		progress = append(progress, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 3 || res.Failed != 0 || res.Skipped != 6 || res.GivenBack != 10*m+4*m+10*m {
		t.Errorf("result: applied %d failed %d skipped %d given back %v", res.Applied, res.Failed, res.Skipped, res.GivenBack)
	}
	if len(progress) != len(plan.Entries) || progress[len(progress)-1] != len(plan.Entries) {
		t.Errorf("progress calls %v", progress)
	}
	writes := l.router.Writes()
	got := map[string]string{}
	for _, w := range writes {
		if w.Field != "limit-uptime" {
			t.Errorf("wrote %s of %s", w.Field, w.User)
		}
		got[w.User] = w.New
	}
	want := map[string]string{"alice": "1h50m", "frank": "2h56m", "hana": "1s"}
	if len(got) != len(want) || len(writes) != 3 {
		t.Errorf("writes %+v, want %v", writes, want)
	}
	for u, v := range want {
		if got[u] != v {
			t.Errorf("%s: wrote %q, want %q", u, got[u], v)
		}
	}
	for _, u := range []string{"bob", "carol", "dave", "gina", "ivan"} {
		before := findUser(routerNow, u)
		now, _ := l.router.User(u)
		if now.LimitUptime != before.LimitUptime || now.Uptime != before.Uptime {
			t.Errorf("%s was changed: %+v", u, now)
		}
	}

	// A second run, planned afresh from the same point, changes nothing.
	again, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "frank"} {
		if e := entryOf(t, again, u); e.Skip != SkipAlreadyRestored {
			t.Errorf("%s planned again: %+v", u, e)
		}
	}
	// Brought down to the 1s floor, hana now reads as an expired voucher, which she is.
	if e := entryOf(t, again, "hana"); e.Skip != SkipExpired {
		t.Errorf("hana planned again: %+v", e)
	}
	res, err = l.r.Apply(testCtx(t), again, nil)
	if err != nil || res.Applied != 0 {
		t.Fatalf("second apply: %+v %v", res, err)
	}
	// Applying the first plan again (a stale plan) is refused by the ledger too.
	res, err = l.r.Apply(testCtx(t), plan, nil)
	if err != nil || res.Applied != 0 || len(l.router.Writes()) != 3 {
		t.Fatalf("stale apply: %+v %v, %d writes", res, err, len(l.router.Writes()))
	}
	if s := entryOfOutcomes(res, "alice"); s.Skip != SkipAlreadyRestored {
		t.Errorf("stale alice: %+v", s)
	}
	// A time picked with --at in the same session is recognised as the same restore.
	pa, err := l.r.PointAt(testCtx(t), testRouter, at.Add(-interval))
	if err != nil {
		t.Fatal(err)
	}
	planAt, err := l.r.Plan(testCtx(t), pa, PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, planAt, "alice"); e.Skip != SkipAlreadyRestored {
		t.Errorf("alice from --at: %+v", e)
	}
}

func findUser(users []sim.User, name string) sim.User {
	for _, u := range users {
		if u.Name == name {
			return u
		}
	}
	return sim.User{}
}

func entryOfOutcomes(res *Result, user string) Outcome {
	for _, o := range res.Outcomes {
		if o.User == user {
			return o
		}
	}
	return Outcome{}
}

func TestApplyLeavesAUserChangedSinceThePlan(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The operator sells alice another hour between plan and apply.
	if err := l.router.SetUser(sim.User{Name: "alice", Uptime: 30 * m, LimitUptime: 3 * h}); err != nil {
		t.Fatal(err)
	}
	res, err := l.r.Apply(testCtx(t), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := entryOfOutcomes(res, "alice"); o.Applied || o.Skip != SkipLimitChanged || !strings.Contains(o.SkipDetail, "since the plan") {
		t.Errorf("alice: %+v", o)
	}
	if len(l.router.Writes()) != 0 {
		t.Errorf("writes: %+v", l.router.Writes())
	}
}

func TestLockRefusesAConcurrentRun(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := lockLedger(testCtx(t), l.ledger, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.r.Apply(testCtx(t), plan, nil)
	if !errors.Is(err, ErrLocked) || FailureOf(err) != Incomplete {
		t.Fatalf("want ErrLocked (incomplete), got %v", err)
	}
	if len(l.router.Writes()) != 0 {
		t.Errorf("wrote while locked out: %+v", l.router.Writes())
	}
	held.release()

	// Many runs at once: the lock and the ledger let exactly one write each user.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r := l.restorer(t, l.r.opts.Prometheus)
			r.opts.LockWait = 20 * time.Second
			if _, err := r.Apply(testCtx(t), plan, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(l.router.Writes()); n != 1 {
		t.Errorf("%d writes, want 1 (alice): %+v", n, l.router.Writes())
	}
}

func TestLedgerIsWrittenAtomically(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.r.Apply(testCtx(t), plan, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(l.ledger))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	led, err := readLedger(l.ledger)
	if err != nil {
		t.Fatal(err)
	}
	if len(led.records) != 1 {
		t.Fatalf("records %+v", led.records)
	}
	rec := led.records[0]
	want := Record{Router: testRouter, User: "alice", BootTime: newBoot, At: at, SessionStart: at.Add(-10 * m),
		OldLimit: Duration(2 * h), NewLimit: Duration(110 * m), Lost: Duration(10 * m), AppliedAt: rec.AppliedAt}
	if rec != want || rec.AppliedAt.IsZero() {
		t.Errorf("record\n got %+v\nwant %+v", rec, want)
	}
	data, _ := os.ReadFile(l.ledger)
	if !strings.Contains(string(data), `"new_limit": "1h50m"`) {
		t.Errorf("ledger is not readable by people:\n%s", data)
	}

	// A damaged ledger stops everything rather than being taken for an empty one.
	if err := os.WriteFile(l.ledger, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.r.Plan(testCtx(t), plan.Point, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("plan with a damaged ledger: %v", err)
	}
	if _, err := l.r.Apply(testCtx(t), plan, nil); err == nil || FailureOf(err) != Refused {
		t.Errorf("apply with a damaged ledger: %v", err)
	}
}

func TestAnUnreadableLedgerStopsBeforeAnyWrite(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	// A folder where the ledger file should be.
	if err := os.Mkdir(l.ledger, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = l.r.Apply(testCtx(t), plan, nil)
	if err == nil || !strings.Contains(err.Error(), "ledger") || FailureOf(err) != Refused {
		t.Fatalf("want a ledger error, got %v", err)
	}
	if len(l.router.Writes()) != 0 {
		t.Errorf("writes without a ledger: %+v", l.router.Writes())
	}
}

// TestAChosenTimeSkipsSessionsStillRunning: restoring to a chosen time (--at, the web
// page's "Another time") while a user's session of that time is still running would take
// that session's time twice: off the limit now, and into the stored uptime RouterOS adds
// at logout.
func TestAChosenTimeSkipsSessionsStillRunning(t *testing.T) {
	clock := sim.NewManualClock(at.Add(-10 * m))
	l := newLabOn(t, "all", clock)
	powerCutHistory(l.prom)
	l.addUsers(t, routerNow...)
	if _, err := l.router.Login("alice", "", ""); err != nil { // her session of the point
		t.Fatal(err)
	}
	clock.Advance(10*m + time.Minute)
	if _, err := l.router.Login("frank", "", ""); err != nil { // a session begun after the point
		t.Fatal(err)
	}
	clock.Advance(4 * m)
	p, err := l.r.PointAt(testCtx(t), testRouter, at)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, plan, "alice"); e.Skip != SkipStillOnline || !strings.Contains(e.SkipDetail, "still running") || e.NewLimit != 0 {
		t.Errorf("alice, online since before the point: %+v", e)
	}
	if e := entryOf(t, plan, "frank"); e.Skip != "" || e.NewLimit != 3*h-4*m {
		t.Errorf("frank, online again only since after the point: %+v", e)
	}
	if _, err := l.r.Apply(testCtx(t), plan, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.router.Logout("alice"); err != nil {
		t.Fatal(err)
	}
	// RouterOS stores her whole session, 15m, at logout: that is all she is charged.
	if alice, _ := l.router.User("alice"); alice.Uptime != 45*m || alice.LimitUptime != 2*h {
		t.Errorf("alice after logout: uptime %v, limit %v; want the 15m session stored and the limit left at 2h", alice.Uptime, alice.LimitUptime)
	}
}

// applyLosingTheReplyTo applies plan with the router taking user's write but the reply to
// it cut off (the connection dropped at the wrong moment), and returns the result.
func applyLosingTheReplyTo(t *testing.T, l *lab, plan *Plan, user string) *Result {
	t.Helper()
	i := slices.IndexFunc(plan.Entries, func(e Entry) bool { return e.User == user })
	if i < 1 {
		t.Fatalf("%s must be in the plan after its first entry (the users are read before it): %+v", user, plan.Entries)
	}
	res, err := l.r.Apply(testCtx(t), plan, func(done, _ int) {
		switch done {
		case i: // user's write is next
			l.router.SetFault(sim.FaultDropMidReply)
		case i + 1:
			l.router.SetFault(sim.FaultNone)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := l.router.User(user); u.LimitUptime != entryOf(t, plan, user).NewLimit {
		t.Fatalf("the router did not take %s's write: %+v", user, u)
	}
	return res
}

// TestAWriteWhoseReplyWasLostIsNotTakenAgain: the router took alice's write but
// ronda-restore never heard back (its own host lost power during the write), so the ledger
// does not know it. Her limit now differs from the point's; the plan must not call that a
// top-up (limit-changed), which --force or the web page's "Include them anyway" would
// take off a second time.
func TestAWriteWhoseReplyWasLostIsNotTakenAgain(t *testing.T) {
	l := powerCutLab(t)
	p := onlyPoint(t, l)
	if err := l.router.SetUser(sim.User{Name: "alice", Uptime: 30 * m, LimitUptime: 110 * m}); err != nil { // the write taken
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		again, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: force})
		if err != nil {
			t.Fatal(err)
		}
		if e := entryOf(t, again, "alice"); e.Skip != SkipAlreadyRestored || !strings.Contains(e.SkipDetail, "reply was lost") {
			t.Errorf("alice planned again (force %v): %+v", force, e)
		}
		if _, err := l.r.Apply(testCtx(t), again, nil); err != nil {
			t.Fatal(err)
		}
	}
	if alice, _ := l.router.User("alice"); alice.LimitUptime != 110*m {
		t.Errorf("alice lost 10m once; her limit is %v, want 1h50m (writes %+v)", alice.LimitUptime, l.router.Writes())
	}
}

// TestAWriteAfterALostReplyWaitsForTheReconnection: one dropped connection does not fail
// every later write of the run at once, while the session waits to dial again.
func TestAWriteAfterALostReplyWaitsForTheReconnection(t *testing.T) {
	l := powerCutLab(t)
	l.r.backoffMin = 200 * time.Millisecond
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	res := applyLosingTheReplyTo(t, l, plan, "alice")
	for _, u := range []string{"frank", "hana"} {
		if o := entryOfOutcomes(res, u); !o.Applied {
			t.Errorf("%s not written after alice's lost reply: %+v", u, o)
		}
	}
}

// TestWritesStopWhenTheRouterStopsAnswering: with the router gone (its power cut again),
// a run does not spend a time-out on every user left: after a write fails, and the next
// too once the reconnection was waited for, the rest are not tried.
func TestWritesStopWhenTheRouterStopsAnswering(t *testing.T) {
	l := powerCutLab(t)
	l.r.backoffMin = 10 * time.Millisecond
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.r.Apply(testCtx(t), plan, func(done, _ int) {
		if done == 1 { // before alice's write
			l.router.PowerOff()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 3 || res.Applied != 0 {
		t.Fatalf("applied %d, failed %d: want alice, frank and hana failed", res.Applied, res.Failed)
	}
	for _, u := range []string{"alice", "frank"} {
		if o := entryOfOutcomes(res, u); strings.HasPrefix(o.Error, "not written") {
			t.Errorf("%s was not tried: %s", u, o.Error)
		}
	}
	if o := entryOfOutcomes(res, "hana"); !strings.HasPrefix(o.Error, "not written: the router stopped answering") {
		t.Errorf("hana was tried after two failed writes: %q", o.Error)
	}
}

// TestAUserDeletedWhileTheRestoreRunsIsSkipped: the router answers a write to a user
// deleted since the run read them (Mikhmon's expiry script, say) with "no such item": that
// user is skipped as deleted, not a refusal that stops the run being retried.
func TestAUserDeletedWhileTheRestoreRunsIsSkipped(t *testing.T) {
	l := powerCutLab(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.r.Apply(testCtx(t), plan, func(done, _ int) {
		if done == 1 {
			if err := l.router.DeleteUser("frank"); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := entryOfOutcomes(res, "frank"); o.Skip != SkipDeleted || o.Error != "" || res.Applied != 2 || res.Failed != 0 {
		t.Errorf("frank: %+v; applied %d, failed %d", o, res.Applied, res.Failed)
	}
}

// TestReadsAfterAFailedConnectWaitForTheReconnection: once a connect has failed, the
// session waits before dialling again. Plan, and Apply's reading of the users before it
// writes, wait that out (within the router's timeout) as a write does, rather than fail
// at once with the router back up.
func TestReadsAfterAFailedConnectWaitForTheReconnection(t *testing.T) {
	for _, tt := range []struct {
		name string
		run  func(l *lab, p Point, plan *Plan) error
	}{
		{"plan", func(l *lab, p Point, _ *Plan) error {
			_, err := l.r.Plan(testCtx(t), p, PlanOptions{})
			return err
		}},
		{"apply", func(l *lab, _ Point, plan *Plan) error {
			res, err := l.r.Apply(testCtx(t), plan, nil)
			if err == nil && res.Applied != 1 {
				return fmt.Errorf("applied %d, want alice: %+v", res.Applied, res.Outcomes)
			}
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := powerCutLab(t)
			l.r.backoffMin = 200 * time.Millisecond
			p := onlyPoint(t, l)
			plan, err := l.r.Plan(testCtx(t), p, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			l.router.PowerOff()
			if _, err := l.r.Plan(testCtx(t), p, PlanOptions{}); FailureOf(err) != Unreachable {
				t.Fatalf("plan with the router off: %v, want unreachable", err)
			}
			l.router.PowerOn()
			if err := tt.run(l, p, plan); err != nil {
				t.Errorf("with the router back: %v", err)
			}
		})
	}
}

// TestAWriteWhoseReplyWasLostIsLedgered: a write sent whose reply never came goes in the
// ledger: as written when reading the users back at the end of the run shows the router
// took it, else as unconfirmed. Either way a later run leaves the user alone even once the
// limit has changed (a top-up), when only the ledger can tell; and an unconfirmed write
// the router never took does not stop the user being restored later.
func TestAWriteWhoseReplyWasLostIsLedgered(t *testing.T) {
	for _, tt := range []struct {
		name string
		// fault breaks alice's write: called before it (done == i) and after it (i+1).
		fault       func(l *lab, done, i int)
		taken       bool // the router took alice's write
		applied     bool // and the run reports it written
		unconfirmed bool // or reports it unconfirmed
	}{
		{"read back in the same run", func(l *lab, done, i int) {
			switch done {
			case i:
				l.router.SetFault(sim.FaultDropMidReply)
			case i + 1:
				l.router.SetFault(sim.FaultNone)
			}
		}, true, true, false},
		{"the router gone before the read-back", func(l *lab, done, i int) {
			switch done {
			case i:
				l.router.SetFault(sim.FaultDropMidReply)
			case i + 1:
				l.router.SetFault(sim.FaultNone)
				l.router.PowerOff()
			}
		}, true, false, true},
		{"never taken", func(l *lab, done, i int) {
			if done == i {
				l.router.PowerOff()
			}
		}, false, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := powerCutLab(t)
			l.r.backoffMin = 10 * time.Millisecond
			p := onlyPoint(t, l)
			plan, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: true})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(plan.Entries, func(e Entry) bool { return e.User == "alice" })
			res, err := l.r.Apply(testCtx(t), plan, func(done, _ int) { tt.fault(l, done, i) })
			if err != nil {
				t.Fatal(err)
			}
			o := entryOfOutcomes(res, "alice")
			if o.Applied != tt.applied || o.Unconfirmed != tt.unconfirmed || (o.Error == "") != tt.applied {
				t.Errorf("alice: %+v, want applied %v, unconfirmed %v", o, tt.applied, tt.unconfirmed)
			}
			if tt.applied && (res.Applied != 3 || res.Failed != 0) {
				t.Errorf("applied %d, failed %d: want alice, frank and hana written", res.Applied, res.Failed)
			}
			l.router.PowerOn()
			want := 2 * h // her limit then, and now
			if tt.taken {
				want = 110 * m
			}
			if alice, _ := l.router.User("alice"); alice.LimitUptime != want {
				t.Fatalf("alice's limit is %v, want %v", alice.LimitUptime, want)
			}
			if tt.taken {
				// Topped up since: the limit no longer tells that she was restored.
				if err := l.router.SetUser(sim.User{Name: "alice", Uptime: 30 * m, LimitUptime: 3 * h}); err != nil {
					t.Fatal(err)
				}
				want = 3 * h
			} else {
				want = 110 * m // restored at last
			}
			l.r = l.restorer(t, l.r.opts.Prometheus) // the operator runs ronda-restore again
			again, err := l.r.Plan(testCtx(t), p, PlanOptions{Force: true})
			if err != nil {
				t.Fatal(err)
			}
			if e := entryOf(t, again, "alice"); e.Restored() == tt.taken || tt.taken && e.Skip != SkipAlreadyRestored {
				t.Errorf("alice planned again: %+v", e)
			}
			if _, err := l.r.Apply(testCtx(t), again, nil); err != nil {
				t.Fatal(err)
			}
			if alice, _ := l.router.User("alice"); alice.LimitUptime != want {
				t.Errorf("alice's limit is %v, want %v (writes %+v)", alice.LimitUptime, want, l.router.Writes())
			}
		})
	}
}
