package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMatchReboot(t *testing.T) {
	boot := time.Date(2026, 11, 24, 11, 14, 52, 0, time.UTC)
	pt := func(b time.Time) Point { return Point{Router: testRouter, BootTime: b, At: b.Add(-time.Minute)} }
	for _, c := range []struct {
		name   string
		points []Point // newest first, as Points lists them
		want   time.Time
		ok     bool
	}{
		{"exact", []Point{pt(boot)}, boot, true},
		{"a later reboot is not taken", []Point{pt(boot.Add(2 * time.Hour)), pt(boot.Add(2 * time.Second)), pt(boot.Add(-24 * time.Hour))}, boot.Add(2 * time.Second), true},
		{"the nearest of two within tolerance", []Point{pt(boot.Add(5 * time.Second)), pt(boot.Add(-time.Second))}, boot.Add(-time.Second), true},
		{"at the tolerance", []Point{pt(boot.Add(BootMatchTolerance))}, boot.Add(BootMatchTolerance), true},
		{"beyond the tolerance", []Point{pt(boot.Add(BootMatchTolerance + time.Second)), pt(boot.Add(-time.Hour))}, time.Time{}, false},
		{"only the newest, far off", []Point{pt(boot.Add(10 * time.Minute))}, time.Time{}, false},
		{"a chosen time (no boot time) never matches", []Point{{Router: testRouter, At: boot}}, time.Time{}, false},
		{"nothing", nil, time.Time{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := MatchReboot(c.points, boot)
			if ok != c.ok || !got.BootTime.Equal(c.want) {
				t.Errorf("got %v (ok %v), want %v (ok %v)", got.BootTime, ok, c.want, c.ok)
			}
		})
	}
}

// limitsPlan is a plan at a point 3h after the router's previous boot, with the users'
// lost times (a negative one is a skipped user, which no limit counts).
func limitsPlan(lost ...time.Duration) *Plan {
	at := time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)
	p := &Plan{Router: testRouter, Point: Point{Router: testRouter, At: at, BootTime: at.Add(time.Minute), PrevBootTime: at.Add(-3 * h)}}
	for i, l := range lost {
		e := Entry{User: fmt.Sprintf("u%d", i), Lost: l}
		if l < 0 {
			e.Lost, e.Skip = 10*h, SkipUnlimited
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

func TestLimitsCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		limits Limits
		plan   *Plan
		want   []string // one substring per violation, in order
	}{
		{"no limits, within the window", Limits{}, limitsPlan(2*h, 3*h, -1), nil},
		{"per user", Limits{PerUser: h}, limitsPlan(30*m, 61*m, h), []string{"u1: 1h1m to give back, above the limit of 1h per user"}},
		{"total", Limits{Total: 2 * h}, limitsPlan(h, h, time.Second), []string{"2h1s to give back in all, above the limit of 2h"}},
		{"total at the limit", Limits{Total: 2 * h}, limitsPlan(h, h, -1), nil},
		{"skipped users count for nothing", Limits{PerUser: h, Total: h}, limitsPlan(-1, -1, 30*m), nil},
		// The router had been up 3h at the point: no session can have lost more, whatever
		// the operator allows.
		{"the window bounds even without limits", Limits{}, limitsPlan(3*h + time.Minute), []string{"u0: 3h1m to give back, more than the 3h the router had been up at the restore point"}},
		{"the window bounds below a larger per-user limit", Limits{PerUser: 24 * h}, limitsPlan(4 * h), []string{"more than the 3h the router had been up"}},
		{"the window allows the exporter's jitter", Limits{}, limitsPlan(3*h + 2*time.Second), nil},
		{"both kinds at once", Limits{PerUser: h, Total: 3 * h}, limitsPlan(2*h, 5*h), []string{"u0: 2h to give back, above the limit of 1h", "u1: 5h to give back, more than the 3h", "7h to give back in all, above the limit of 3h"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.limits.Check(c.plan)
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %d violations like %q", got, len(c.want), c.want)
			}
			for i := range got {
				if !strings.Contains(got[i], c.want[i]) {
					t.Errorf("violation %d: %q, want it to say %q", i, got[i], c.want[i])
				}
			}
		})
	}
	// A point of a chosen time has no previous boot: only the operator's limits apply.
	p := limitsPlan(30 * h)
	p.Point.PrevBootTime = time.Time{}
	if v := (Limits{}).Check(p); v != nil {
		t.Errorf("no window without a previous boot, got %q", v)
	}
}

// fakeService scripts the answers of each call of Auto's tries.
type fakeService struct {
	points  func(try int) ([]Point, error)
	plan    func(try int, p Point) (*Plan, error)
	apply   func(try int, plan *Plan) (*Result, error)
	tries   int // Points calls
	planned int
	applied int
}

func (f *fakeService) Routers() []string { return []string{testRouter} }
func (f *fakeService) Points(_ context.Context, router string, from, to time.Time) ([]Point, error) {
	f.tries++
	if !from.Before(to) {
		return nil, fmt.Errorf("empty window %v..%v", from, to)
	}
	return f.points(f.tries)
}
func (f *fakeService) PointAt(context.Context, string, time.Time) (Point, error) {
	return Point{}, errors.New("auto never picks a time")
}
func (f *fakeService) Plan(_ context.Context, p Point, opts PlanOptions) (*Plan, error) {
	f.planned++
	if opts.Force {
		return nil, errors.New("auto must never force")
	}
	if f.plan == nil {
		return autoPlan(p), nil
	}
	return f.plan(f.tries, p)
}
func (f *fakeService) Apply(_ context.Context, plan *Plan, _ func(int, int)) (*Result, error) {
	f.applied++
	if f.apply == nil {
		return applyAll(plan, nil), nil
	}
	return f.apply(f.tries, plan)
}

var (
	autoBoot  = time.Date(2026, 11, 24, 11, 14, 52, 0, time.UTC)
	autoPoint = Point{Router: testRouter, At: autoBoot.Add(-40 * time.Second), BootTime: autoBoot.Add(time.Second),
		PrevBootTime: autoBoot.Add(-48 * h), Gap: 15 * time.Second, Interval: 15 * time.Second, Online: 3}
)

func autoPlan(p Point) *Plan {
	return &Plan{Router: testRouter, Point: p, Entries: []Entry{
		{User: "alice", Lost: 10 * m, LimitNow: 2 * h, NewLimit: 2*h - 10*m},
		{User: "bob", Lost: 5 * m, Skip: SkipUnlimited},
		{User: "erin", Lost: 7 * m, LimitNow: h, NewLimit: h - 7*m},
	}}
}

// applyAll applies every restorable entry, except the users in fail (their write fails)
// and those in done (already in the ledger).
func applyAll(plan *Plan, fail map[string]bool, done ...string) *Result {
	res := &Result{Plan: plan}
	for _, e := range plan.Entries {
		o := Outcome{Entry: e}
		switch {
		case !e.Restored():
			res.Skipped++
		case strings.Contains(strings.Join(done, ","), e.User):
			o.Skip = SkipAlreadyRestored
			res.Skipped++
		case fail[e.User]:
			o.Error = "connection reset"
			res.Failed++
		default:
			o.Applied = true
			res.Applied++
			res.GivenBack += e.Lost
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res
}

// fakeClock is Auto's clock: Sleep moves it on at once and records the pauses.
type fakeClock struct {
	now    time.Time
	pauses []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.pauses = append(c.pauses, d)
	c.now = c.now.Add(d)
	return nil
}

func runAuto(t *testing.T, svc *fakeService, clock *fakeClock, limits Limits) *AutoReport {
	t.Helper()
	return Auto(context.Background(), svc, AutoOptions{
		Router: testRouter, BootTime: autoBoot, Wait: time.Minute, Poll: time.Second, MaxPoll: 8 * time.Second,
		Limits: limits, Now: clock.Now, Sleep: clock.Sleep,
	})
}

func TestAutoWaitsForTheRebootThenRestores(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	older := Point{Router: testRouter, BootTime: autoBoot.Add(-24 * h)}
	svc := &fakeService{points: func(try int) ([]Point, error) {
		if try < 4 {
			return []Point{older}, nil // Prometheus has not scraped the router since the boot
		}
		return []Point{autoPoint, older}, nil
	}}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoDone || rep.Tries != 4 || svc.applied != 1 || rep.Error != "" {
		t.Fatalf("status %s after %d tries, %d applies, error %q; want done after 4 tries, one apply", rep.Status, rep.Tries, svc.applied, rep.Error)
	}
	if !rep.Plan.Point.BootTime.Equal(autoPoint.BootTime) || rep.Result.Applied != 2 || rep.Result.GivenBack != 17*m {
		t.Errorf("restored %+v", rep.Result)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; fmt.Sprint(clock.pauses) != fmt.Sprint(want) {
		t.Errorf("pauses %v, want %v (doubling)", clock.pauses, want)
	}
}

func TestAutoNotSeenWithinTheWaitAsksForARetry(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{points: func(int) ([]Point, error) { return nil, nil }}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoRetry || svc.planned != 0 || svc.applied != 0 {
		t.Fatalf("status %s, %d plans, %d applies: want retry, nothing planned", rep.Status, svc.planned, svc.applied)
	}
	if !strings.Contains(rep.Error, "no reboot of hotspot-pasar booted at 2026-11-24T11:14:52Z") {
		t.Errorf("error %q", rep.Error)
	}
	// The wait is a bound: the pauses never run past it, and stop growing at MaxPoll.
	var slept time.Duration
	for _, p := range clock.pauses {
		slept += p
		if p > 8*time.Second {
			t.Errorf("pause %s above MaxPoll", p)
		}
	}
	if slept != time.Minute || rep.Tries != len(clock.pauses)+1 {
		t.Errorf("slept %s over %d tries (pauses %v), want exactly the minute's wait", slept, rep.Tries, clock.pauses)
	}
}

func TestAutoNotSeenLongAfterTheBootIsRefused(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(SeenWithin + time.Minute)} // a late delivery
	svc := &fakeService{points: func(int) ([]Point, error) {
		return []Point{{Router: testRouter, BootTime: autoBoot.Add(-24 * h)}}, nil
	}}
	if rep := runAuto(t, svc, clock, Limits{}); rep.Status != AutoRefused {
		t.Errorf("status %s, want refused: an hour after the boot the history has every reboot it will ever have", rep.Status)
	}
}

func TestAutoRetriesWhileUnreachable(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{
		points: func(try int) ([]Point, error) {
			if try == 1 {
				return nil, &Error{Failure: Unreachable, Err: errors.New("Prometheus: connection refused")}
			}
			return []Point{autoPoint}, nil
		},
		plan: func(try int, p Point) (*Plan, error) {
			if try == 2 {
				return nil, &Error{Failure: Unreachable, Err: errors.New("router hotspot-pasar: i/o timeout")}
			}
			return autoPlan(p), nil
		},
	}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoDone || rep.Tries != 3 || svc.applied != 1 {
		t.Errorf("status %s after %d tries, %d applies: want done on the third try", rep.Status, rep.Tries, svc.applied)
	}

	// Still unreachable at the end of the wait: retry later.
	clock = &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc = &fakeService{points: func(int) ([]Point, error) { return []Point{autoPoint}, nil },
		plan: func(int, Point) (*Plan, error) {
			return nil, &Error{Failure: Unreachable, Err: errors.New("router hotspot-pasar: connection refused")}
		}}
	rep = runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoRetry || svc.applied != 0 || !strings.Contains(rep.Error, "connection refused") {
		t.Errorf("status %s, %d applies, error %q: want retry", rep.Status, svc.applied, rep.Error)
	}
}

func TestAutoRefusedIsFinal(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{points: func(int) ([]Point, error) { return []Point{autoPoint}, nil },
		plan: func(int, Point) (*Plan, error) {
			return nil, &Error{Failure: Refused, Err: errors.New("Prometheus saw no failure before the boot")}
		}}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoRefused || rep.Tries != 1 || len(clock.pauses) != 0 || svc.applied != 0 {
		t.Errorf("status %s after %d tries: want refused at once", rep.Status, rep.Tries)
	}
	// Missing input is refused before anything is asked.
	rep = Auto(context.Background(), svc, AutoOptions{Router: testRouter})
	if rep.Status != AutoRefused || svc.tries != 1 {
		t.Errorf("no boot time: status %s", rep.Status)
	}
}

func TestAutoOverLimitsWritesNothing(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{points: func(int) ([]Point, error) { return []Point{autoPoint}, nil }}
	rep := runAuto(t, svc, clock, Limits{PerUser: 8 * m})
	if rep.Status != AutoOverLimits || svc.applied != 0 || rep.Tries != 1 {
		t.Fatalf("status %s, %d applies, %d tries: want over-limits, nothing applied, no retry", rep.Status, svc.applied, rep.Tries)
	}
	if len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], "alice: 10m to give back, above the limit of 8m per user") {
		t.Errorf("violations %q", rep.Violations)
	}
}

func TestAutoRetriesFailedWritesAndCountsTheEarlierOnes(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{
		points: func(int) ([]Point, error) { return []Point{autoPoint}, nil },
		apply: func(try int, plan *Plan) (*Result, error) {
			switch try {
			case 1: // erin's write fails
				return applyAll(plan, map[string]bool{"erin": true}), nil
			case 2: // another ronda-restore holds the ledger
				return nil, &Error{Failure: Incomplete, Err: ErrLocked}
			}
			return applyAll(plan, nil, "alice"), nil // the ledger has alice now
		},
	}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoDone || rep.Tries != 3 {
		t.Fatalf("status %s after %d tries (%s)", rep.Status, rep.Tries, rep.Error)
	}
	if rep.Result.Applied != 2 || rep.Result.Skipped != 1 || rep.Result.GivenBack != 17*m {
		t.Errorf("the run restored alice and erin (17m), got %d applied, %d skipped, %s", rep.Result.Applied, rep.Result.Skipped, rep.Result.GivenBack)
	}
}

// TestAutoAgainstARouterRestoresOnce runs Auto on the power-cut lab (a fake Prometheus, the
// simulated router): the second run, as a second delivery of the alert would, writes nothing.
func TestAutoAgainstARouterRestoresOnce(t *testing.T) {
	l := powerCutLab(t)
	clock := &fakeClock{now: after.Add(time.Minute)}
	opts := AutoOptions{Router: testRouter, BootTime: newBoot.Add(time.Second), Wait: time.Minute, Now: clock.Now, Sleep: clock.Sleep}
	rep := Auto(testCtx(t), l.r, opts)
	if rep.Status != AutoDone || rep.Result == nil || rep.Result.Applied == 0 {
		t.Fatalf("first run: %+v", rep)
	}
	writes := len(l.router.Writes())
	rep = Auto(testCtx(t), l.r, opts)
	if rep.Status != AutoDone || rep.Result.Applied != 0 {
		t.Errorf("second run: status %s, %d applied", rep.Status, rep.Result.Applied)
	}
	if n := len(l.router.Writes()); n != writes {
		t.Errorf("the second run wrote %d times", n-writes)
	}
}

// TestAutoReportKeepsTheUsersWritten: users written before the run ended refused or still
// to be retried (a write the router refused, a later try stopped before writing) stay in
// the report as restored, for the summary to name them.
func TestAutoReportKeepsTheUsersWritten(t *testing.T) {
	refusal := &Error{Failure: Refused, Err: errors.New("router hotspot-pasar refused to write limit-uptime for 1 user (erin)")}
	for _, tt := range []struct {
		name   string
		plan   func(try int, p Point) (*Plan, error)
		apply  func(try int, plan *Plan) (*Result, error)
		status AutoStatus
	}{
		{"a write refused in the same apply",
			nil,
			func(_ int, plan *Plan) (*Result, error) {
				res := applyAll(plan, map[string]bool{"erin": true})
				return res, refusal
			},
			AutoRefused},
		{"a later try refused before writing",
			func(try int, p Point) (*Plan, error) {
				if try > 1 {
					return nil, &Error{Failure: Refused, Err: errors.New("Prometheus answered with warnings")}
				}
				return autoPlan(p), nil
			},
			func(_ int, plan *Plan) (*Result, error) { return applyAll(plan, map[string]bool{"erin": true}), nil },
			AutoRefused},
		{"later tries unreachable until the wait ends",
			func(try int, p Point) (*Plan, error) {
				if try > 1 {
					return nil, &Error{Failure: Unreachable, Err: errors.New("router hotspot-pasar: connection refused")}
				}
				return autoPlan(p), nil
			},
			func(_ int, plan *Plan) (*Result, error) { return applyAll(plan, map[string]bool{"erin": true}), nil },
			AutoRetry},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
			svc := &fakeService{points: func(int) ([]Point, error) { return []Point{autoPoint}, nil }, plan: tt.plan, apply: tt.apply}
			rep := runAuto(t, svc, clock, Limits{})
			if rep.Status != tt.status {
				t.Errorf("status %s (%s), want %s", rep.Status, rep.Error, tt.status)
			}
			if rep.Result == nil || rep.Result.Applied != 1 || rep.Result.GivenBack != 10*m || !entryOfOutcomes(rep.Result, "alice").Applied {
				t.Errorf("result %+v, want alice restored", rep.Result)
			}
		})
	}
}

// TestAutoCountsAnUnconfirmedWriteFoundTakenAsRestored: a write of the first try whose
// reply was lost, which the next try finds in the ledger as taken (already-restored), was
// made by this run: the report counts it as restored now.
func TestAutoCountsAnUnconfirmedWriteFoundTakenAsRestored(t *testing.T) {
	clock := &fakeClock{now: autoBoot.Add(20 * time.Second)}
	svc := &fakeService{
		points: func(int) ([]Point, error) { return []Point{autoPoint}, nil },
		apply: func(try int, plan *Plan) (*Result, error) {
			if try == 1 {
				res := applyAll(plan, map[string]bool{"alice": true})
				for i, o := range res.Outcomes {
					if o.User == "alice" {
						res.Outcomes[i].Unconfirmed = true
					}
				}
				return res, nil
			}
			return applyAll(plan, nil, "alice", "erin"), nil
		},
	}
	rep := runAuto(t, svc, clock, Limits{})
	if rep.Status != AutoDone || rep.Tries != 2 {
		t.Fatalf("status %s after %d tries (%s)", rep.Status, rep.Tries, rep.Error)
	}
	alice := entryOfOutcomes(rep.Result, "alice")
	if rep.Result.Applied != 2 || rep.Result.Skipped != 1 || rep.Result.GivenBack != 17*m || !alice.Applied || alice.Error != "" || alice.Unconfirmed {
		t.Errorf("the run restored alice and erin (17m), got %d applied, %d skipped, %s; alice %+v",
			rep.Result.Applied, rep.Result.Skipped, rep.Result.GivenBack, alice)
	}
}
