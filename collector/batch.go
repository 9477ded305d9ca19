package collector

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// BatchCollector is implemented by a Collector that can append its series to a Batch
// instead of sending them on a channel. The framework then uses ScrapeBatch for every
// scrape: a large scrape (an OLT's 4,000 series, a host's 150) saves a channel send, a
// goroutine hand-off and an allocation per series. Scrape stays for everything else that
// takes prometheus.Metrics (tests with client_golang's testutil).
type BatchCollector interface {
	Collector
	// ScrapeBatch has Scrape's contract, with b in place of the channel: the collector
	// must not touch b after it returned.
	ScrapeBatch(ctx context.Context, target string, logger *slog.Logger, b *Batch) error
}

// DeadlineKeeper is implemented by a BatchCollector whose ScrapeBatch returns by its
// context's deadline by construction: every wait in it is bound to ctx (locks taken in a
// select with ctx.Done(), network calls made with ctx or a connection deadline from it)
// and the rest is work bounded by its input (a page of at most a few MB). The framework
// then runs its scrapes on the request's own goroutine, without the guard goroutine that
// lets it answer without a collector that overstays its deadline (abandonGrace): a
// goroutine start and a wake-up of another thread per scrape, about 8% of an OLT page's
// parse and export. A collector that cannot promise it returns false or does not
// implement the interface; ad-hoc targets always run guarded.
type DeadlineKeeper interface {
	BatchCollector
	KeepsDeadline() bool
}

// Batch holds the series of one scrape, in the order they were added. Its zero value is
// empty and ready to use; it is not safe for concurrent use.
type Batch struct {
	samples []Sample
	// others are series that are not Samples (a collector using client_golang's own
	// metrics): they send the answer through a registry.
	others []prometheus.Metric
	// order is writeText's scratch space, kept with the batch so that a pooled batch
	// writes without allocating.
	order []int32

	// text is set when the answer is the text format written from the batch: Lines then
	// write the series as text into lines, one run per family, with the Labels escaped
	// in labelText.
	text      bool
	lines     []byte
	runs      []textRun
	labelText []byte
}

// Add appends a series of family f. labelValues follow Family.Sample's rules: their number
// must match the family's label names (it panics otherwise), invalid UTF-8 is repaired
// when the series is written, and the slice is kept, not copied, so several series may
// share one backing array (it must not change once added).
func (b *Batch) Add(f *Family, value float64, labelValues ...string) {
	if len(labelValues) != len(f.labelNames) {
		f.wrongCount(labelValues)
	}
	b.samples = append(b.samples, Sample{family: f, value: value, labelValues: labelValues})
}

// Grow makes room for n more series, for a collector that knows how many it will add.
func (b *Batch) Grow(n int) { b.samples = slices.Grow(b.samples, n) }

// AddMetric appends any prometheus.Metric: a *Sample joins the batch as a Sample.
func (b *Batch) AddMetric(m prometheus.Metric) {
	if s, ok := m.(*Sample); ok {
		b.samples = append(b.samples, *s)
		return
	}
	b.others = append(b.others, m)
}

// Len is the number of series in the batch.
func (b *Batch) Len() int {
	n := len(b.samples) + len(b.others)
	for _, r := range b.runs {
		n += int(r.n)
	}
	return n
}

// Send sends every series of the batch to ch, in order (Samples first): how a
// BatchCollector implements Scrape. A batch that writes text has none to send: Scrape's
// batch is a fresh one, which does not.
func (b *Batch) Send(ch chan<- prometheus.Metric) {
	for i := range b.samples {
		ch <- &b.samples[i]
	}
	for _, m := range b.others {
		ch <- m
	}
}

// Metrics returns the batch's series as prometheus.Metrics (the Samples point into the
// batch), for the registry's paths: protobuf, ?debug=true, series of other types.
func (b *Batch) Metrics() []prometheus.Metric {
	out := make([]prometheus.Metric, 0, b.Len())
	for i := range b.samples {
		out = append(out, &b.samples[i])
	}
	return append(out, b.others...)
}

// Reset empties the batch for another scrape and keeps its memory, as the framework's
// pool of batches does: for callers that scrape without the handler (benchmarks).
func (b *Batch) Reset() { b.reset() }

// reset empties the batch for reuse, dropping its references to label values.
func (b *Batch) reset() {
	clear(b.samples)
	clear(b.others)
	clear(b.runs)
	b.samples, b.others, b.order = b.samples[:0], b.others[:0], b.order[:0]
	b.text, b.lines, b.runs, b.labelText = false, b.lines[:0], b.runs[:0], b.labelText[:0]
}

// batches are reused across scrapes: an OLT's batch is about 170 KB of Samples, which per
// scrape would be garbage as large as the page it came from.
var batches = sync.Pool{New: func() any { return new(Batch) }}

func getBatch() *Batch { return batches.Get().(*Batch) }

// putBatch returns b to the pool. Only a batch no collector can still write to may go back.
func putBatch(b *Batch) {
	const keepAtMost = 1 << 20 // series; a larger batch is left to the garbage collector
	if cap(b.samples) > keepAtMost || cap(b.lines) > 64*keepAtMost {
		return
	}
	b.reset()
	batches.Put(b)
}

// channelScrape runs a channel-based scrape into a batch.
func channelScrape(scrape func(context.Context, *slog.Logger, chan<- prometheus.Metric) error) func(context.Context, *slog.Logger, *Batch) error {
	return func(ctx context.Context, logger *slog.Logger, b *Batch) error {
		ch := make(chan prometheus.Metric, 1024)
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for m := range ch {
				b.AddMetric(m)
			}
		}()
		// Closed however the scrape ends, a panic included (recovering recovers it
		// outside): the drain ends, and nothing is left to write to b.
		defer func() {
			close(ch)
			<-drained
		}()
		return scrape(ctx, logger, ch)
	}
}
