package restore

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/promapi"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

func TestPlanRefusesUntrustworthyHistory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metric   string // served from a recorded answer
		file     string
		status   int
		failure  Failure
		contains string
	}{
		{"thanos warnings", metricUserUptime, "warnings-thanos.json", 200, Refused, "may be incomplete"},
		{"victoriametrics partial", metricActiveUptime, "partial-victoriametrics.json", 200, Refused, "partial"},
		{"query timeout", metricUserLimit, "error-timeout.json", 503, Refused, "query timed out"},
		{"broken proxy", metricUp, "not-json.html", 502, Unreachable, "502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := powerCutLab(t)
			p := onlyPoint(t, l)
			l.prom.serveFixture(tc.metric, tc.file, tc.status)
			_, err := l.r.Plan(testCtx(t), p, PlanOptions{})
			if err == nil || FailureOf(err) != tc.failure || !strings.Contains(err.Error(), tc.contains) || !strings.Contains(err.Error(), tc.metric) {
				t.Fatalf("got %v (%v), want %v naming %s and containing %q", err, FailureOf(err), tc.failure, tc.metric, tc.contains)
			}
		})
	}
}

func TestPointsRefuseWarnings(t *testing.T) {
	l := powerCutLab(t)
	l.prom.serveFixture(metricBootTime, "warnings-thanos.json", 200)
	_, err := l.r.Points(testCtx(t), testRouter, t0, after)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
}

func TestNoSamplesForTheRouter(t *testing.T) {
	l := newLab(t, "all")
	_, err := l.r.Points(testCtx(t), testRouter, t0, after)
	if err == nil || FailureOf(err) != Refused || !strings.Contains(err.Error(), `instance label "hotspot-pasar"`) {
		t.Fatalf("got %v", err)
	}
	_, err = l.r.PointAt(testCtx(t), testRouter, after)
	if err == nil || !strings.Contains(err.Error(), "no successful scrape") {
		t.Fatalf("PointAt: got %v", err)
	}
	_, err = l.r.Plan(testCtx(t), Point{Router: testRouter, At: at}, PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "no successful scrape of hotspot-pasar at exactly") {
		t.Fatalf("Plan: got %v", err)
	}
	if _, err := l.r.Points(testCtx(t), "nope", t0, after); err == nil || !strings.Contains(err.Error(), "hotspot-pasar") {
		t.Fatalf("unknown router: %v", err)
	}
}

func TestUnbridgedGap(t *testing.T) {
	l := newLab(t, "all")
	l.addUsers(t, routerNow...)
	// Prometheus itself was down from the last scrape until well after the boot.
	for i := range 5 {
		l.prom.scrape(t0.Add(time.Duration(i)*interval), oldBoot, hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h, session: 10 * m, online: true})
	}
	back := at.Add(10 * m)
	l.prom.scrape(back, at.Add(5*m), hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h})
	points, err := l.r.Points(testCtx(t), testRouter, t0, back.Add(m))
	if err != nil || len(points) != 1 {
		t.Fatalf("points %+v, %v", points, err)
	}
	p := points[0]
	if p.Bridged() || p.Gap != 10*m {
		t.Fatalf("point %+v: want an unbridged 10m gap", p)
	}
	_, err = l.r.Plan(testCtx(t), p, PlanOptions{})
	if err == nil || FailureOf(err) != Refused || !strings.Contains(err.Error(), "--max-gap") {
		t.Fatalf("got %v", err)
	}
	plan, err := l.r.Plan(testCtx(t), p, PlanOptions{MaxGap: 15 * m})
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, plan, "alice"); e.Lost != 10*m {
		t.Errorf("alice %+v", e)
	}
}

func TestAnInstantReturnNeedsNoFailedScrape(t *testing.T) {
	// The router was back before the next scrape: no failed scrape, the gap is one
	// interval, well within twice the interval.
	l := newLab(t, "all")
	l.addUsers(t, routerNow...)
	for i := range 5 {
		l.prom.scrape(t0.Add(time.Duration(i)*interval), oldBoot, hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h, session: 10 * m, online: true})
	}
	l.prom.scrape(at.Add(interval), at.Add(5*time.Second), hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h})
	p := onlyPoint(t, l)
	if p.Bridged() || p.Gap != interval {
		t.Fatalf("point %+v", p)
	}
	if _, err := l.r.Plan(testCtx(t), p, PlanOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestMissingPerUserSeries(t *testing.T) {
	l := newLab(t, "limited")
	l.addUsers(t, routerNow...)
	for i := range 5 {
		l.prom.scrape(t0.Add(time.Duration(i)*interval), oldBoot, hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h, session: 10 * m, online: true})
		// A session series without its user series.
		l.prom.add(metricActiveUptime, "bob", t0.Add(time.Duration(i)*interval), 60)
	}
	l.prom.failedScrape(at.Add(interval))
	l.prom.scrape(after, newBoot, hotspotUser{name: "alice", uptime: 30 * m, limit: 2 * h})
	_, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "bob") || !strings.Contains(err.Error(), "hotspot_users: limited") {
		t.Fatalf("got %v", err)
	}

	none := newLab(t, "none")
	_, err = none.r.Plan(testCtx(t), Point{Router: testRouter, At: at}, PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "hotspot_users: none") {
		t.Fatalf("none: got %v", err)
	}
}

func TestPointsAcrossChunksJitterAndSeveralReboots(t *testing.T) {
	l := newLab(t, "all")
	start := t0.Add(-48 * time.Hour)
	boot := start.Add(-time.Hour)
	var reboots []time.Time
	for i := range 48 * 60 { // a scrape a minute for two days
		ts := start.Add(time.Duration(i) * time.Minute)
		switch i {
		case 600, 2000: // reboots, each with two failed scrapes
			reboots = append(reboots, ts.Add(-time.Minute))
			l.prom.failedScrape(ts)
			l.prom.failedScrape(ts.Add(20 * time.Second))
			boot = ts.Add(30 * time.Second)
			continue
		}
		jitter := time.Duration(i%3) * time.Second // the exporter's ±1-2s
		l.prom.scrape(ts, boot.Add(jitter))
	}
	r := l.r
	r.opts.ChunkSize = 5 * time.Hour
	points, err := r.Points(testCtx(t), testRouter, start.Add(-time.Hour), start.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 2 || !points[0].At.Equal(reboots[1]) || !points[1].At.Equal(reboots[0]) {
		t.Fatalf("points %+v, want the reboots after %v newest first", points, reboots)
	}
	if points[0].Gap != time.Minute || !points[0].Bridged() || points[0].Interval != time.Minute {
		t.Errorf("point %+v", points[0])
	}
	chunks := 0
	for _, q := range l.prom.queries {
		if strings.HasPrefix(q, metricBootTime) {
			chunks++
			if !strings.HasSuffix(q, "[18000000ms]") && !strings.HasSuffix(q, "[14400000ms]") {
				t.Errorf("query %s: chunks of 5h, the last one shorter", q)
			}
		}
	}
	if chunks != 10 {
		t.Errorf("%d chunk queries for 49h in 5h chunks, want 10", chunks)
	}
}

func TestRouterUnreachable(t *testing.T) {
	l := powerCutLab(t)
	p := onlyPoint(t, l)
	l.router.PowerOff()
	_, err := l.r.Plan(testCtx(t), p, PlanOptions{})
	if err == nil || FailureOf(err) != Unreachable {
		t.Fatalf("got %v (%v)", err, FailureOf(err))
	}
}

func TestPrometheusUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	client, err := promapi.New(promapi.Options{URL: "http://" + addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, "all")
	r := l.restorer(t, client)
	_, err = r.Points(testCtx(t), testRouter, t0, after)
	var qe *promapi.Error
	if !errors.As(err, &qe) || FailureOf(err) != Unreachable {
		t.Fatalf("got %v", err)
	}
}

func TestCleanRebootRestoresNobody(t *testing.T) {
	// A reboot from Winbox logs every session out properly: the first scrape after the
	// boot shows each session added to the stored uptime.
	l := newLab(t, "all")
	users := []hotspotUser{
		{name: "alice", uptime: 30 * m, limit: 2 * h, session: 10 * m, online: true},
		{name: "erin", uptime: 0, limit: h, session: 7 * m, online: true},
	}
	for i := range 5 {
		l.prom.scrape(t0.Add(time.Duration(i)*interval), oldBoot, users...)
	}
	l.prom.failedScrape(at.Add(interval))
	l.prom.scrape(after, newBoot,
		hotspotUser{name: "alice", uptime: 40 * m, limit: 2 * h},
		hotspotUser{name: "erin", uptime: 7 * m, limit: h})
	l.addUsers(t, sim.User{Name: "alice", Uptime: 40 * m, LimitUptime: 2 * h}, sim.User{Name: "erin", Uptime: 7 * m, LimitUptime: h})
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range plan.Entries {
		if e.Skip != SkipUptimeGrew {
			t.Errorf("%s: %+v, want uptime-grew", e.User, e)
		}
	}
	res, err := l.r.Apply(testCtx(t), plan, nil)
	if err != nil || res.Applied != 0 || len(l.router.Writes()) != 0 {
		t.Errorf("apply: %+v, %v, writes %+v", res, err, l.router.Writes())
	}
}

// TestAWriteTheRouterRefusesIsARefusal: a write the router refuses (an API user without
// the write policy) will be refused again however often it is tried, so it is a refusal
// with the router's reason (the CLI's exit 1), not a failure to retry (exit 2, or auto
// retrying until the alert is too old).
func TestAWriteTheRouterRefusesIsARefusal(t *testing.T) {
	l := powerCutLab(t)
	l.throughWriteRefusingAPI(t)
	plan, err := l.r.Plan(testCtx(t), onlyPoint(t, l), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.r.Apply(testCtx(t), plan, nil)
	if FailureOf(err) != Refused || !strings.Contains(fmt.Sprint(err), "not enough permissions (9)") || !strings.Contains(fmt.Sprint(err), "write policy") {
		t.Errorf("apply: %v (%v), want a refusal with the router's reason", err, FailureOf(err))
	}
	if res == nil || res.Failed != 1 || !strings.Contains(entryOfOutcomes(res, "alice").Error, "not enough permissions") {
		t.Errorf("result %+v", res)
	}

	clock := &fakeClock{now: after.Add(time.Minute)}
	rep := Auto(testCtx(t), l.r, AutoOptions{Router: testRouter, BootTime: newBoot, Wait: time.Minute, Now: clock.Now, Sleep: clock.Sleep})
	if rep.Status != AutoRefused || rep.Tries != 1 || !strings.Contains(rep.Error, "not enough permissions (9)") {
		t.Errorf("auto: status %s after %d tries: %s", rep.Status, rep.Tries, rep.Error)
	}
	if w := l.router.Writes(); len(w) != 0 {
		t.Errorf("writes %+v", w)
	}
}
