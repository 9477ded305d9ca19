package restore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
	"github.com/rondanet/ronda/internal/routeros"
)

// Querier runs instant queries of raw range selectors; *promapi.Client is one.
type Querier interface {
	Matrix(ctx context.Context, query string, at time.Time) ([]promapi.Series, error)
}

// Options configure a Restorer.
type Options struct {
	// Config is the exporter's configuration: the routers, by the names Prometheus knows
	// them by (the instance label), with their addresses and credentials.
	Config *config.Config
	// Prometheus answers the history queries.
	Prometheus Querier
	// LedgerFile records every applied restore; LedgerFile+".lock" is its lock.
	LedgerFile string
	// LockWait is how long Apply waits for another run to release the lock; zero fails at once.
	LockWait time.Duration
	// ChunkSize is the longest stretch of history one query reads; default 6h.
	ChunkSize time.Duration
	// Logger gets progress and problems; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultChunkSize keeps each answer small: 6h of one series at a 1s interval is 21,600 samples.
const DefaultChunkSize = 6 * time.Hour

// Restorer is the Service: it reads Prometheus and the exporter's config, and writes to
// routers. Safe for concurrent use; Close it when done.
type Restorer struct {
	opts    Options
	targets map[string]config.MikroTikTarget
	logger  *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	conns map[string]*routeros.Conn
	// backoffMin is the first wait before dialling a router again after a failure; zero
	// is routeros.DefaultBackoffMin. Tests shorten it.
	backoffMin time.Duration
}

var _ Service = (*Restorer)(nil)

// New returns a Restorer.
func New(opts Options) (*Restorer, error) {
	if opts.Config == nil || opts.Prometheus == nil {
		return nil, fmt.Errorf("restore: Config and Prometheus are required")
	}
	if opts.LedgerFile == "" {
		return nil, fmt.Errorf("restore: a ledger file is required")
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Restorer{
		opts:    opts,
		targets: make(map[string]config.MikroTikTarget, len(opts.Config.MikroTik)),
		logger:  opts.Logger,
		now:     opts.Now,
		conns:   make(map[string]*routeros.Conn),
	}
	for _, t := range opts.Config.MikroTik {
		r.targets[t.Name] = t
	}
	return r, nil
}

// Routers names the MikroTik targets of the config, sorted.
func (r *Restorer) Routers() []string {
	names := make([]string, 0, len(r.targets))
	for name := range r.targets {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Close ends the router sessions.
func (r *Restorer) Close() error {
	r.mu.Lock()
	conns := r.conns
	r.conns = map[string]*routeros.Conn{}
	r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}

func (r *Restorer) target(name string) (config.MikroTikTarget, error) {
	t, ok := r.targets[name]
	if !ok {
		return t, refused("router %q is not a mikrotik target of the config file (known: %v)", name, r.Routers())
	}
	return t, nil
}

// conn returns the router's session, made on first use.
func (r *Restorer) conn(t config.MikroTikTarget) (*routeros.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.conns[t.Name]; ok {
		return c, nil
	}
	tlsConfig, err := t.TLS.Client()
	if err != nil {
		return nil, refused("router %s: %v", t.Name, err)
	}
	c := routeros.New(routeros.Config{
		Address:    t.Address,
		Username:   t.Username,
		Password:   t.Password.Reveal(),
		TLS:        tlsConfig,
		Logger:     r.logger.With("router", t.Name),
		BackoffMin: r.backoffMin,
	})
	r.conns[t.Name] = c
	return c, nil
}

// selector is a PromQL selector of metric for one router.
func selector(metric, router string) string {
	return metric + `{instance=` + strconv.Quote(router) + `}`
}

// Metric names the history is read from (README, "Metrics").
const (
	metricUp           = "mikrotik_up"
	metricBootTime     = "mikrotik_system_boot_time_seconds"
	metricUserUptime   = "mikrotik_hotspot_user_uptime_seconds"
	metricUserLimit    = "mikrotik_hotspot_user_limit_uptime_seconds"
	metricActiveUptime = "mikrotik_hotspot_active_uptime_seconds"
)
