package outbox

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/alertmanager-webhook/store"
)

// Metrics are the outbox's own metric families. A nil *Metrics records nothing.
type Metrics struct {
	sends       *prometheus.CounterVec
	retries     *prometheus.CounterVec
	rateWaits   *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	duration    *prometheus.HistogramVec

	mu   sync.Mutex
	dead map[string]int
	o    *Outbox
}

// NewMetrics registers the outbox's metrics; the depth gauges read o when scraped.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_webhook_sends_total",
			Help: "Send attempts by channel, channel kind and outcome (sent, failed).",
		}, []string{"channel", "kind", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_webhook_retries_total",
			Help: "Failed sends that will be retried, by channel and reason.",
		}, []string{"channel", "reason"}),
		rateWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_webhook_rate_limited_waits_total",
			Help: "Times a send waited for its recipient's rate limit, by channel.",
		}, []string{"channel"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ronda_webhook_dead_letters_total",
			Help: "Items given up on (permanent error, maximum age, channel removed), by channel and reason.",
		}, []string{"channel", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ronda_webhook_send_duration_seconds",
			Help:    "Time taken by one send attempt (every part of a split message), by channel.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		dead: map[string]int{},
	}
	reg.MustRegister(m.sends, m.retries, m.rateWaits, m.deadLetters, m.duration, depthCollector{m})
	return m
}

// Watch makes the depth gauges report o.
func (m *Metrics) Watch(o *Outbox) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.o = o
	m.mu.Unlock()
}

func (m *Metrics) queued(*store.Item)   {}
func (m *Metrics) dequeued(*store.Item) {}

func (m *Metrics) deadAdded(channel string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.dead[channel]++
	m.mu.Unlock()
}

// deadGone counts a dead letter replayed or removed.
func (m *Metrics) deadGone(channel string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	if m.dead[channel] > 0 {
		m.dead[channel]--
	}
	m.mu.Unlock()
}

func (m *Metrics) rateLimited(channel string) {
	if m != nil {
		m.rateWaits.WithLabelValues(channel).Inc()
	}
}

func (m *Metrics) retried(channel, reason string) {
	if m != nil {
		m.retries.WithLabelValues(channel, reason).Inc()
	}
}

func (m *Metrics) sendDone(channel, kind string, err error, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	m.sends.WithLabelValues(channel, kind, outcome).Inc()
	m.duration.WithLabelValues(channel).Observe(took.Seconds())
}

func (m *Metrics) deadLetter(channel, reason string) {
	if m != nil {
		m.deadLetters.WithLabelValues(channel, reason).Inc()
	}
}

var (
	itemsDesc = prometheus.NewDesc("ronda_webhook_outbox_items",
		"Items in the outbox by channel and state (pending: waiting for delivery; dead: given up, replayable).",
		[]string{"channel", "state"}, nil)
	oldestDesc = prometheus.NewDesc("ronda_webhook_outbox_oldest_item_age_seconds",
		"Age of the oldest pending item by channel (0 when none is pending).",
		[]string{"channel"}, nil)
)

type depthCollector struct{ m *Metrics }

func (c depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- itemsDesc
	ch <- oldestDesc
}

func (c depthCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	o := c.m.o
	dead := make(map[string]int, len(c.m.dead))
	for k, v := range c.m.dead {
		dead[k] = v
	}
	c.m.mu.Unlock()
	if o == nil {
		return
	}
	now := time.Now()
	depth := o.Depth()
	for name := range o.channelNames() {
		if _, ok := depth[name]; !ok {
			depth[name] = struct {
				Items  int
				Oldest time.Time
			}{}
		}
	}
	for name := range dead {
		if _, ok := depth[name]; !ok {
			depth[name] = struct {
				Items  int
				Oldest time.Time
			}{}
		}
	}
	for name, d := range depth {
		age := 0.0
		if !d.Oldest.IsZero() {
			age = now.Sub(d.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(d.Items), name, store.Pending)
		ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(dead[name]), name, store.Dead)
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, name)
	}
}
