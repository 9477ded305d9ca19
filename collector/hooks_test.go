package collector

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rondanet/ronda/config"
)

// probeLike is a kind that names its shared series itself and accepts ad-hoc targets, as
// the probe kind does.
type probeLike struct {
	*fakeCollector
	adHocScrape func(ctx context.Context, address string, ch chan<- prometheus.Metric) error
}

func (*probeLike) SeriesNames() SeriesNames {
	return SeriesNames{Up: "probe_success", UpHelp: "1 if the probe succeeded.", Duration: "probe_duration_seconds", Reason: "probe_failure_reason"}
}

func (p *probeLike) AdHoc(q url.Values) (*AdHocTarget, error) {
	switch module := q.Get("module"); module {
	case "":
		return nil, nil
	case "icmp":
		address := q.Get("target")
		return &AdHocTarget{Timeout: 3 * time.Second, Scrape: func(ctx context.Context, _ *slog.Logger, ch chan<- prometheus.Metric) error {
			return p.adHocScrape(ctx, address, ch)
		}}, nil
	default:
		return nil, errors.New("unknown module " + module)
	}
}

var adHocDesc = prometheus.NewDesc("probe_fake_address_length", "Length of the probed address.", nil, nil)

func newProbeLikeManager(t *testing.T, opts Options) (*Manager, *probeLike) {
	t.Helper()
	t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
	cfg, err := config.Parse([]byte(testConfig), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	p := &probeLike{fakeCollector: &fakeCollector{kind: "probe", scrape: sendsValue(1)}}
	p.adHocScrape = func(_ context.Context, address string, ch chan<- prometheus.Metric) error {
		ch <- prometheus.MustNewConstMetric(adHocDesc, prometheus.GaugeValue, float64(len(address)))
		return nil
	}
	m := NewManager(opts, p)
	m.ApplyConfig(cfg)
	return m, p
}

func TestSeriesNamerRenamesSharedSeries(t *testing.T) {
	m, p := newProbeLikeManager(t, Options{})
	p.adHocScrape = func(context.Context, string, chan<- prometheus.Metric) error {
		return Fail(ReasonConnect, errors.New("refused"))
	}
	rec := get(t, m.Handler("probe"), "/probe?target=192.0.2.1&module=icmp", nil)
	body := rec.Body.String()
	fams := parseExposition(t, body)
	if got, ok := fams["probe_success"]; !ok || got.values[""] != 0 {
		t.Errorf("probe_success: %v, want 0\n%s", got, body)
	}
	if _, ok := fams["probe_duration_seconds"]; !ok {
		t.Errorf("probe_duration_seconds missing\n%s", body)
	}
	if got := fams["probe_failure_reason"].values["reason=connect"]; got != 1 {
		t.Errorf("probe_failure_reason{reason=connect} = %v, want 1\n%s", got, body)
	}
	for _, old := range []string{"probe_up", "probe_scrape_duration_seconds", "probe_scrape_failure_reason"} {
		if _, ok := fams[old]; ok {
			t.Errorf("default name %s still exported", old)
		}
	}
	for _, help := range []string{"# HELP probe_success 1 if the probe succeeded.", "# HELP probe_duration_seconds How long the scrape"} {
		if !strings.Contains(body, help) {
			t.Errorf("missing %q in\n%s", help, body)
		}
	}
}

func TestAdHocTargets(t *testing.T) {
	m, _ := newProbeLikeManager(t, Options{})
	h := m.Handler("probe")

	rec := get(t, h, "/probe?target=192.0.2.77&module=icmp", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("ad-hoc target: status %d: %s", rec.Code, rec.Body)
	}
	fams := parseExposition(t, rec.Body.String())
	if got := fams["probe_fake_address_length"].values[""]; got != float64(len("192.0.2.77")) {
		t.Errorf("the ad-hoc scrape did not get the address from the query: %v", got)
	}
	if got := fams["probe_success"].values[""]; got != 1 {
		t.Errorf("probe_success = %v, want 1", got)
	}
	recent := m.Recent()
	if len(recent) != 1 || recent[0].Target != "192.0.2.77" || !recent[0].AdHoc {
		t.Errorf("recent scrapes: %+v, want the ad-hoc one", recent)
	}
	if _, ok := m.Latest("192.0.2.77"); ok {
		t.Error("an ad-hoc target entered the per-target history, which only configured targets may grow")
	}

	for _, tc := range []struct {
		url        string
		wantStatus int
		wantBody   string
	}{
		{"/probe?target=192.0.2.77", http.StatusNotFound, `unknown probe target "192.0.2.77"`},
		{"/probe?target=192.0.2.77&module=nope", http.StatusBadRequest, "unknown module nope"},
		{"/probe?module=icmp", http.StatusBadRequest, "missing ?target="},
	} {
		rec := get(t, h, tc.url, nil)
		if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.wantBody) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.url, rec.Code, rec.Body, tc.wantStatus, tc.wantBody)
		}
	}
	if got := testutil.ToFloat64(m.metrics.badRequests.WithLabelValues("probe")); got != 3 {
		t.Errorf("bad requests counted: %v, want 3", got)
	}
}

func TestAdHocTimeoutCapsTheScrape(t *testing.T) {
	m, p := newProbeLikeManager(t, Options{DefaultTimeout: time.Minute})
	var deadline time.Duration
	p.adHocScrape = func(ctx context.Context, _ string, _ chan<- prometheus.Metric) error {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return nil
	}
	get(t, m.Handler("probe"), "/probe?target=192.0.2.1&module=icmp", nil)
	if deadline <= 0 || deadline > 3*time.Second {
		t.Errorf("scrape deadline %v, want at most the ad-hoc target's 3s", deadline)
	}
}

func TestKindWithoutAdHocKeeps404(t *testing.T) {
	m, _, _ := newTestManager(t, sendsValue(1))
	rec := get(t, m.Handler("mikrotik"), "/mikrotik?target=192.0.2.1&module=icmp", nil)
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404 for a kind without ad-hoc targets", rec.Code)
	}
}

// holdTheSlot starts a probe of 192.0.2.1 that holds the only slot (Options.MaxConcurrent
// 1) until release is called; started receives every probe that starts, that one first.
// wait waits for it to end.
func holdTheSlot(t *testing.T, p *probeLike, h http.Handler) (started <-chan struct{}, release, wait func()) {
	t.Helper()
	starts, released := make(chan struct{}, 2), make(chan struct{})
	p.adHocScrape = func(_ context.Context, address string, _ chan<- prometheus.Metric) error {
		starts <- struct{}{}
		if address == "192.0.2.1" {
			<-released
		}
		return nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { get(t, h, "/probe?target=192.0.2.1&module=icmp", nil) })
	<-starts
	return starts, func() { close(released) }, wg.Wait
}

func TestMaxConcurrentWaitsForASlotWithinTheDeadline(t *testing.T) {
	m, p := newProbeLikeManager(t, Options{MaxConcurrent: 1})
	h := m.Handler("probe")
	started, release, wait := holdTheSlot(t, p, h)

	// The second waits, and gives up at its deadline as a timeout without ever starting.
	rec := get(t, h, "/probe?target=192.0.2.2&module=icmp", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"0.3"}})
	fams := parseExposition(t, rec.Body.String())
	if fams["probe_success"].values[""] != 0 || fams["probe_failure_reason"].values["reason=timeout"] != 1 {
		t.Errorf("a probe that found no free slot: %s", rec.Body)
	}
	if got := testutil.ToFloat64(m.metrics.slotWaits.WithLabelValues("probe")); got != 1 {
		t.Errorf("slot waits counted: %v, want 1", got)
	}
	select {
	case <-started:
		t.Error("the second probe ran although the only slot was busy")
	default:
	}

	// Once the slot is free again, probes run.
	release()
	wait()
	rec = get(t, h, "/probe?target=192.0.2.3&module=icmp", nil)
	if fams := parseExposition(t, rec.Body.String()); fams["probe_success"].values[""] != 1 {
		t.Errorf("after the slot was released: %s", rec.Body)
	}
}

// TestSlotWaitIsNotScrapeTime: a probe that waited for a free slot reports its own time
// as probe_duration_seconds, not the wait (blackbox_exporter's meaning, and what latency
// alerts on it assume).
func TestSlotWaitIsNotScrapeTime(t *testing.T) {
	m, p := newProbeLikeManager(t, Options{MaxConcurrent: 1})
	h := m.Handler("probe")
	_, release, wait := holdTheSlot(t, p, h)
	const waited = 500 * time.Millisecond
	go func() { // once the second probe waits for the slot, wait a while, then free it
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if testutil.ToFloat64(m.metrics.slotWaits.WithLabelValues("probe")) == 1 {
				break
			}
		}
		time.Sleep(waited)
		release()
	}()
	rec := get(t, h, "/probe?target=192.0.2.2&module=icmp", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"10"}})
	wait()
	fams := parseExposition(t, rec.Body.String())
	if fams["probe_success"].values[""] != 1 {
		t.Fatalf("the waiting probe: %s", rec.Body)
	}
	if took := fams["probe_duration_seconds"].values[""]; took >= waited.Seconds() {
		t.Errorf("probe_duration_seconds %v: the %v waited for a slot counted as the probe's", took, waited)
	}
}

// batchLike is a BatchCollector that may say it keeps its deadline.
type batchLike struct {
	*fakeCollector
	keeps      bool
	scrapeInto func(ctx context.Context, b *Batch) error
}

func (c *batchLike) KeepsDeadline() bool { return c.keeps }

func (c *batchLike) ScrapeBatch(ctx context.Context, _ string, _ *slog.Logger, b *Batch) error {
	return c.scrapeInto(ctx, b)
}

// onHandlerGoroutine reports whether the caller runs on the goroutine serving the request
// (serveScrape is on its stack) rather than on one the framework started for the scrape.
func onHandlerGoroutine() bool {
	buf := make([]byte, 64<<10)
	return strings.Contains(string(buf[:runtime.Stack(buf, false)]), ".(*Manager).serveScrape(")
}

// TestDeadlineKeeperRunsInline: a BatchCollector that keeps its deadline is scraped on the
// request's goroutine, one that does not (or says false) on a guarded goroutine of its
// own, and both answer the same series; a keeper that runs out of time still answers by
// its deadline with reason timeout.
func TestDeadlineKeeperRunsInline(t *testing.T) {
	t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
	cfg, err := config.Parse([]byte(testConfig), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	fam := NewFamily("mikrotik_fake_value", "A value.", prometheus.GaugeValue)
	for _, keeps := range []bool{true, false} {
		var inline bool
		c := &batchLike{fakeCollector: &fakeCollector{kind: "mikrotik"}, keeps: keeps}
		c.scrapeInto = func(ctx context.Context, b *Batch) error {
			inline = onHandlerGoroutine()
			b.Add(fam, 3)
			return nil
		}
		m := NewManager(Options{}, c)
		m.ApplyConfig(cfg)
		rec := get(t, m.Handler("mikrotik"), "/mikrotik?target=router-a", nil)
		if inline != keeps {
			t.Errorf("KeepsDeadline %v: ran on the handler's goroutine: %v", keeps, inline)
		}
		fams := parseExposition(t, rec.Body.String())
		if fams["mikrotik_fake_value"].values[""] != 3 || fams["mikrotik_up"].values[""] != 1 {
			t.Errorf("KeepsDeadline %v: answer\n%s", keeps, rec.Body)
		}
		_ = m.Close()
	}

	// A keeper whose wait is bound to ctx: the deadline ends it, and the answer says so.
	c := &batchLike{fakeCollector: &fakeCollector{kind: "mikrotik"}, keeps: true}
	c.scrapeInto = func(ctx context.Context, b *Batch) error {
		b.Add(fam, 1)
		<-ctx.Done()
		return Fail(ReasonTimeout, ctx.Err())
	}
	m := NewManager(Options{}, c)
	defer m.Close()
	m.ApplyConfig(cfg)
	start := time.Now()
	rec := get(t, m.Handler("mikrotik"), "/mikrotik?target=router-a", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"0.6"}})
	if took := time.Since(start); took > 600*time.Millisecond+10*time.Second { // slack for a loaded machine
		t.Errorf("answered after %v, long past the 0.6s deadline", took)
	}
	fams := parseExposition(t, rec.Body.String())
	if fams["mikrotik_up"].values[""] != 0 || fams["mikrotik_scrape_failure_reason"].values["reason=timeout"] != 1 {
		t.Errorf("want up 0 with reason timeout, got:\n%s", rec.Body)
	}
}
