package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rondanet/ronda/restore"
)

// fakeService is a Service over fixed data, with a ledger like the real one: a user
// restored for a point is skipped as already restored afterwards.
type fakeService struct {
	mu      sync.Mutex
	routers []string
	points  map[string][]restore.Point // as the history has them, any order
	entries map[string][]restore.Entry // the plan of every point of a router
	fail    map[string]bool            // users whose write fails
	ledger  map[string]bool            // router/user/at
	// refuse are users whose write the router refuses (a !trap): as the Restorer does,
	// Apply goes on with the rest, then returns a Refused error along with the Result.
	refuse map[string]bool

	pointsErr, pointAtErr, planErr, applyErr error
	applyHook                                func(ctx context.Context) // called first in Apply

	pointAtCalls []time.Time
	planPoints   []restore.Point
	plans        []*restore.Plan // every plan returned, in order
	applied      []*restore.Plan // every plan Apply was given
	applyCtxErr  error           // the context's error when Apply returned
}

var _ restore.Service = (*fakeService)(nil)

func (f *fakeService) Routers() []string { return f.routers }

func (f *fakeService) Points(_ context.Context, router string, from, to time.Time) ([]restore.Point, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pointsErr != nil {
		return nil, f.pointsErr
	}
	var out []restore.Point
	for _, p := range f.points[router] {
		if p.At.After(from) && !p.At.After(to) {
			out = append(out, p)
		}
	}
	return out, nil
}

// scrapeInterval is the fake history's grid.
const scrapeInterval = 30 * time.Second

func (f *fakeService) PointAt(_ context.Context, router string, at time.Time) (restore.Point, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pointAtCalls = append(f.pointAtCalls, at)
	if f.pointAtErr != nil {
		return restore.Point{}, f.pointAtErr
	}
	return restore.Point{Router: router, At: at.Truncate(scrapeInterval), Online: len(f.entries[router]), Gap: scrapeInterval}, nil
}

func ledgerKey(router, user string, at time.Time) string {
	return router + "/" + user + "/" + at.UTC().String()
}

func (f *fakeService) Plan(_ context.Context, p restore.Point, opts restore.PlanOptions) (*restore.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planPoints = append(f.planPoints, p)
	if f.planErr != nil {
		return nil, f.planErr
	}
	if !p.Bridged() && p.Gap > max(opts.MaxGap, 2*scrapeInterval) {
		return nil, &restore.Error{Failure: restore.Refused, Err: errors.New("no sample between the restore point and the boot: allow it with a larger --max-gap")}
	}
	plan := &restore.Plan{Router: p.Router, Point: p, PlannedAt: p.At.Add(time.Hour)}
	for _, e := range f.entries[p.Router] {
		if e.Skip == restore.SkipLimitChanged && opts.Force {
			e.Skip, e.SkipDetail = "", ""
		}
		if e.Restored() && f.ledger[ledgerKey(p.Router, e.User, p.At)] {
			e.Skip = restore.SkipAlreadyRestored
		}
		plan.Entries = append(plan.Entries, e)
	}
	f.plans = append(f.plans, plan)
	return plan, nil
}

func (f *fakeService) Apply(ctx context.Context, plan *restore.Plan, progress func(done, total int)) (*restore.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, plan)
	if f.applyHook != nil {
		f.applyHook(ctx)
	}
	defer func() { f.applyCtxErr = ctx.Err() }()
	if f.applyErr != nil {
		return nil, f.applyErr
	}
	if !slices.Contains(f.plans, plan) {
		return nil, errors.New("fake: Apply was given a plan Plan did not make")
	}
	if f.ledger == nil {
		f.ledger = map[string]bool{}
	}
	res := &restore.Result{Plan: plan}
	var refused []string
	for i, e := range plan.Entries {
		o := restore.Outcome{Entry: e}
		switch {
		case !e.Restored():
			res.Skipped++
		case f.fail[e.User]:
			o.Error = "router hotspot-1: !trap: failure: connection lost"
			res.Failed++
		case f.refuse[e.User]:
			o.Error = "/ip/hotspot/user/set: router refused the command: failure: invalid value"
			res.Failed++
			refused = append(refused, e.User)
		default:
			o.Applied = true
			res.Applied++
			res.GivenBack += e.Lost
			f.ledger[ledgerKey(plan.Router, e.User, plan.Point.At)] = true
		}
		res.Outcomes = append(res.Outcomes, o)
		if progress != nil {
			progress(i+1, len(plan.Entries))
		}
	}
	if len(refused) > 0 {
		return res, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("router %s refused to write limit-uptime for %s (%s): running again as is will not help",
			plan.Router, restore.Users(len(refused)), strings.Join(refused, ", "))}
	}
	return res, nil
}

func (f *fakeService) applyCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.applied)
}

// The fixture: two routers; hotspot-1 lost power twice in the last days.
var (
	wib   = time.FixedZone("WIB", 7*3600)
	now   = time.Date(2026, 11, 24, 20, 0, 0, 0, wib)
	cutA  = time.Date(2026, 11, 24, 18, 14, 30, 250e6, wib) // the newer power cut's restore point
	bootA = time.Date(2026, 11, 24, 18, 21, 7, 0, wib)
	cutB  = time.Date(2026, 11, 22, 9, 2, 0, 0, wib)
	bootB = time.Date(2026, 11, 22, 9, 40, 0, 0, wib)
	cutC  = time.Date(2026, 11, 10, 9, 2, 0, 0, wib) // outside the default 7-day window
	bootC = time.Date(2026, 11, 10, 9, 3, 0, 0, wib)
)

func fixture() *fakeService {
	h, m, s := time.Hour, time.Minute, time.Second
	return &fakeService{
		routers: []string{"hotspot-1", "hotspot-2"},
		points: map[string][]restore.Point{"hotspot-1": {
			// Older first: the page must show the newest first whatever it is given.
			{Router: "hotspot-1", At: cutC, BootTime: bootC, Online: 1, Gap: 30 * s},
			{Router: "hotspot-1", At: cutB, BootTime: bootB, Online: 2, Gap: 45 * s},
			{Router: "hotspot-1", At: cutA, BootTime: bootA, Online: 5, Gap: 30 * s},
		}},
		entries: map[string][]restore.Entry{"hotspot-1": {
			{User: "alice", ID: "*1", UptimeThen: 2 * h, SessionThen: 40 * m, Used: 2*h + 40*m, UptimeNow: 2 * h, Lost: 40 * m,
				LimitThen: 5 * h, LimitNow: 5 * h, NewLimit: 4*h + 20*m},
			{User: "budi", ID: "*2", UptimeThen: 0, SessionThen: 1*h + 5*s, Used: 1*h + 5*s, Lost: 1*h + 5*s,
				LimitThen: 24 * h, LimitNow: 24 * h, NewLimit: 22*h + 59*m + 55*s},
			{User: "citra", ID: "*3", SessionThen: 10 * m, Used: 10 * m, Skip: restore.SkipUnlimited},
			{User: "dewi", ID: "*4", UptimeThen: h, SessionThen: 3 * m, Used: h + 3*m, UptimeNow: h, Lost: 3 * m,
				LimitThen: 3 * h, LimitNow: 6 * h, NewLimit: 6*h - 3*m, Skip: restore.SkipLimitChanged, SkipDetail: "3h then, 6h now"},
			{User: "vc-7731", ID: "*5", LimitThen: s, LimitNow: s, Skip: restore.SkipExpired},
		}},
	}
}
