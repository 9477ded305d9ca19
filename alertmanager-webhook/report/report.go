// Package report runs scheduled reports: at each tick of its interval (aligned to the
// clock) a report runs its PromQL queries against Prometheus's HTTP API, renders them with
// its template, and hands the text to the outbox, which delivers it like any notification.
package report

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
	"github.com/rondanet/ronda/internal/promapi"
)

// Sample is one series of a query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Data is what a report template sees.
type Data struct {
	Name     string
	Time     time.Time
	Language string
	// Results maps each query's name to its samples, sorted by labels.
	Results map[string][]Sample
	// Errors maps a failed query's name to why: the report still goes out, saying so.
	Errors map[string]string
}

// Value is the value of query name's sample whose label equals value (0 when absent).
func (d *Data) Value(name, label, value string) float64 {
	v, _ := d.lookup(name, label, value)
	return v
}

// Has says whether query name has a sample whose label equals value.
func (d *Data) Has(name, label, value string) bool {
	_, ok := d.lookup(name, label, value)
	return ok
}

func (d *Data) lookup(name, label, value string) (float64, bool) {
	for _, s := range d.Results[name] {
		if s.Labels[label] == value {
			return s.Value, true
		}
	}
	return 0, false
}

// LabelValues are the values of label across every query's results, sorted.
func (d *Data) LabelValues(label string) []string {
	var out []string
	for _, samples := range d.Results {
		for _, s := range samples {
			if v, ok := s.Labels[label]; ok && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Sum adds the values of a query's samples.
func (d *Data) Sum(name string) float64 {
	total := 0.0
	for _, s := range d.Results[name] {
		total += s.Value
	}
	return total
}

// Enqueue stores a rendered report for delivery to a channel; key identifies this run so
// that a restart within the same interval does not send it twice. tick is the scheduled
// time the run is for (zero for a run on demand): the enqueuer records it as the report's
// last tick, the one Ledger.LastTick reads, in the same write that queues the report
// (store.AcceptReport), so that no crash can queue the report and lose its tick.
type Enqueue func(key, report string, tick time.Time, channels []string, text string) error

// Ledger remembers, across restarts, the last tick each report was sent for, so that a
// tick missed while ronda-webhook was down (a power cut at 07:00) is sent late rather
// than never. Enqueue records the ticks sent; SetLastTick only where a report starts
// counting.
type Ledger interface {
	LastTick(report string) (tick time.Time, ok bool, err error)
	SetLastTick(report string, tick time.Time) error
}

// Runner runs one report on its schedule.
type Runner struct {
	cfg     config.Report
	tpl     *template.Template
	loc     *time.Location
	prom    *promapi.Client
	enqueue Enqueue
	log     *slog.Logger
	ledger  Ledger
	resume  time.Time // see Resume
}

// WithLedger makes Run send at its start the report of a tick it missed (catchUp), as l
// tells: the ticks sent are recorded in l by Enqueue.
func (r *Runner) WithLedger(l Ledger) *Runner {
	r.ledger = l
	return r
}

// Resume makes Run send first the report of tick, which an earlier Run of this report
// returned unsent (a reload stopped it while it was being rendered). A zero tick resumes
// nothing.
func (r *Runner) Resume(tick time.Time) *Runner {
	r.resume = tick
	return r
}

// New builds a report runner.
func New(cfg config.Report, loc *time.Location, enqueue Enqueue, logger *slog.Logger) (*Runner, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	text := cfg.Template
	if text == "" {
		text = defaultOLTReport
	}
	funcs := tmpl.Funcs(loc)
	funcs["percent"] = func(part, whole float64) string {
		if whole == 0 {
			return "-"
		}
		return strconv.FormatFloat(part/whole*100, 'f', 1, 64) + "%"
	}
	funcs["fmt"] = func(digits int, v float64) string { return strconv.FormatFloat(v, 'f', digits, 64) }
	t, err := template.New(cfg.Name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("report %s: template: %w", cfg.Name, err)
	}
	prom, err := promapi.New(promapi.Options{
		URL: cfg.PrometheusURL, HTTP: cfg.PrometheusHTTP, OrgID: cfg.PrometheusOrgID,
		Timeout: time.Duration(cfg.Timeout), UserAgent: "ronda-webhook",
	})
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", cfg.Name, err)
	}
	return &Runner{cfg: cfg, tpl: t, loc: loc, prom: prom, enqueue: enqueue, log: logger}, nil
}

// Run sends the report at every tick until ctx ends. A report that ctx's end stopped
// while it was being rendered is not sent (its queries were cut short): Run returns its
// tick, for the next Run of the report to send (Resume); zero when there is none.
func (r *Runner) Run(ctx context.Context) (interrupted time.Time) {
	if tick := r.start(ctx, time.Now()); !tick.IsZero() {
		return tick
	}
	for {
		next := r.tickBefore(time.Now()).Add(time.Duration(r.cfg.Interval))
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}
		case <-t.C:
		}
		if r.send(ctx, next) {
			return next
		}
	}
}

// start sends what is due when Run starts at now: the report an earlier Run was
// interrupted on, then a tick missed (catchUp). It returns the tick of a report ctx's end
// interrupted, if any.
func (r *Runner) start(ctx context.Context, now time.Time) (interrupted time.Time) {
	if !r.resume.IsZero() {
		// Whenever the reload came, however long after the tick: the tick is not missed
		// for catchUp's rule, the report was on its way.
		r.log.Info("sending the report a reload interrupted", "report", r.cfg.Name, "tick", r.resume.In(r.loc))
		if r.send(ctx, r.resume) {
			return r.resume
		}
	}
	return r.catchUp(ctx, now)
}

// tickBefore is the last tick at or before t. Ticks fall on the clock in the configured
// zone: 09:00, 10:00, … for 1h; midnight for 24h.
func (r *Runner) tickBefore(t time.Time) time.Time {
	interval := time.Duration(r.cfg.Interval)
	_, offset := t.In(r.loc).Zone()
	shift := time.Duration(offset) * time.Second
	return t.Add(shift).Truncate(interval).Add(-shift)
}

// send runs the report for tick; queuing it records the tick. It reports whether ctx's
// end interrupted it before it was queued.
func (r *Runner) send(ctx context.Context, tick time.Time) (interrupted bool) {
	err := r.run(ctx, tick, tick)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		r.log.Info("report stopped (reload or shutdown) before it was queued", "report", r.cfg.Name, "tick", tick.In(r.loc), "err", err)
		return true
	default:
		r.log.Error("report failed", "report", r.cfg.Name, "err", err)
	}
	return false
}

// catchUp sends, late, the report of the last tick before now when that tick was missed
// (the ledger's last tick is older) and now is within the first half of the interval
// after it: a restart at 07:20 sends the 07:00 report, one at 07:40 waits for 08:00, and
// a week down sends one report, not a week of them. A report the ledger has never seen
// (new, or a new outbox file) starts counting from now and sends nothing. It returns the
// tick whose report ctx's end interrupted, if any.
func (r *Runner) catchUp(ctx context.Context, now time.Time) (interrupted time.Time) {
	if r.ledger == nil {
		return time.Time{}
	}
	prev := r.tickBefore(now)
	last, ok, err := r.ledger.LastTick(r.cfg.Name)
	switch {
	case err != nil:
		r.log.Warn("cannot read when the report last ran", "report", r.cfg.Name, "err", err)
	case !ok:
		if err := r.ledger.SetLastTick(r.cfg.Name, prev); err != nil {
			r.log.Warn("cannot remember the report's tick", "report", r.cfg.Name, "err", err)
		}
	case last.Before(prev) && now.Sub(prev) < time.Duration(r.cfg.Interval)/2:
		r.log.Info("sending the report of a tick missed while ronda-webhook was down", "report", r.cfg.Name, "tick", prev.In(r.loc))
		if r.send(ctx, prev) {
			return prev
		}
	}
	return time.Time{}
}

// RunOnce renders the report for time at and enqueues it, on demand: no tick is recorded.
func (r *Runner) RunOnce(ctx context.Context, at time.Time) error {
	return r.run(ctx, at, time.Time{})
}

// run renders the report for time at and enqueues it for tick (zero: on demand).
func (r *Runner) run(ctx context.Context, at, tick time.Time) error {
	text, err := r.Render(ctx, at)
	if err != nil {
		return err
	}
	key := "report:" + r.cfg.Name + ":" + at.UTC().Format(time.RFC3339)
	return r.enqueue(key, r.cfg.Name, tick, r.cfg.Channels, text)
}

// Render runs the queries and the template. A query that fails, its timeout among the
// causes, is shown in the report; ctx's end (a reload, a shutdown) is not a query's
// failure but the report's: Render returns ctx's error, and no text.
func (r *Runner) Render(ctx context.Context, at time.Time) (string, error) {
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, time.Duration(r.cfg.Timeout))
	defer cancel()
	data := &Data{Name: r.cfg.Name, Time: at, Language: r.cfg.Language, Results: map[string][]Sample{}, Errors: map[string]string{}}
	names := make([]string, 0, len(r.cfg.Queries))
	for name := range r.cfg.Queries {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		samples, err := r.query(ctx, r.cfg.Queries[name], at)
		if caller.Err() != nil {
			return "", fmt.Errorf("report %s: %w", r.cfg.Name, context.Cause(caller))
		}
		if err != nil {
			data.Errors[name] = err.Error()
			r.log.Warn("report query failed", "report", r.cfg.Name, "query", name, "err", err)
			continue
		}
		data.Results[name] = samples
	}
	var b strings.Builder
	if err := r.tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("report %s: %w", r.cfg.Name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// query runs an instant query at t through internal/promapi, as ronda-restore does: path
// prefix, X-Scope-OrgID, HTTP client settings, partial_response=false (a Thanos answer
// missing a store is an error, not a smaller number), warnings as errors, and nocache=1
// (VictoriaMetrics would otherwise move a t within its -search.latencyOffset of now 30s
// back and miss a target that came up in the last half minute).
func (r *Runner) query(ctx context.Context, q string, t time.Time) ([]Sample, error) {
	vec, err := r.prom.Vector(ctx, q, t)
	if err != nil {
		// The report names the query already: say only what went wrong.
		if pe := (*promapi.Error)(nil); errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	out := make([]Sample, len(vec))
	for i, s := range vec {
		out[i] = Sample{Labels: s.Labels, Value: s.V}
	}
	return out, nil
}

// defaultOLTReport is the field's hourly OLT report.
const defaultOLTReport = `{{ $d := . -}}
📊 <b>{{ if eq .Language "id" }}Laporan OLT{{ else }}OLT report{{ end }}</b> {{ localTime .Time }}
{{ range .LabelValues "instance" -}}
{{ boundary }}
<b>{{ . }}</b>: {{ fmt 0 ($d.Value "online" "instance" .) }}/{{ fmt 0 ($d.Value "total" "instance" .) }} online ({{ percent ($d.Value "online" "instance" .) ($d.Value "total" "instance" .) }})
{{- if $d.Has "temperature" "instance" . }}
{{ if eq $d.Language "id" }}Suhu rata-rata{{ else }}Average temperature{{ end }}: {{ fmt 1 ($d.Value "temperature" "instance" .) }} °C{{ end }}
{{- if $d.Has "rx_power" "instance" . }}
{{ if eq $d.Language "id" }}RX rata-rata{{ else }}Average RX{{ end }}: {{ fmt 2 ($d.Value "rx_power" "instance" .) }} dBm{{ end }}
{{ end -}}
{{ boundary }}
<b>{{ if eq .Language "id" }}Total jaringan{{ else }}Network total{{ end }}</b>: {{ fmt 0 (.Sum "online") }}/{{ fmt 0 (.Sum "total") }} online ({{ percent (.Sum "online") (.Sum "total") }})
{{- range $name, $err := .Errors }}
⚠️ {{ $name }}: {{ $err }}{{ end }}
`
