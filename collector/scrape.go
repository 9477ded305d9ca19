package collector

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/rondanet/ronda/config"
)

// abandonGrace is how long past its deadline a scrape may take to return before the answer
// goes out without it. A collector that keeps to its contract never needs it; it only keeps
// one misbehaving collector from holding a Prometheus connection open.
const abandonGrace = time.Second

func (m *Manager) serveScrape(w http.ResponseWriter, r *http.Request, c Collector) {
	kind := c.Kind()
	query := r.URL.Query()
	name := query.Get("target")
	applied := m.config.Load()
	target, status, msg := lookupTarget(applied, kind, name)
	scrape := channelScrape(func(ctx context.Context, logger *slog.Logger, ch chan<- prometheus.Metric) error {
		return c.Scrape(ctx, name, logger, ch)
	})
	inline := false
	if bc, ok := c.(BatchCollector); ok {
		scrape = func(ctx context.Context, logger *slog.Logger, b *Batch) error {
			return bc.ScrapeBatch(ctx, name, logger, b)
		}
		dk, ok := c.(DeadlineKeeper)
		inline = ok && dk.KeepsDeadline()
	}
	adHoc := false
	if status == http.StatusNotFound {
		if a, ok := c.(AdHocScraper); ok {
			switch t, err := a.AdHoc(query); {
			case err != nil:
				status, msg = http.StatusBadRequest, err.Error()
			case t != nil:
				status, adHoc, scrape, inline = http.StatusOK, true, channelScrape(t.Scrape), false
				target = config.Target{Kind: kind, Name: name, Timeout: t.Timeout}
			}
		}
	}
	// Every scrape recovers its collector's panic, on whichever goroutine runs it.
	scrape = recovering(scrape)
	if status != http.StatusOK {
		m.metrics.badRequests.WithLabelValues(kind).Inc()
		http.Error(w, msg, status)
		return
	}

	timeout, err := scrapeTimeout(r, target.Timeout, m.opts.DefaultTimeout, m.opts.TimeoutOffset)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	debug := r.URL.Query().Get("debug") == "true"
	var debugLog bytes.Buffer
	logger := m.logger
	if debug {
		logger = slog.New(newTeeHandler(logger.Handler(), slog.NewTextHandler(&debugLog, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	logger = logger.With("kind", kind, "target", name)

	// The scrape's time starts once it has a slot: waiting for one (counted in
	// ronda_exporter_scrape_slot_waits_total) is not the target's time, and blackbox_exporter's
	// probe_duration_seconds, which the probes keep, is the probe's own.
	var batch *Batch
	if !adHoc { // an ad-hoc target is not in the configuration
		err = collectorsReady(ctx, applied)
	}
	if err == nil {
		err = m.acquireSlot(ctx, kind)
	}
	start := time.Now()
	if err == nil {
		func() {
			// Deferred: a collector's panic is recovered in its scrape (recoverPanic), but
			// should anything else here panic, net/http recovers it on this goroutine, and
			// the slot must not stay taken for good.
			defer m.releaseSlot(kind)
			// The answer's format is known before the scrape: in text, Lines write the
			// exposition's lines as the collector adds them.
			text := !debug && answersText(r)
			if inline {
				batch = getBatch()
				batch.text = text
				err = scrape(ctx, logger, batch)
			} else {
				batch, err = runScrape(ctx, scrape, logger, text, m.graceAfterDeadline())
			}
		}()
	} else {
		batch = getBatch()
	}
	if _, panicked := errors.AsType[*panicError](err); panicked {
		m.metrics.panics.WithLabelValues(kind).Inc()
		// What the collector added before it panicked is not exported (a failed scrape
		// exports none of its target's series), and its batch is left behind like an
		// abandoned scrape's: a goroutine of the collector may still hold it.
		batch = getBatch()
	}
	defer putBatch(batch)
	duration := time.Since(start)
	reason := Classify(ctx, err)
	if err != nil && !slices.Contains(m.shared[kind].reasons, reason) {
		reason = ReasonOther
	}
	if err != nil {
		logger.Error("scrape failed", "reason", string(reason), "duration", duration, "err", err)
	} else {
		logger.Debug("scrape succeeded", "duration", duration, "metrics", batch.Len())
	}
	m.metrics.observe(kind, duration, reason)
	result := Result{
		Kind: kind, Target: name, Start: start, Duration: duration,
		Success: err == nil, Reason: reason, Error: errorText(err), AdHoc: adHoc,
	}
	if adHoc {
		result.Query = maps.Clone(query)
		result.Query.Del("debug")
	}
	m.history.add(result)

	m.shared[kind].add(batch, duration, reason)
	if debug {
		// The debug answer goes through a registry, whose consistency checks (duplicate
		// series, label validity) then show up in it.
		reg := prometheus.NewRegistry()
		reg.MustRegister(&replay{metrics: batch.Metrics()})
		writeDebug(w, &debugLog, reg)
		return
	}
	writeScrape(w, r, batch)
}

// lookupTarget finds the target a request names, or says clearly why it cannot.
func lookupTarget(cfg *appliedConfig, kind, name string) (config.Target, int, string) {
	if name == "" {
		return config.Target{}, http.StatusBadRequest,
			fmt.Sprintf("missing ?target= parameter; %s", knownTargets(cfg, kind))
	}
	t, ok := cfg.byName[name]
	if !ok {
		return config.Target{}, http.StatusNotFound,
			fmt.Sprintf("unknown %s target %q; %s", kind, name, knownTargets(cfg, kind))
	}
	if t.Kind != kind {
		return config.Target{}, http.StatusNotFound,
			fmt.Sprintf("%q is a %s target, not a %s target: scrape it on /%s?target=%s", name, t.Kind, kind, t.Kind, name)
	}
	return t, http.StatusOK, ""
}

func knownTargets(cfg *appliedConfig, kind string) string {
	var names []string
	for _, t := range cfg.targets {
		if t.Kind == kind {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("no %s targets are configured", kind)
	}
	const most = 20
	more := ""
	if len(names) > most {
		more = fmt.Sprintf(" and %d more", len(names)-most)
		names = names[:most]
	}
	return fmt.Sprintf("configured %s targets: %s%s", kind, strings.Join(names, ", "), more)
}

// maxTimeoutSeconds bounds the header: NaN, Inf or a huge value would overflow a Duration.
const maxTimeoutSeconds = 24 * 60 * 60

// scrapeTimeout is Prometheus's scrape timeout minus the offset, lowered further by the
// target's own timeout; without the header (a person with curl) the target's timeout, or the
// default, applies.
func scrapeTimeout(r *http.Request, targetTimeout, defaultTimeout, offset time.Duration) (time.Duration, error) {
	timeout := targetTimeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	header := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if header == "" {
		return timeout, nil
	}
	seconds, err := strconv.ParseFloat(header, 64)
	if err != nil || !(seconds > 0 && seconds <= maxTimeoutSeconds) {
		return 0, fmt.Errorf("invalid X-Prometheus-Scrape-Timeout-Seconds header %q: want a positive number of seconds", header)
	}
	prom := time.Duration(seconds * float64(time.Second))
	if prom > offset {
		// Leave room to encode and send the answer before Prometheus gives up.
		prom -= offset
	}
	return min(prom, timeout), nil
}

// collectorsReady waits, no longer than ctx allows, until the collectors have taken the
// configuration a configured target was found in (ApplyConfig publishes it first): the
// collector then knows the target too.
func collectorsReady(ctx context.Context, applied *appliedConfig) error {
	select {
	case <-applied.ready: // nearly always: first, so a deadline passed meanwhile cannot win
		return nil
	default:
	}
	select {
	case <-applied.ready:
		return nil
	case <-ctx.Done():
		return Fail(ReasonTimeout, fmt.Errorf("the collectors were still taking the new configuration at the deadline: %w", ctx.Err()))
	}
}

// acquireSlot waits for one of the kind's concurrent scrape slots, no longer than ctx allows:
// a scrape that cannot start before its deadline fails as a timeout.
func (m *Manager) acquireSlot(ctx context.Context, kind string) error {
	slots := m.slots[kind]
	if slots == nil {
		return nil
	}
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	m.metrics.slotWaits.WithLabelValues(kind).Inc()
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return Fail(ReasonTimeout, fmt.Errorf("all %d %s scrape slots stayed busy until the deadline (raise --scrape.max-concurrent?): %w", cap(slots), kind, ctx.Err()))
	}
}

func (m *Manager) releaseSlot(kind string) {
	if slots := m.slots[kind]; slots != nil {
		<-slots
	}
}

// panicError is the error of a scrape whose collector panicked.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("bug: panic: %v", e.value) }

// recovering is scrape with its collector's panic recovered (recoverPanic).
func recovering(scrape func(context.Context, *slog.Logger, *Batch) error) func(context.Context, *slog.Logger, *Batch) error {
	return func(ctx context.Context, logger *slog.Logger, b *Batch) (err error) {
		defer recoverPanic(logger, &err)
		return scrape(ctx, logger, b)
	}
}

// recoverPanic, deferred by a scrape, turns a panic of its collector into the scrape's
// failure, as other, and logs it with its stack. A bug that one device's answer trips must
// cost that scrape only: on a goroutine the framework started for the scrape (runScrape's,
// channelScrape's caller) nothing else recovers it, and the process, every target of every
// kind, died with it; on the request's, net/http recovered it but dropped the connection
// without a word in the scrape's series, counters or history.
func recoverPanic(logger *slog.Logger, err *error) {
	v := recover()
	if v == nil {
		return
	}
	logger.Error("collector panicked; the scrape fails (this is a bug in the collector)", "panic", v, "stack", string(debug.Stack()))
	*err = Fail(ReasonOther, &panicError{value: v})
}

// runScrape runs one scrape and returns the batch it filled. A scrape that overstays its
// deadline by abandonGrace is left behind with its batch (it may still write to it); the
// answer then goes out with an empty one.
func runScrape(ctx context.Context, scrape func(context.Context, *slog.Logger, *Batch) error, logger *slog.Logger, text bool, graceFor time.Duration) (*Batch, error) {
	b := getBatch()
	b.text = text
	done := make(chan error, 1)
	go func() { done <- scrape(ctx, logger, b) }()

	select {
	case err := <-done:
		return b, err
	case <-ctx.Done():
	}
	grace := time.NewTimer(graceFor)
	defer grace.Stop()
	select {
	case err := <-done:
		return b, err
	case <-grace.C:
		logger.Error("collector did not return within its deadline; answering without it (this is a bug in the collector)")
		return getBatch(), Fail(ReasonTimeout, fmt.Errorf("scrape did not return within its deadline: %w", ctx.Err()))
	}
}

// graceAfterDeadline is abandonGrace, but no more than half the timeout offset: the answer
// without the collector must still reach Prometheus before its own scrape timeout.
func (m *Manager) graceAfterDeadline() time.Duration {
	if half := m.opts.TimeoutOffset / 2; half > 0 && half < abandonGrace {
		return half
	}
	return abandonGrace
}

// sharedFamilies are the per-scrape series every kind has.
type sharedFamilies struct {
	up, duration, reason *Family
	reasons              []Reason
}

func newSharedFamilies(c Collector) sharedFamilies {
	kind := c.Kind()
	n := SeriesNames{
		Up:       kind + "_up",
		Duration: kind + "_scrape_duration_seconds", DurationHelp: "How long the scrape of the target took.",
		Reason: kind + "_scrape_failure_reason", ReasonHelp: "1 for the reason the scrape failed, 0 for the others; all 0 when it succeeded.",
	}
	if namer, ok := c.(SeriesNamer); ok {
		own := namer.SeriesNames()
		n.Up, n.UpHelp = cmp.Or(own.Up, n.Up), own.UpHelp
		n.Duration, n.DurationHelp = cmp.Or(own.Duration, n.Duration), cmp.Or(own.DurationHelp, n.DurationHelp)
		n.Reason, n.ReasonHelp = cmp.Or(own.Reason, n.Reason), cmp.Or(own.ReasonHelp, n.ReasonHelp)
	}
	n.UpHelp = cmp.Or(n.UpHelp, "1 if the target was scraped successfully, 0 if not; "+n.Reason+" says why.")
	return sharedFamilies{
		reasons:  reasonsOf(c),
		up:       NewFamily(n.Up, n.UpHelp, prometheus.GaugeValue),
		duration: NewFamily(n.Duration, n.DurationHelp, prometheus.GaugeValue),
		reason:   NewFamily(n.Reason, n.ReasonHelp, prometheus.GaugeValue, "reason"),
	}
}

// add appends the per-scrape series to b.
func (f sharedFamilies) add(b *Batch, duration time.Duration, reason Reason) {
	up := 1.0
	if reason != "" {
		up = 0
	}
	b.Add(f.up, up)
	b.Add(f.duration, duration.Seconds())
	for _, r := range f.reasons {
		v := 0.0
		if r == reason {
			v = 1
		}
		b.Add(f.reason, v, string(r))
	}
}

func writeDebug(w http.ResponseWriter, log *bytes.Buffer, reg *prometheus.Registry) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Logs for the scrape:\n%s\n\nMetrics that would have been returned:\n", log.String())
	families, err := reg.Gather()
	if err != nil {
		fmt.Fprintf(w, "# error gathering metrics: %v\n", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			fmt.Fprintf(w, "# error encoding %s: %v\n", mf.GetName(), err)
		}
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// replay is a prometheus.Collector that sends metrics gathered earlier. It is unchecked
// (Describe sends nothing): each scrape's series are only known once it ran.
type replay struct{ metrics []prometheus.Metric }

func (r *replay) Describe(chan<- *prometheus.Desc) {}

func (r *replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r.metrics {
		ch <- m
	}
}

// teeHandler sends each record to two handlers: the process log and a scrape's debug log.
type teeHandler struct{ a, b slog.Handler }

func newTeeHandler(a, b slog.Handler) slog.Handler { return &teeHandler{a, b} }

func (t *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t *teeHandler) Handle(ctx context.Context, rec slog.Record) error {
	var errs []error
	for _, h := range []slog.Handler{t.a, t.b} {
		if h.Enabled(ctx, rec.Level) {
			if err := h.Handle(ctx, rec.Clone()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (t *teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &teeHandler{t.a.WithAttrs(slices.Clone(attrs)), t.b.WithAttrs(slices.Clone(attrs))}
}

func (t *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}
