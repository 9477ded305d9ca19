package collector

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
)

// Options configures a Manager.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the exporter's own metrics (scrapes, errors, durations, targets).
	Registerer prometheus.Registerer
	// TimeoutOffset is taken off Prometheus's scrape timeout so the answer arrives in time.
	TimeoutOffset time.Duration
	// DefaultTimeout bounds a scrape whose target sets no timeout and whose request carries
	// no X-Prometheus-Scrape-Timeout-Seconds header (a person with curl).
	DefaultTimeout time.Duration
	// HistoryLimit is how many recent scrapes the landing page shows.
	HistoryLimit int
	// MaxConcurrent bounds the scrapes of each kind running at once (file descriptors,
	// memory); a scrape waits for a free slot until its deadline. 0 means no bound.
	MaxConcurrent int
}

// Manager owns the collectors of every kind, the current configuration and the exporter's
// own metrics, and serves the per-kind scrape endpoints and /sd.
type Manager struct {
	opts       Options
	logger     *slog.Logger
	collectors map[string]Collector
	shared     map[string]sharedFamilies
	slots      map[string]chan struct{} // per kind; nil without Options.MaxConcurrent
	kinds      []string
	config     atomic.Pointer[appliedConfig]
	metrics    *selfMetrics
	history    *history

	// reloadMu serialises ApplyConfig so collectors see configurations in order.
	reloadMu sync.Mutex
}

// NewManager builds a Manager over one collector per kind. ApplyConfig must be called
// before the first scrape.
func NewManager(opts Options, collectors ...Collector) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 10 * time.Second
	}
	if opts.HistoryLimit <= 0 {
		opts.HistoryLimit = 100
	}
	m := &Manager{
		opts:       opts,
		logger:     opts.Logger,
		collectors: make(map[string]Collector, len(collectors)),
		shared:     make(map[string]sharedFamilies, len(collectors)),
		history:    newHistory(opts.HistoryLimit),
	}
	for _, c := range collectors {
		if _, dup := m.collectors[c.Kind()]; dup {
			panic(fmt.Sprintf("collector: two collectors for kind %q", c.Kind()))
		}
		m.collectors[c.Kind()] = c
		m.shared[c.Kind()] = newSharedFamilies(c)
		if opts.MaxConcurrent > 0 {
			if m.slots == nil {
				m.slots = make(map[string]chan struct{}, len(collectors))
			}
			m.slots[c.Kind()] = make(chan struct{}, opts.MaxConcurrent)
		}
		m.kinds = append(m.kinds, c.Kind())
	}
	sort.Strings(m.kinds)
	reasons := make(map[string][]Reason, len(m.kinds))
	for kind, c := range m.collectors {
		reasons[kind] = reasonsOf(c)
	}
	m.metrics = newSelfMetrics(opts.Registerer, reasons)
	none := newAppliedConfig(&config.Config{})
	close(none.ready)
	m.config.Store(none)
	return m
}

// Kinds lists the kinds served, sorted.
func (m *Manager) Kinds() []string { return m.kinds }

// Config returns the configuration in force.
func (m *Manager) Config() *config.Config { return m.config.Load().cfg }

// ApplyConfig puts a validated configuration in force: collectors drop state of targets that
// changed or went away, and scrapes started afterwards see the new targets.
//
// The configuration is published before the collectors reload, and a scrape that finds its
// target in it waits for them (serveScrape): so no scrape finds a target in the manager's
// configuration but not in its collector's. Reloading first, a scrape of a target just
// renamed, found under its old name, failed as config in the collector.
func (m *Manager) ApplyConfig(cfg *config.Config) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	applied := newAppliedConfig(cfg)
	m.config.Store(applied)
	for _, kind := range m.kinds {
		m.collectors[kind].Reload(cfg)
	}
	close(applied.ready)
	counts := make(map[string]int, len(m.kinds))
	for _, t := range applied.targets {
		counts[t.Kind]++
	}
	for _, kind := range m.kinds {
		m.metrics.targets.WithLabelValues(kind).Set(float64(counts[kind]))
	}
	m.history.retain(applied.byName)
}

// appliedConfig is the configuration in force with its targets listed once: a scrape
// finds its target in a map, where Config.Target builds every target of the file (by
// reflection) each time it is asked, once per scrape of each of hundreds of targets.
type appliedConfig struct {
	cfg     *config.Config
	targets []config.Target          // in file order
	byName  map[string]config.Target // the same, by name
	ready   chan struct{}            // closed once every collector has taken cfg
}

func newAppliedConfig(cfg *config.Config) *appliedConfig {
	a := &appliedConfig{cfg: cfg, targets: cfg.Targets(), ready: make(chan struct{})}
	a.byName = make(map[string]config.Target, len(a.targets))
	for _, t := range a.targets {
		a.byName[t.Name] = t
	}
	return a
}

// Handler serves /KIND?target=NAME for one kind.
func (m *Manager) Handler(kind string) http.Handler {
	c, ok := m.collectors[kind]
	if !ok {
		panic(fmt.Sprintf("collector: no collector for kind %q", kind))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serveScrape(w, r, c)
	})
}

// Close closes every collector.
func (m *Manager) Close() error {
	var first error
	for _, kind := range m.kinds {
		if err := m.collectors[kind].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
