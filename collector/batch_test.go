package collector

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// batchCollector is a kind that implements both paths: ScrapeBatch, which the framework
// uses, and Scrape on top of it.
type batchCollector struct {
	*fakeCollector
	batch func(ctx context.Context, target string, b *Batch) error
}

func (c *batchCollector) ScrapeBatch(ctx context.Context, target string, _ *slog.Logger, b *Batch) error {
	return c.batch(ctx, target, b)
}

// manyFamilies are more families than writeText scans linearly, in an order that is not
// their names' order.
var manyFamilies = func() []*Family {
	var fams []*Family
	for i := range 24 {
		fams = append(fams, NewFamily(fmt.Sprintf("mikrotik_fam_%02d", (i*7)%24), "A family.", prometheus.GaugeValue, "user", "pon"))
	}
	return fams
}()

// addMany adds series of every family, interleaved, with values and labels that say which
// series they are, some needing escapes.
func addMany(add func(f *Family, v float64, labels ...string)) {
	for u := range 40 {
		for k, f := range manyFamilies {
			add(f, float64(u*100+k)+0.25, fmt.Sprintf("user \"%d\"\n", u), `0\1`)
		}
	}
	add(testPlain, 1)
}

func newBatchManager(t *testing.T, batched bool) *Manager {
	t.Helper()
	m, fake, _ := newTestManager(t, func(_ context.Context, _ string, _ *slog.Logger, ch chan<- prometheus.Metric) error {
		addMany(func(f *Family, v float64, labels ...string) { ch <- f.Sample(v, labels...) })
		return nil
	})
	if !batched {
		return m
	}
	bc := &batchCollector{fakeCollector: fake, batch: func(_ context.Context, _ string, b *Batch) error {
		addMany(b.Add)
		return nil
	}}
	m2 := NewManager(Options{}, bc)
	m2.ApplyConfig(m.Config())
	return m2
}

// The batch path and the channel path answer with the same bytes, apart from the scrape's
// own duration.
func TestBatchAndChannelPathsWriteTheSameText(t *testing.T) {
	withoutDuration := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "mikrotik_scrape_duration_seconds ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	channel := get(t, newBatchManager(t, false).Handler("mikrotik"), "/mikrotik?target=router-a", nil).Body.String()
	batched := get(t, newBatchManager(t, true).Handler("mikrotik"), "/mikrotik?target=router-a", nil).Body.String()
	if withoutDuration(channel) != withoutDuration(batched) {
		t.Errorf("the two paths differ\nchannel:\n%s\nbatch:\n%s", channel, batched)
	}
	// And both are what client_golang writes for the same series.
	var metrics []prometheus.Metric
	addMany(func(f *Family, v float64, labels ...string) { metrics = append(metrics, f.Sample(v, labels...)) })
	var mine []string
	for _, l := range canonical(t, batched) {
		if !strings.HasPrefix(l, "mikrotik_up") && !strings.HasPrefix(l, "mikrotik_scrape") {
			mine = append(mine, l)
		}
	}
	if want := canonical(t, registryText(t, metrics)); !slices.Equal(mine, want) {
		t.Errorf("batch text differs from client_golang's\ngot:\n%s\nwant:\n%s", strings.Join(mine, "\n"), strings.Join(want, "\n"))
	}
}

// Batches are pooled: a small scrape after a large one carries its own series only.
func TestPooledBatchesStartEmpty(t *testing.T) {
	big := true
	m, fake, _ := newTestManager(t, nil)
	bc := &batchCollector{fakeCollector: fake, batch: func(_ context.Context, _ string, b *Batch) error {
		if big {
			addMany(b.Add)
		}
		b.Add(testCounter, 7, "only")
		return nil
	}}
	m2 := NewManager(Options{}, bc)
	m2.ApplyConfig(m.Config())
	for range 3 {
		get(t, m2.Handler("mikrotik"), "/mikrotik?target=router-a", nil)
	}
	big = false
	for range 3 {
		body := get(t, m2.Handler("mikrotik"), "/mikrotik?target=router-a", nil).Body.String()
		if strings.Contains(body, "mikrotik_fam_") || strings.Count(body, "test_events_total{") != 1 {
			t.Fatalf("series of an earlier scrape leaked into this one:\n%s", body)
		}
	}
}

// A batch with a series that is not a Sample answers through the registry, which still
// writes every series.
func TestBatchWithOtherMetricsUsesTheRegistry(t *testing.T) {
	m, fake, _ := newTestManager(t, nil)
	bc := &batchCollector{fakeCollector: fake, batch: func(_ context.Context, target string, b *Batch) error {
		b.Add(testCounter, 3, "x")
		b.AddMetric(prometheus.MustNewConstMetric(fakeDesc, prometheus.GaugeValue, 5, target))
		return nil
	}}
	m2 := NewManager(Options{}, bc)
	m2.ApplyConfig(m.Config())
	body := get(t, m2.Handler("mikrotik"), "/mikrotik?target=router-a", nil).Body.String()
	for _, want := range []string{`test_events_total{kind="x"} 3`, `mikrotik_fake_value{target="router-a"} 5`, "mikrotik_up 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
}

// A batch collector that ignores its deadline is abandoned like a channel one.
func TestMisbehavingBatchCollectorIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	m, fake, _ := newTestManager(t, nil)
	bc := &batchCollector{fakeCollector: fake, batch: func(context.Context, string, *Batch) error {
		<-release
		return nil
	}}
	m2 := NewManager(Options{}, bc)
	m2.ApplyConfig(m.Config())
	rec := get(t, m2.Handler("mikrotik"), "/mikrotik?target=router-a", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"0.6"}})
	fams := parseExposition(t, rec.Body.String())
	if fams["mikrotik_up"].values[""] != 0 || fams["mikrotik_scrape_failure_reason"].values["reason=timeout"] != 1 {
		t.Errorf("want up 0 with reason timeout, got:\n%s", rec.Body)
	}
}

// Send gives a batch's series to a channel, for Scrape built on ScrapeBatch.
func TestBatchSend(t *testing.T) {
	var b Batch
	b.Add(testCounter, 1, "a")
	b.Add(testPlain, 2)
	ch := make(chan prometheus.Metric, 4)
	b.Send(ch)
	close(ch)
	var got []string
	for m := range ch {
		got = append(got, m.Desc().String())
	}
	if len(got) != 2 || !strings.Contains(got[0], "test_events_total") || !strings.Contains(got[1], "test_up") {
		t.Errorf("sent %v", got)
	}
}

// Add keeps a shared slice as it is (the caller's values are never changed), the written
// text repairs its invalid UTF-8 every time, and a wrong count is refused.
func TestBatchAddSharedSlice(t *testing.T) {
	var b Batch
	shared := []string{"Caf\xe9", "ok"}
	b.Add(testGauge, 1, shared...)
	b.Add(testGauge, 2, shared...)
	var out strings.Builder
	w := bufio.NewWriter(&out)
	if err := writeText(w, &b); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	if n := strings.Count(out.String(), `user="Caf`+"\uFFFD"+`"`); n != 2 {
		t.Errorf("%d series with the repaired label, want 2:\n%s", n, out.String())
	}
	if shared[0] != "Caf\xe9" {
		t.Errorf("caller's slice changed to %q", shared[0])
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a family with another label count")
		}
	}()
	b.Add(testCounter, 3, shared...) // test_events_total has one label
}
