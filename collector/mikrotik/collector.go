// Package mikrotik is ronda-exporter's collector for MikroTik RouterOS routers: system
// health and the hotspot's users, active sessions and hosts, over one persistent API
// session per router.
package mikrotik

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/routeros"
)

// Options tunes the collector; the zero value is fine.
type Options struct {
	// BackoffMin and BackoffMax bound the wait before dialling a router again after a
	// failure; zero means routeros.DefaultBackoffMin and routeros.DefaultBackoffMax.
	BackoffMin, BackoffMax time.Duration
	// Now is the clock the boot time is worked out with; nil means time.Now.
	Now func() time.Time
}

// Collector scrapes RouterOS routers. It implements collector.Collector.
type Collector struct {
	logger *slog.Logger
	opts   Options

	mu      sync.Mutex
	routers map[string]*router
	closed  bool
}

var _ collector.Collector = (*Collector)(nil)

// router is one configured router. It is replaced, never changed, on reload; the
// connection and boot clock carry over when only other settings changed.
type router struct {
	cfg      config.MikroTikTarget
	conn     *routeros.Conn // nil when setupErr is set
	setupErr error
	boot     *bootClock
}

// New returns a collector with no routers; Reload hands it the configuration.
func New(logger *slog.Logger, opts Options) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Collector{logger: logger, opts: opts, routers: map[string]*router{}}
}

// Kind is "mikrotik".
func (c *Collector) Kind() string { return config.KindMikroTik }

// Reload takes a new configuration: routers that went away or whose connection settings
// changed lose their session; the others keep theirs warm.
func (c *Collector) Reload(cfg *config.Config) {
	var stale []*routeros.Conn
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	next := make(map[string]*router, len(cfg.MikroTik))
	for _, t := range cfg.MikroTik {
		old := c.routers[t.Name]
		switch {
		case old != nil && sameConnection(old.cfg, t):
			next[t.Name] = &router{cfg: t, conn: old.conn, setupErr: old.setupErr, boot: old.boot}
		default:
			if old != nil && old.conn != nil {
				stale = append(stale, old.conn)
			}
			boot := &bootClock{}
			if old != nil {
				boot = old.boot // same router at a new address is still the same boot
			}
			next[t.Name] = c.newRouter(t, boot)
		}
	}
	for name, old := range c.routers {
		if _, kept := next[name]; !kept && old.conn != nil {
			stale = append(stale, old.conn)
		}
	}
	c.routers = next
	c.mu.Unlock()

	// Outside the lock: Close waits for a command in flight to be interrupted.
	for _, conn := range stale {
		_ = conn.Close()
	}
}

func (c *Collector) newRouter(t config.MikroTikTarget, boot *bootClock) *router {
	tlsConfig, err := t.TLS.Client()
	if err != nil {
		return &router{cfg: t, setupErr: fmt.Errorf("router %s: %w", t.Name, err), boot: boot}
	}
	conn := routeros.New(routeros.Config{
		Address:    t.Address,
		Username:   t.Username,
		Password:   t.Password.Reveal(),
		TLS:        tlsConfig,
		Logger:     c.logger.With("kind", config.KindMikroTik, "target", t.Name),
		BackoffMin: c.opts.BackoffMin,
		BackoffMax: c.opts.BackoffMax,
	})
	return &router{cfg: t, conn: conn, boot: boot}
}

// sameConnection reports whether two configurations reach and log in to a router the
// same way, so its session can be kept.
func sameConnection(a, b config.MikroTikTarget) bool {
	return a.Address == b.Address && a.Username == b.Username &&
		a.Password.Reveal() == b.Password.Reveal() && reflect.DeepEqual(a.TLS, b.TLS)
}

// Close ends every router's session.
func (c *Collector) Close() error {
	c.mu.Lock()
	routers := c.routers
	c.routers = map[string]*router{}
	c.closed = true
	c.mu.Unlock()
	for _, r := range routers {
		if r.conn != nil {
			_ = r.conn.Close()
		}
	}
	return nil
}

// Scrape reads one router and sends its metrics. Nothing is sent unless every print
// succeeded, so a failed scrape never exports half a router.
func (c *Collector) Scrape(ctx context.Context, target string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	r := c.routers[target]
	c.mu.Unlock()
	if r == nil {
		return collector.Failf(collector.ReasonConfig, "no MikroTik router named %q is configured", target)
	}
	if r.setupErr != nil {
		return collector.Fail(collector.ReasonConfig, r.setupErr)
	}
	if logger == nil {
		logger = c.logger
	}

	sys, err := fetchSystem(ctx, r.conn, c.opts.Now)
	if err != nil {
		return err
	}
	hs, hasHotspot, err := fetchHotspot(ctx, r.conn, usersMode(r.cfg.HotspotUsers))
	if err != nil {
		return err
	}
	if !hasHotspot {
		logger.Debug("router has no hotspot (no such command); exporting system metrics only")
	}

	var bad parseProblems
	sys.emit(ch, r.boot, &bad)
	if hasHotspot {
		hs.emit(ch, logger, &bad)
	}
	bad.log(logger)
	return nil
}

func usersMode(m config.HotspotUsers) config.HotspotUsers {
	if m == "" {
		return config.HotspotUsersAll
	}
	return m
}
