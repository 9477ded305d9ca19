// Package olt is ronda-exporter's collector for EPON/GPON OLTs: per-ONU state, optics,
// distance and history read from the OLT's web interface, one driver per vendor
// (hioso.go, vsol.go, hsgq.go).
//
// OLT web servers are weak embedded things, so the collector is gentle with them: one
// request at a time per OLT, at most one read per min_interval (scrapes in between are
// answered from the last read, with olt_data_age_seconds saying how old it is), and every
// request bound to the scrape's deadline. Each OLT has its own lock, so a slow OLT never
// delays another.
package olt

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// Options tunes the collector; the zero value is fine.
type Options struct {
	// Now is the clock min_interval and the data age are measured with; nil means time.Now.
	Now func() time.Time
}

// Collector scrapes OLTs. It implements collector.Collector.
type Collector struct {
	logger *slog.Logger
	opts   Options

	mu     sync.Mutex
	olts   map[string]*olt
	closed bool
}

var _ collector.BatchCollector = (*Collector)(nil)

// olt is one configured OLT. It is replaced on reload; its session (driver, connection
// and last read) carries over when only labels, timeout or min_interval changed.
type olt struct {
	cfg     config.OLTTarget
	session *session
}

// session is what is kept between scrapes of one OLT.
type session struct {
	transport *http.Transport
	// turn holds a token while a scrape uses the OLT: one request at a time.
	turn chan struct{}

	// Guarded by turn.
	drv    driver
	last   *Snapshot
	lastAt time.Time
}

// New returns a collector with no OLTs; Reload hands it the configuration.
func New(logger *slog.Logger, opts Options) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Collector{logger: logger, opts: opts, olts: map[string]*olt{}}
}

// Kind is "olt".
func (c *Collector) Kind() string { return config.KindOLT }

// Reload takes a new configuration. OLTs whose driver, URL or credentials changed start
// afresh; the others keep their session and last read.
func (c *Collector) Reload(cfg *config.Config) {
	var stale []*session
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	next := make(map[string]*olt, len(cfg.OLT))
	for _, t := range cfg.OLT {
		if old := c.olts[t.Name]; old != nil && sameSession(old.cfg, t) {
			next[t.Name] = &olt{cfg: t, session: old.session}
			continue
		}
		next[t.Name] = &olt{cfg: t, session: newSession(t)}
	}
	for name, old := range c.olts {
		if n, kept := next[name]; !kept || n.session != old.session {
			stale = append(stale, old.session)
		}
	}
	c.olts = next
	c.mu.Unlock()
	for _, s := range stale {
		s.transport.CloseIdleConnections()
	}
}

func sameSession(a, b config.OLTTarget) bool {
	return a.Driver == b.Driver && a.URL == b.URL && a.Username == b.Username &&
		a.Password.Reveal() == b.Password.Reveal()
}

func newSession(t config.OLTTarget) *session {
	transport := &http.Transport{
		// OLTs sit on the management LAN: no proxy from the environment.
		Proxy:       nil,
		DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		// One connection per OLT, kept open between reads: embedded web servers cope
		// badly with several at once and with a new TCP connection per page.
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		// A redirect is a login page or a different firmware; never follow it silently.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	build := drivers[t.Driver]
	var drv driver
	if build != nil {
		drv = build(t, client)
	}
	return &session{transport: transport, turn: make(chan struct{}, 1), drv: drv}
}

// Close drops every OLT's connections.
func (c *Collector) Close() error {
	c.mu.Lock()
	olts := c.olts
	c.olts = map[string]*olt{}
	c.closed = true
	c.mu.Unlock()
	for _, o := range olts {
		o.session.transport.CloseIdleConnections()
	}
	return nil
}

// Scrape is ScrapeBatch with the series sent to ch.
func (c *Collector) Scrape(ctx context.Context, target string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	var b collector.Batch
	err := c.ScrapeBatch(ctx, target, logger, &b)
	b.Send(ch)
	return err
}

// ScrapeBatch reads one OLT, or reuses its last read when that is younger than
// min_interval, and adds its series to b. A failed read adds nothing.
func (c *Collector) ScrapeBatch(ctx context.Context, target string, logger *slog.Logger, b *collector.Batch) error {
	c.mu.Lock()
	o := c.olts[target]
	c.mu.Unlock()
	if o == nil {
		return collector.Failf(collector.ReasonConfig, "no OLT named %q is configured", target)
	}
	if logger == nil {
		logger = c.logger
	}
	s := o.session
	if s.drv == nil {
		return collector.Failf(collector.ReasonConfig, "OLT %s: unknown driver %q", target, o.cfg.Driver)
	}

	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return collector.Fail(collector.ReasonTimeout, fmt.Errorf("waiting for another scrape of this OLT to finish: %w", ctx.Err()))
	}
	defer func() { <-s.turn }()

	now := c.opts.Now()
	if s.last == nil || now.Sub(s.lastAt) >= time.Duration(o.cfg.MinInterval) {
		snap, err := s.drv.read(ctx)
		if err != nil {
			return err
		}
		s.last, s.lastAt = snap, now
		logger.Debug("read the OLT", "driver", o.cfg.Driver, "pons", len(snap.PONs), "onus", len(snap.ONUs))
	} else {
		logger.Debug("serving the last read: younger than min_interval", "age", now.Sub(s.lastAt), "min_interval", o.cfg.MinInterval)
	}
	emit(b, s.last, now.Sub(s.lastAt), logger)
	return nil
}

// emit adds the series of one snapshot to b.
func emit(b *collector.Batch, snap *Snapshot, age time.Duration, logger *slog.Logger) {
	b.Add(dataAge, age.Seconds())
	states := snap.States
	if len(states) == 0 {
		states = States
	}

	type ponCount struct{ byState map[State]int }
	pons := map[string]*ponCount{}
	order := make([]string, 0, len(snap.PONs))
	addPON := func(p string) *ponCount {
		pc := pons[p]
		if pc == nil {
			pc = &ponCount{byState: map[State]int{}}
			pons[p] = pc
			order = append(order, p)
		}
		return pc
	}
	for _, p := range snap.PONs {
		addPON(p)
	}

	// Most ONUs have up to 9 readings, one-hot states and _info; the PONs their counts.
	b.Grow(len(snap.ONUs)*(len(states)+10) + len(snap.PONs)*len(states))
	seen := make(map[[2]string]bool, len(snap.ONUs))
	duplicates, outside := 0, 0
	for i := range snap.ONUs {
		o := &snap.ONUs[i]
		key := [2]string{o.PON, o.ID}
		if seen[key] {
			duplicates++ // the same series twice would make the whole exposition invalid
			continue
		}
		seen[key] = true
		addPON(o.PON).byState[o.State]++

		// One backing array for the label values of all this ONU's series: a Sample keeps
		// its slice, and 4,096 ONUs × 20 series is too many small allocations otherwise.
		labels := make([]string, 0, 2+3*(len(states)+1)+3+7)
		labels = append(labels, o.PON, o.ID)
		id := labels[0:2:2] // shared by every series with only pon and onu
		for _, st := range states {
			start := len(labels)
			labels = append(labels, o.PON, o.ID, string(st))
			b.Add(onuState, oneHot(o.State == st), labels[start:start+3:start+3]...)
		}
		if !slices.Contains(states, o.State) {
			outside++
			start := len(labels)
			labels = append(labels, o.PON, o.ID, string(o.State))
			b.Add(onuState, 1, labels[start:start+3:start+3]...)
		}
		for _, v := range []struct {
			f *collector.Family
			v float64
		}{
			{onuRxPower, o.RxPowerDBm}, {onuTxPower, o.TxPowerDBm},
			{onuTemperature, o.TemperatureCelsius}, {onuVoltage, o.VoltageVolts},
			{onuBias, o.BiasCurrentAmperes}, {onuDistance, o.DistanceMeters},
			{onuOnline, o.OnlineSeconds}, {onuDeregistrations, o.Deregistrations},
			{onuDyingGasp, o.DyingGasp},
		} {
			if present(v.v) {
				b.Add(v.f, v.v, id...)
			}
		}
		// Why an ONU is offline matters while it is; for an ONU that is up, the history
		// is in olt_onu_deregistrations_total and olt_onu_dying_gasp.
		if o.OfflineReason != "" && o.State != StateUp {
			start := len(labels)
			labels = append(labels, o.PON, o.ID, string(o.OfflineReason))
			b.Add(onuOfflineReason, 1, labels[start:start+3:start+3]...)
		}
		start := len(labels)
		labels = append(labels, o.PON, o.ID, o.Name, o.MAC, o.Firmware, o.Auth, o.CTCStatus)
		b.Add(onuInfo, 1, labels[start:]...)
	}
	for _, p := range order {
		for _, st := range states {
			b.Add(ponONUs, float64(pons[p].byState[st]), p, string(st))
		}
		for _, st := range States { // states outside the driver's set, only when an ONU is in one
			if n := pons[p].byState[st]; n > 0 && !slices.Contains(states, st) {
				b.Add(ponONUs, float64(n), p, string(st))
			}
		}
	}
	if duplicates > 0 {
		logger.Warn("the OLT listed ONUs more than once; only the first of each is exported", "duplicates", duplicates)
	}
	if outside > 0 {
		logger.Debug("ONUs in a state the driver does not know", "onus", outside)
	}
}

func oneHot(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
