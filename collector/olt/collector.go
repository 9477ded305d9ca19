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
	"strings"
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

var _ collector.DeadlineKeeper = (*Collector)(nil)

// KeepsDeadline is true: a scrape waits for its OLT's turn in a select with ctx.Done(),
// every request carries ctx (the body is read under it too, at most maxPageBytes), and
// parsing and export are bounded by the page. The framework may run it on the request's
// goroutine (TestEndpointFaults' "slow past the deadline" holds it to answering in time).
func (c *Collector) KeepsDeadline() bool { return true }

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
	kept   keptSeries
	// failed is the error of the last read when it failed, at failedAt: the OLT is not
	// read again before min_interval has passed, failed or not.
	failed   error
	failedAt time.Time
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
	minInterval := time.Duration(o.cfg.MinInterval)
	switch {
	case s.failed != nil && now.Sub(s.failedAt) < minInterval:
		// An OLT that failed (overloaded, timing out, refusing) is asked no more often
		// than one that answers: the same failure until min_interval has passed.
		return fmt.Errorf("the last read, %s ago, failed (the next read after min_interval, %s): %w",
			now.Sub(s.failedAt).Round(time.Second), minInterval, s.failed)
	case s.last == nil || s.failed != nil || now.Sub(s.lastAt) >= minInterval:
		snap, err := s.drv.read(ctx)
		if err != nil {
			s.failed, s.failedAt = err, now
			return err
		}
		s.last, s.lastAt, s.failed = snap, now, nil
		logger.Debug("read the OLT", "driver", o.cfg.Driver, "pons", len(snap.PONs), "onus", len(snap.ONUs))
	default:
		logger.Debug("serving the last read: younger than min_interval", "age", now.Sub(s.lastAt), "min_interval", o.cfg.MinInterval)
	}
	emit(b, s.last, now.Sub(s.lastAt), &s.kept, logger)
	return nil
}

// emit adds the series of one snapshot to b. kept is what the OLT's last scrape made of
// each ONU, reused where the ONU is the same.
//
// It adds them family by family (every ONU's state, then every ONU's RX power, …), not ONU
// by ONU, through collector.Lines: when Prometheus asks for text, each series is written as
// a line straight away, from an ONU's pon and onu escaped once (and kept from scrape to
// scrape while they do not change) and the value; an ONU's one-hot state and its _info,
// which rarely change, are written once and copied while they do not.
func emit(b *collector.Batch, snap *Snapshot, age time.Duration, kept *keptSeries, logger *slog.Logger) {
	b.Add(dataAge, age.Seconds())
	states := snap.States
	if len(states) == 0 {
		states = States
	}
	list := onuLists.Get().(*[]*ONU)
	*list = slices.Grow((*list)[:0], len(snap.ONUs))[:len(snap.ONUs)]
	defer func() {
		clear(*list) // the next scrape's snapshot is another
		onuLists.Put(list)
	}()
	onus, duplicates := distinctONUs(*list, snap.ONUs)
	perONU := kept.update(onus)
	table := kept.readings(onus)

	// Most ONUs have the driver's one-hot states, up to 9 readings and _info. The states
	// and _info are each written from one Block of every ONU's, made again only when
	// an ONU's changed.
	outside := 0
	for k, o := range onus {
		if !slices.Contains(states, o.State) {
			outside++
		}
		kept.states.set(k, perONU[k].stateBlock(kept.labels[k], states))
		kept.infos.set(k, perONU[k].infoBlock(kept.labels[k]))
	}
	lines := b.Lines(onuState)
	lines.AddBlock(kept.states.joined(onuState, len(onus)))
	for r, f := range readingFamilies {
		lines := b.Lines(f)
		lines.AddEach(kept.column, nil, table[r]) // NaN, and left out, where the OLT gave no reading
	}
	// Why an ONU is offline matters while it is; for an ONU that is up, the history
	// is in olt_onu_deregistrations_total and olt_onu_dying_gasp.
	lines = b.Lines(onuOfflineReason)
	for k, o := range onus {
		if hasOfflineReason(o) {
			lines.Add(&kept.labels[k], reasonTail(o.OfflineReason), 1)
		}
	}
	lines = b.Lines(onuInfo)
	lines.AddBlock(kept.infos.joined(onuInfo, len(onus)))
	emitPONs(b, snap.PONs, onus, states)

	if duplicates > 0 {
		logger.Warn("the OLT listed ONUs more than once; only the first of each is exported", "duplicates", duplicates)
	}
	if outside > 0 {
		logger.Debug("ONUs in a state the driver does not know", "onus", outside)
	}
}

// keptSeries is what an OLT's last scrape made of each ONU, reused while it does not
// change (an OLT's ONUs rarely do), in the order the ONUs were exported: its pon and onu
// labels, escaped once, and its olt_onu_state and olt_onu_info series, written once.
type keptSeries struct {
	onus   []onuSeries
	labels []collector.Labels // each ONU's pon and onu, as onus[k].pon and .id
	// column is labels again, in one piece of memory for Lines.AddEach: it is read
	// once for each family of readings, and the ONUs' labels each in a place of their
	// own did not stay in the processor's cache from one family to the next.
	column *collector.LabelColumn
	// table holds every ONU's readings, a row per family, reused from scrape to scrape:
	// the ONUs are read once for all families, not once a family.
	table [len(readingFamilies)][]collector.Number
	// states and infos are every ONU's olt_onu_state and olt_onu_info Blocks, and the
	// Block of them all.
	states, infos joinedBlocks
}

// joinedBlocks are one Block per ONU and, once asked for, the Block of them all, made
// again when one of them changes.
type joinedBlocks struct {
	each []*collector.Block
	all  *collector.Block
}

// set makes bl the k-th ONU's Block.
func (j *joinedBlocks) set(k int, bl *collector.Block) {
	if k >= len(j.each) {
		j.each = append(j.each, make([]*collector.Block, k+1-len(j.each))...)
	}
	if j.each[k] != bl {
		j.each[k], j.all = bl, nil
	}
}

// joined returns the Block of the first n ONUs' Blocks.
func (j *joinedBlocks) joined(f *collector.Family, n int) *collector.Block {
	if len(j.each) != n {
		clear(j.each[n:]) // ONUs gone: their Blocks are not kept
		j.each, j.all = j.each[:n], nil
	}
	if j.all == nil {
		j.all = f.Join(j.each)
	}
	return j.all
}

type onuSeries struct {
	pon, id string
	onu     *ONU // this scrape's ONU

	// state is the ONU's olt_onu_state series for the state and the driver's states it
	// was made for.
	state    *collector.Block
	stateOf  State
	statesOf []State
	// info is its olt_onu_info series, made of the values in infoOf.
	info   *collector.Block
	infoOf [5]string
}

// readings returns the table of the ONUs' readings, a row per family of readingFamilies.
func (ks *keptSeries) readings(onus []*ONU) *[len(readingFamilies)][]collector.Number {
	t := &ks.table
	for r := range t {
		t[r] = slices.Grow(t[r][:0], len(onus))[:len(onus)]
	}
	for k, o := range onus {
		for r, v := range o.readings() {
			t[r][k] = v
		}
	}
	return t
}

// update takes onus, this scrape's ONUs in export order, and returns what is kept of each,
// the last scrape's where an ONU at the same place has the same pon and onu. The strings
// are compared, not just their pointers: drivers that copy every string still reuse them.
func (ks *keptSeries) update(onus []*ONU) []onuSeries {
	changed := ks.column == nil || ks.column.Len() != len(onus)
	ks.onus = grow(ks.onus, len(onus))
	ks.labels = grow(ks.labels, len(onus))
	for k, o := range onus {
		l := &ks.onus[k]
		if l.pon != o.PON || l.id != o.ID || ks.labels[k].Len() == 0 {
			*l = onuSeries{pon: o.PON, id: o.ID}
			ks.labels[k] = collector.NewLabels(ponONU, o.PON, o.ID)
			changed = true
		}
		l.onu = o
	}
	if changed {
		if ks.column == nil {
			ks.column = collector.NewLabelColumn(ponONU)
		}
		ks.column.Reset()
		for k := range ks.labels {
			ks.column.AddLabels(&ks.labels[k])
		}
	}
	return ks.onus
}

// grow returns s with length n, keeping what it held (the last scrape's).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		s = slices.Grow(s[:cap(s)], n-cap(s))
	}
	return s[:n]
}

// stateBlock returns the ONU's olt_onu_state series: one-hot over the driver's states,
// and its own state's besides when it is not one of them.
func (l *onuSeries) stateBlock(labels collector.Labels, states []State) *collector.Block {
	o := l.onu
	if l.state != nil && l.stateOf == o.State && slices.Equal(l.statesOf, states) {
		return l.state
	}
	tails := make([]*collector.Tail, 0, len(states)+1)
	values := make([]float64, 0, len(states)+1)
	for _, st := range states {
		tails, values = append(tails, stateTail(st)), append(values, oneHot(o.State == st))
	}
	if !slices.Contains(states, o.State) {
		tails, values = append(tails, stateTail(o.State)), append(values, 1)
	}
	l.state, l.stateOf, l.statesOf = onuState.Block(labels, tails, values), o.State, states
	return l.state
}

// infoBlock returns the ONU's olt_onu_info series.
func (l *onuSeries) infoBlock(labels collector.Labels) *collector.Block {
	o := l.onu
	info := [5]string{o.Name, o.MAC, o.Firmware, o.Auth, o.CTCStatus}
	if l.info == nil || info != l.infoOf {
		tail := onuInfo.Tail(info[:]...)
		l.info, l.infoOf = onuInfo.Block(labels, []*collector.Tail{tail}, []float64{1}), info
	}
	return l.info
}

// stateTails and reasonTails are olt_onu_state's and olt_onu_offline_reason's last label
// values, escaped once for good.
var (
	stateTails  = tails(onuState, allStates[:])
	reasonTails = tails(onuOfflineReason, OfflineReasons)
)

func tails[S ~string](f *collector.Family, words []S) map[S]*collector.Tail {
	m := make(map[S]*collector.Tail, len(words))
	for _, w := range words {
		m[w] = f.Tail(string(w))
	}
	return m
}

// stateTail is st's tail on olt_onu_state.
func stateTail(st State) *collector.Tail {
	if t := stateTails[st]; t != nil {
		return t
	}
	return onuState.Tail(string(st)) // a state no driver gives today
}

func reasonTail(r OfflineReason) *collector.Tail {
	if t := reasonTails[r]; t != nil {
		return t
	}
	return onuOfflineReason.Tail(string(r)) // a reason no driver gives today
}

// onuLists are emit's lists of ONUs to export, reused from scrape to scrape.
var onuLists = sync.Pool{New: func() any { return new([]*ONU) }}

// ponONU are the labels every per-ONU family starts with.
var ponONU = []string{"pon", "onu"}

// readingFamilies are the per-ONU values exported with the labels pon and onu only, each
// left out when the OLT has no valid reading, in the order of ONU.readings.
var readingFamilies = [...]*collector.Family{onuRxPower, onuTxPower, onuTemperature, onuVoltage,
	onuBias, onuDistance, onuOnline, onuDeregistrations, onuDyingGasp}

// readings are the ONU's values for readingFamilies.
func (o *ONU) readings() [len(readingFamilies)]collector.Number {
	return [...]collector.Number{o.RxPowerDBm, o.TxPowerDBm, o.TemperatureCelsius, o.VoltageVolts,
		o.BiasCurrentAmperes, o.DistanceMeters, o.OnlineSeconds, o.Deregistrations, o.DyingGasp}
}

var noLabels collector.Labels

// hasOfflineReason: the reason is exported while the ONU is offline. An ONU up, or with a
// loop detected (registered, its port shut by the OLT), is online: the reason the OLT still
// shows is from the last time it went offline.
func hasOfflineReason(o *ONU) bool {
	return o.OfflineReason != "" && o.State != StateUp && o.State != StateLoopDetected
}

// emitPONs adds olt_pon_onus: for every PON the OLT showed or an ONU named, in that order,
// its ONUs by state over the driver's set, and states outside it only when an ONU is in one.
func emitPONs(b *collector.Batch, pons []string, onus []*ONU, states []State) {
	type ponCount struct {
		pon     string
		byState [len(allStates)]int
	}
	counts := make([]ponCount, 0, len(pons))
	index := make(map[string]int, len(pons))
	at := func(p string) int {
		i, ok := index[p]
		if !ok {
			i = len(counts)
			index[p] = i
			counts = append(counts, ponCount{pon: p})
		}
		return i
	}
	for _, p := range pons {
		at(p)
	}
	last := -1
	for _, o := range onus {
		if last < 0 || counts[last].pon != o.PON { // an OLT lists a PON's ONUs together
			last = at(o.PON)
		}
		counts[last].byState[stateIndex(o.State)]++
	}
	lines := b.Lines(ponONUs)
	for i := range counts {
		c := &counts[i]
		for _, st := range states {
			lines.AddValues(&noLabels, float64(c.byState[stateIndex(st)]), c.pon, string(st))
		}
		for j, st := range allStates {
			if c.byState[j] > 0 && !slices.Contains(states, st) {
				lines.AddValues(&noLabels, float64(c.byState[j]), c.pon, string(st))
			}
		}
	}
}

// distinctONUs returns the ONUs to export: the first of each PON and id, in the OLT's
// order, and how many were left out (the same series twice would make the whole
// exposition invalid). out is where the list goes, of len(all).
func distinctONUs(out []*ONU, all []ONU) ([]*ONU, int) {
	ascending := true
	for i := range all {
		out[i] = &all[i]
		if i > 0 && ascending && !idBefore(&all[i-1], &all[i]) {
			ascending = false
		}
	}
	if ascending {
		return out, 0 // an OLT lists its ONUs in order: no duplicates possible
	}
	seen := make(map[[2]string]bool, len(all))
	kept := out[:0]
	for i := range all {
		key := [2]string{all[i].PON, all[i].ID}
		if !seen[key] {
			seen[key] = true
			kept = append(kept, &all[i])
		}
	}
	return kept, len(all) - len(kept)
}

// idBefore orders ONUs by PON, then id, numbers by their value ("0/2" before "0/10"):
// shorter strings of digits first, then byte order. It is strict, so a list ascending by
// it has no two ONUs with the same PON and id.
func idBefore(a, b *ONU) bool {
	if c := compareNumeric(a.PON, b.PON); c != 0 {
		return c < 0
	}
	return compareNumeric(a.ID, b.ID) < 0
}

func compareNumeric(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func oneHot(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
