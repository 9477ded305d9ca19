package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// selfMetrics are the exporter's own metrics on /metrics: how scrapes of each kind went.
type selfMetrics struct {
	scrapes     *prometheus.CounterVec
	errors      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	targets     *prometheus.GaugeVec
	badRequests *prometheus.CounterVec
	slotWaits   *prometheus.CounterVec
	panics      *prometheus.CounterVec
}

func newSelfMetrics(reg prometheus.Registerer, reasons map[string][]Reason) *selfMetrics {
	m := &selfMetrics{
		scrapes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_exporter_scrapes_total",
			Help: "Scrapes of targets, by kind and outcome (success or failure).",
		}, []string{"kind", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_exporter_scrape_errors_total",
			Help: "Failed scrapes of targets, by kind and reason.",
		}, []string{"kind", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ronda_exporter_scrape_duration_seconds",
			Help:    "How long scrapes of targets took, by kind.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ronda_exporter_targets",
			Help: "Targets in the configuration in force, by kind.",
		}, []string{"kind"}),
		badRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_exporter_bad_scrape_requests_total",
			Help: "Scrape requests refused before scraping (missing or unknown target), by kind.",
		}, []string{"kind"}),
		slotWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_exporter_scrape_slot_waits_total",
			Help: "Scrapes that found every one of their kind's --scrape.max-concurrent slots busy and had to wait, by kind.",
		}, []string{"kind"}),
		// A panic is a bug, which an operator reports: among the other failures (its
		// reason) it would not show.
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_exporter_scrape_panics_total",
			Help: "Scrapes whose collector panicked (a bug: the log has the stack), by kind; each also counts as a failure with reason other.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.scrapes, m.errors, m.duration, m.targets, m.badRequests, m.slotWaits, m.panics)
	// Every series exists from the start, so rate() and absent() behave before the first failure.
	for kind, kindReasons := range reasons {
		m.scrapes.WithLabelValues(kind, "success")
		m.scrapes.WithLabelValues(kind, "failure")
		for _, r := range kindReasons {
			m.errors.WithLabelValues(kind, string(r))
		}
		m.duration.WithLabelValues(kind)
		m.targets.WithLabelValues(kind)
		m.badRequests.WithLabelValues(kind)
		m.slotWaits.WithLabelValues(kind)
		m.panics.WithLabelValues(kind)
	}
	return m
}

func (m *selfMetrics) observe(kind string, d time.Duration, reason Reason) {
	m.duration.WithLabelValues(kind).Observe(d.Seconds())
	if reason == "" {
		m.scrapes.WithLabelValues(kind, "success").Inc()
		return
	}
	m.scrapes.WithLabelValues(kind, "failure").Inc()
	m.errors.WithLabelValues(kind, string(reason)).Inc()
}
