package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the intake's metric families (the outbox has its own).
type metrics struct {
	received, invalid, stored, duplicates, storeErrors, unrouted prometheus.Counter
	templateErrors                                               *prometheus.CounterVec
	intake                                                       prometheus.Histogram
	reloadOK, reloadTime                                         prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		reg.MustRegister(g)
		return g
	}
	m := &metrics{
		received:    counter("ronda_webhook_notifications_received_total", "Notifications POSTed to /alert, valid or not."),
		invalid:     counter("ronda_webhook_notifications_invalid_total", "Notifications refused with 4xx: not an Alertmanager payload, or too large."),
		stored:      counter("ronda_webhook_notifications_stored_total", "Notifications stored durably in the outbox (and acknowledged with 2xx)."),
		duplicates:  counter("ronda_webhook_notifications_duplicate_total", "Notifications skipped as duplicates of one stored within the dedup window (Alertmanager retries, HA peers)."),
		storeErrors: counter("ronda_webhook_store_errors_total", "Notifications that could not be stored (answered 5xx, so Alertmanager retries)."),
		unrouted:    counter("ronda_webhook_alerts_unrouted_total", "Alerts that matched no route and went nowhere."),
		templateErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_webhook_template_errors_total",
			Help: "Renders that failed (the default format was sent instead), by channel.",
		}, []string{"channel"}),
		intake: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ronda_webhook_intake_duration_seconds",
			Help:    "Time from receiving a notification to answering it, storage included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		reloadOK:   gauge("ronda_webhook_config_last_reload_successful", "Whether the last configuration load succeeded (1) or failed (0)."),
		reloadTime: gauge("ronda_webhook_config_last_reload_success_timestamp_seconds", "When the configuration was last loaded successfully."),
	}
	reg.MustRegister(m.templateErrors, m.intake)
	return m
}

func (m *metrics) templateError(channel string) { m.templateErrors.WithLabelValues(channel).Inc() }

func (m *metrics) reloaded(ok bool) {
	if ok {
		m.reloadOK.Set(1)
		m.reloadTime.Set(float64(time.Now().Unix()))
		return
	}
	m.reloadOK.Set(0)
}
