package restore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rondanet/ronda/internal/promapi"
)

// RebootThreshold is how far the boot time must move forward to count as a reboot. The
// exporter holds the boot time steady within ±2 s of jitter (a second more across its own
// restart), so anything beyond it is a real boot. It is the MikrotikRebooted rule's
// threshold (rules/mikrotik.yml): every reboot that alerts is one ronda-restore finds.
const RebootThreshold = 30 * time.Second

// pointLookback is how far back PointAt looks for the router's last successful scrape.
const pointLookback = time.Hour

// Points lists the abrupt reboots of router between from and to, newest first.
func (r *Restorer) Points(ctx context.Context, router string, from, to time.Time) ([]Point, error) {
	if _, err := r.target(router); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, refused("the window is empty: %s is not before %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	boots, err := r.rawSamples(ctx, selector(metricBootTime, router), from, to)
	if err != nil {
		return nil, err
	}
	if len(boots) == 0 {
		return nil, refused("Prometheus has no samples of %s between %s and %s: is the router scraped, and is its instance label %q?",
			selector(metricBootTime, router), from.Format(time.RFC3339), to.Format(time.RFC3339), router)
	}
	interval := typicalInterval(boots)
	var points []Point
	for _, rb := range findReboots(boots) {
		p := Point{
			Router:   router,
			At:       rb.before.T,
			BootTime: time.Unix(0, int64(rb.after.V*1e9)).Round(time.Second).UTC(),
			After:    rb.after.T,
			Interval: interval,
			// The boot time the router reported at the point itself.
			PrevBootTime: time.Unix(0, int64(rb.before.V*1e9)).Round(time.Second).UTC(),
		}
		// The first sample of mikrotik_up after At: a failed scrape when Prometheus saw
		// the router go, else the first scrape after the boot.
		ups, err := r.matrix(ctx, selector(metricUp, router)+"["+promapi.FormatRange(rb.after.T.Sub(rb.before.T))+"]", rb.after.T)
		if err != nil {
			return nil, err
		}
		next := rb.after.T
		for _, s := range mergeSamples(ups) {
			if s.T.After(p.At) {
				next = s.T
				break
			}
		}
		p.Gap = next.Sub(p.At)
		if p.Online, err = r.onlineAt(ctx, router, p.At); err != nil {
			return nil, err
		}
		points = append(points, p)
	}
	slices.Reverse(points)
	return points, nil
}

// PointAt makes a restore point of any time: the router's last successful scrape at or
// before at (within an hour).
func (r *Restorer) PointAt(ctx context.Context, router string, at time.Time) (Point, error) {
	if _, err := r.target(router); err != nil {
		return Point{}, err
	}
	ups, err := r.matrix(ctx, selector(metricUp, router)+"["+promapi.FormatRange(pointLookback)+"]", at)
	if err != nil {
		return Point{}, err
	}
	samples := mergeSamples(ups)
	p := Point{Router: router, Interval: typicalInterval(samples)}
	for _, s := range slices.Backward(samples) {
		if s.V == 1 {
			p.At = s.T
			break
		}
	}
	if p.At.IsZero() {
		return Point{}, refused("Prometheus has no successful scrape of %s (%s == 1) in the hour before %s",
			router, selector(metricUp, router), at.Format(time.RFC3339))
	}
	// The next sample after At, if Prometheus has one yet.
	ahead := p.At.Add(pointLookback)
	after, err := r.matrix(ctx, selector(metricUp, router)+"["+promapi.FormatRange(pointLookback)+"]", ahead)
	if err != nil {
		return Point{}, err
	}
	for _, s := range mergeSamples(after) {
		if s.T.After(p.At) {
			p.Gap = s.T.Sub(p.At)
			break
		}
	}
	if p.Online, err = r.onlineAt(ctx, router, p.At); err != nil {
		return Point{}, err
	}
	return p, nil
}

// onlineAt counts the users with a session series in the scrape at at.
func (r *Restorer) onlineAt(ctx context.Context, router string, at time.Time) (int, error) {
	series, err := r.matrix(ctx, selector(metricActiveUptime, router)+"[1s]", at)
	if err != nil {
		return 0, err
	}
	return len(valuesAt(series, "user", at)), nil
}

// rawSamples reads every sample of selector in (from, to], in chunks so no answer is
// huge, merged into one time-ordered list (series of the same router under different
// label sets, such as two scrape jobs, are merged by timestamp).
func (r *Restorer) rawSamples(ctx context.Context, sel string, from, to time.Time) ([]promapi.Sample, error) {
	var all []promapi.Sample
	for end := to; end.After(from); end = end.Add(-r.opts.ChunkSize) {
		span := min(r.opts.ChunkSize, end.Sub(from))
		series, err := r.matrix(ctx, sel+"["+promapi.FormatRange(span)+"]", end)
		if err != nil {
			return nil, err
		}
		for _, s := range series {
			all = append(all, s.Samples...)
		}
	}
	return dedupe(all), nil
}

func (r *Restorer) matrix(ctx context.Context, query string, at time.Time) ([]promapi.Series, error) {
	series, err := r.opts.Prometheus.Matrix(ctx, query, at)
	if err != nil {
		return nil, promFailure(err)
	}
	return series, nil
}

// mergeSamples merges the samples of several series into one time-ordered list.
func mergeSamples(series []promapi.Series) []promapi.Sample {
	var all []promapi.Sample
	for _, s := range series {
		all = append(all, s.Samples...)
	}
	return dedupe(all)
}

// dedupe sorts samples by time and keeps one per timestamp (chunks overlap at their
// edges on backends whose ranges include both ends).
func dedupe(samples []promapi.Sample) []promapi.Sample {
	slices.SortStableFunc(samples, func(a, b promapi.Sample) int { return a.T.Compare(b.T) })
	return slices.CompactFunc(samples, func(a, b promapi.Sample) bool { return a.T.Equal(b.T) })
}

// reboot is a pair of consecutive boot-time samples across which the boot time jumped.
type reboot struct{ before, after promapi.Sample }

// findReboots finds where the boot time moves forward by more than RebootThreshold, in
// time order.
func findReboots(samples []promapi.Sample) []reboot {
	var out []reboot
	for i := 1; i < len(samples); i++ {
		prev, cur := samples[i-1], samples[i]
		if time.Duration((cur.V-prev.V)*float64(time.Second)) > RebootThreshold {
			out = append(out, reboot{before: prev, after: cur})
		}
	}
	return out
}

// typicalInterval is the median spacing of samples: the scrape interval, unmoved by the
// gaps of outages.
func typicalInterval(samples []promapi.Sample) time.Duration {
	if len(samples) < 2 {
		return 0
	}
	gaps := make([]time.Duration, 0, len(samples)-1)
	for i := 1; i < len(samples); i++ {
		gaps = append(gaps, samples[i].T.Sub(samples[i-1].T))
	}
	slices.SortFunc(gaps, cmp.Compare)
	return gaps[len(gaps)/2]
}

// valuesAt keeps, for each series, its sample at exactly at (all series of one scrape
// share its timestamp), keyed by the series' label; a series without one is left out.
func valuesAt(series []promapi.Series, label string, at time.Time) map[string]float64 {
	out := make(map[string]float64, len(series))
	for _, s := range series {
		for _, smp := range s.Samples {
			if smp.T.Equal(at) {
				out[s.Labels[label]] = smp.V
				break
			}
		}
	}
	return out
}

// describe is a point as the operator reads it.
func (p Point) describe() string {
	if p.BootTime.IsZero() {
		return fmt.Sprintf("%s at %s", p.Router, p.At.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s at %s (reboot at %s)", p.Router, p.At.Format(time.RFC3339), p.BootTime.Format(time.RFC3339))
}
