// Package ssh is ronda-exporter's collector for Linux hosts read over SSH, for servers
// that cannot run node_exporter: CPU, memory, load, filesystems, kernel and clock under
// node_exporter's names, the state of chosen systemd units, and commands the operator
// defines. Each scrape is one session running one script on a persistent connection
// (internal/sshconn); the output is read by the pure parsers of internal/hostparse.
package ssh

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	cryptossh "golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sshconn"
)

// Options tunes the collector; the zero value is fine.
type Options struct {
	// BackoffMin and BackoffMax bound the wait before dialling a host again after a failure.
	BackoffMin, BackoffMax time.Duration
	// KeepaliveInterval and IdleTimeout tune the connections (sshconn's defaults when zero).
	KeepaliveInterval, IdleTimeout time.Duration
}

// maxOutput caps one scrape's output: /proc and df of a big host are tens of KiB.
const maxOutput = 8 << 20

// Collector scrapes SSH hosts. It implements collector.Collector.
type Collector struct {
	logger *slog.Logger
	opts   Options

	mu     sync.Mutex
	hosts  map[string]*host
	closed bool
}

var (
	_ collector.DeadlineKeeper = (*Collector)(nil)
	_ collector.ReasonLister   = (*Collector)(nil)
)

// host is one configured host; replaced on reload, keeping the connection and CPU state
// when only other settings changed.
type host struct {
	cfg  config.SSHTarget
	conn *sshconn.Host
	cpu  *cpuState
	// script is the host's script, built at its first scrape.
	script atomic.Pointer[script]
}

// New returns a collector with no hosts; Reload hands it the configuration.
func New(logger *slog.Logger, opts Options) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{logger: logger, opts: opts, hosts: map[string]*host{}}
}

// Kind is "ssh".
func (c *Collector) Kind() string { return config.KindSSH }

// Reasons adds hostkey to the reasons every kind has.
func (c *Collector) Reasons() []collector.Reason {
	return append(slices.Clone(collector.Reasons[:len(collector.Reasons)-1]), collector.ReasonHostKey, collector.ReasonOther)
}

// Reload takes a new configuration; hosts that went away or are reached differently lose
// their connection.
func (c *Collector) Reload(cfg *config.Config) {
	var stale []*sshconn.Host
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	next := make(map[string]*host, len(cfg.SSH))
	for _, t := range cfg.SSH {
		old := c.hosts[t.Name]
		switch {
		case old != nil && sameConnection(&old.cfg, &t):
			next[t.Name] = &host{cfg: t, conn: old.conn, cpu: old.cpu}
		default:
			if old != nil {
				stale = append(stale, old.conn)
			}
			next[t.Name] = &host{cfg: t, conn: c.newConn(&t), cpu: &cpuState{}}
		}
		if t.InsecureIgnoreHostKey {
			c.logger.Warn("SSH host keys of this target are NOT verified (insecure_ignore_host_key): anyone on the path can impersonate it", "target", t.Name)
		}
	}
	for name, old := range c.hosts {
		if _, kept := next[name]; !kept {
			stale = append(stale, old.conn)
		}
	}
	c.hosts = next
	c.mu.Unlock()
	for _, conn := range stale {
		_ = conn.Close()
	}
}

func (c *Collector) newConn(t *config.SSHTarget) *sshconn.Host {
	logger := c.logger.With("kind", config.KindSSH, "target", t.Name)
	return sshconn.New(sshconn.Config{
		Address: t.Address,
		User:    t.User,
		Signer:  t.Signer,
		HostKeys: &sshconn.HostKeys{
			File: t.KnownHostsFile, TrustOnFirstUse: t.TrustOnFirstUse, Insecure: t.InsecureIgnoreHostKey, Logger: logger,
		},
		HostKeyAlgorithms: t.HostKeyAlgorithms,
		MaxSessions:       t.MaxSessions,
		KeepaliveInterval: c.opts.KeepaliveInterval,
		IdleTimeout:       c.opts.IdleTimeout,
		BackoffMin:        c.opts.BackoffMin,
		BackoffMax:        c.opts.BackoffMax,
		Logger:            logger,
	})
}

// sameConnection reports whether two configurations reach and log in to a host the same way.
func sameConnection(a, b *config.SSHTarget) bool {
	return a.Address == b.Address && a.User == b.User &&
		a.KnownHostsFile == b.KnownHostsFile && a.TrustOnFirstUse == b.TrustOnFirstUse &&
		a.InsecureIgnoreHostKey == b.InsecureIgnoreHostKey && a.MaxSessions == b.MaxSessions &&
		slices.Equal(a.HostKeyAlgorithms, b.HostKeyAlgorithms) && sameKey(a.Signer, b.Signer)
}

func sameKey(a, b cryptossh.Signer) bool {
	if a == nil || b == nil {
		return a == b
	}
	return string(a.PublicKey().Marshal()) == string(b.PublicKey().Marshal())
}

// Close ends every host's connection.
func (c *Collector) Close() error {
	c.mu.Lock()
	hosts := c.hosts
	c.hosts = map[string]*host{}
	c.closed = true
	c.mu.Unlock()
	for _, h := range hosts {
		_ = h.conn.Close()
	}
	return nil
}

// KeepsDeadline is true: every wait of a scrape is bound to its context. sshconn waits
// for a session slot and for its turn to dial in selects with ctx.Done(), dials with the
// deadline on the connection for the whole handshake, drops the connection at the
// deadline while opening a session or starting the command, and waits for the output in
// a select; what is left is parsing at most maxOutput bytes. So the framework runs SSH
// scrapes on the request's goroutine.
func (c *Collector) KeepsDeadline() bool { return true }

// Scrape is ScrapeBatch with the series sent to ch.
func (c *Collector) Scrape(ctx context.Context, target string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	var b collector.Batch
	err := c.ScrapeBatch(ctx, target, logger, &b)
	b.Send(ch)
	return err
}

// ScrapeBatch runs the script on the host and adds what its output holds to b. A session
// that fails adds nothing; a section that cannot be read costs its own series only, and
// is counted in ssh_parse_problems.
func (c *Collector) ScrapeBatch(ctx context.Context, target string, logger *slog.Logger, b *collector.Batch) error {
	c.mu.Lock()
	h := c.hosts[target]
	c.mu.Unlock()
	if h == nil {
		return collector.Failf(collector.ReasonConfig, "no SSH host named %q is configured", target)
	}
	if logger == nil {
		logger = c.logger
	}
	timeout := time.Duration(h.cfg.Timeout)
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	s := h.script.Load()
	if dfSecs := dfSeconds(timeout); s == nil || s.dfSecs != dfSecs {
		s = buildScript(&h.cfg, dfSecs)
		h.script.Store(s)
	}
	marker := newMarker()
	res, err := h.conn.Run(ctx, sshconn.Request{Command: s.command(marker), Until: until(marker), Limit: maxOutput})
	if err != nil {
		return err
	}
	if len(res.Stderr) > 0 {
		logger.Debug("the script wrote to stderr", "stderr", string(res.Stderr))
	}
	// The output ended with the script's last marker (sshconn checked), so the script ran:
	// what cannot be read in it is counted in ssh_parse_problems, not a failed scrape.
	out := parseOutput(res.Stdout, marker, &h.cfg) // copies what it keeps
	res.Release()
	out.emit(b, h, logger)
	reused := 0.0
	if res.Reused {
		reused = 1
	}
	b.Add(connectionReused, reused)
	return nil
}
