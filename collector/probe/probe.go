// Package probe is the probe kind: reachability checks of servers, branches and services
// on /probe, with blackbox_exporter's modules (icmp, tcp, http, dns) and metric names, so
// its dashboards and alerts work unchanged, plus what blackbox lacks: a failure reason
// (`probe_failure_reason`), a packet loss ratio from a few pings per probe, and numbers read
// out of JSON answers (`probe_json_value`).
//
// Targets are configured (`/probe?target=NAME`, with a module and labels that reach every
// alert through /sd) or ad hoc, as with blackbox (`/probe?target=ADDRESS&module=M`).
package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/probe/jsonpath"
	"github.com/rondanet/ronda/config"
)

// Reasons a probe fails for, beyond the framework's.
const (
	// ReasonDNSResolve: the target's name could not be resolved.
	ReasonDNSResolve collector.Reason = "dns_resolve"
	// ReasonHTTPStatus: the HTTP status code is not an accepted one.
	ReasonHTTPStatus collector.Reason = "http_status"
	// ReasonBodyMismatch: the answer's content failed a regular expression (HTTP body, TCP expect).
	ReasonBodyMismatch collector.Reason = "body_mismatch"
	// ReasonJSON: the answer is not JSON, or a configured value is missing from it.
	ReasonJSON collector.Reason = "json"
	// ReasonPacketLoss: no echo request got a reply.
	ReasonPacketLoss collector.Reason = "packet_loss"
	// ReasonRcode: the DNS response code is not an accepted one.
	ReasonRcode collector.Reason = "rcode"
	// ReasonAnswerMismatch: the DNS answer failed a regular expression.
	ReasonAnswerMismatch collector.Reason = "answer_mismatch"
)

// reasons is the probe kind's fixed set, in the order it is exported.
var reasons = []collector.Reason{
	collector.ReasonTimeout, collector.ReasonConnect, ReasonDNSResolve, collector.ReasonTLS,
	ReasonHTTPStatus, ReasonBodyMismatch, ReasonJSON, ReasonPacketLoss, ReasonRcode,
	ReasonAnswerMismatch, collector.ReasonProtocol, collector.ReasonConfig, collector.ReasonOther,
}

// Collector probes targets. It keeps nothing between probes but the compiled modules.
type Collector struct {
	logger *slog.Logger
	state  atomic.Pointer[state]
	icmp   icmpSockets
}

// state is one configuration's targets and compiled modules.
type state struct {
	cfg     *config.Config
	modules map[string]*module
}

// module is a config.ProbeModule made ready to use: regular expressions compiled, paths
// parsed, TLS settings loaded.
type module struct {
	name string
	cfg  config.ProbeModule

	tls          *tls.Config
	bodyMatch    []*regexp.Regexp // fail if matches
	bodyNotMatch []*regexp.Regexp // fail if not matches
	expect       *regexp.Regexp
	jsonValues   []jsonValue
	validStatus  []int
	// err says why the module cannot be used (its CA file went away after the config was
	// checked, say): every probe with it fails with reason config and says so, rather
	// than probing with less than the operator asked for (the system CAs).
	err error
}

type jsonValue struct {
	name string
	path jsonpath.Path
}

// New builds the probe collector.
func New(logger *slog.Logger) *Collector {
	c := &Collector{logger: logger}
	c.state.Store(&state{cfg: &config.Config{}, modules: map[string]*module{}})
	return c
}

// Kind implements collector.Collector.
func (c *Collector) Kind() string { return config.KindProbe }

// Reasons implements collector.ReasonLister.
func (c *Collector) Reasons() []collector.Reason { return slices.Clone(reasons) }

// SeriesNames implements collector.SeriesNamer: blackbox_exporter's names.
func (c *Collector) SeriesNames() collector.SeriesNames {
	return collector.SeriesNames{
		Up:           "probe_success",
		UpHelp:       "1 if the probe succeeded, 0 if not; probe_failure_reason says why.",
		Duration:     "probe_duration_seconds",
		DurationHelp: "How long the probe took.",
		Reason:       "probe_failure_reason",
		ReasonHelp:   "1 for the reason the probe failed, 0 for the others; all 0 when it succeeded.",
	}
}

// Reload implements collector.Collector: modules are compiled once per configuration. The
// configuration was validated, so a module that still cannot be built (a CA file deleted
// since) is kept with its error, which each probe using it reports.
func (c *Collector) Reload(cfg *config.Config) {
	st := &state{cfg: cfg, modules: map[string]*module{}}
	for _, name := range cfg.ProbeModuleNames() {
		m, _ := cfg.ProbeModule(name)
		compiled, err := compile(name, m)
		if err != nil {
			c.logger.Error("probe module cannot be used", "module", name, "err", err)
			compiled.err = err
		}
		st.modules[name] = compiled
	}
	c.state.Store(st)
}

// Close implements collector.Collector.
func (c *Collector) Close() error { return nil }

// Scrape implements collector.Collector for configured targets.
func (c *Collector) Scrape(ctx context.Context, name string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	st := c.state.Load()
	t, ok := st.cfg.ProbeTarget(name)
	if !ok {
		return collector.Failf(collector.ReasonConfig, "no probe target %q", name)
	}
	m, ok := st.modules[t.Module]
	if !ok {
		return collector.Failf(collector.ReasonConfig, "no probe module %q", t.Module)
	}
	return c.probe(ctx, m, t.Address, logger, ch)
}

// AdHoc implements collector.AdHocScraper: /probe?target=ADDRESS&module=M, as blackbox does.
func (c *Collector) AdHoc(q url.Values) (*collector.AdHocTarget, error) {
	name := q.Get("module")
	if name == "" {
		return nil, nil
	}
	st := c.state.Load()
	m, ok := st.modules[name]
	if !ok {
		return nil, fmt.Errorf("unknown module %q; modules: %s", name, strings.Join(st.cfg.ProbeModuleNames(), ", "))
	}
	address := q.Get("target")
	if err := config.CheckProbeAddress(m.cfg.Prober, address); err != nil {
		return nil, fmt.Errorf("%q is not a valid %s target: %v", address, m.cfg.Prober, err)
	}
	return &collector.AdHocTarget{
		Timeout: m.cfg.ProbeTimeout(), // as a configured target without a timeout of its own
		Scrape: func(ctx context.Context, logger *slog.Logger, ch chan<- prometheus.Metric) error {
			return c.probe(ctx, m, address, logger, ch)
		},
	}, nil
}

func (c *Collector) probe(ctx context.Context, m *module, address string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	if m.err != nil {
		return collector.Fail(collector.ReasonConfig, fmt.Errorf("probe module %s cannot be used: %w", m.name, m.err))
	}
	if m.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(m.cfg.Timeout))
		defer cancel()
	}
	logger = logger.With("module", m.name, "address", address)
	switch m.cfg.Prober {
	case config.ProberHTTP:
		return probeHTTP(ctx, m, address, logger, ch)
	case config.ProberTCP:
		return probeTCP(ctx, m, address, logger, ch)
	case config.ProberICMP:
		return c.probeICMP(ctx, m, address, logger, ch)
	case config.ProberDNS:
		return probeDNS(ctx, m, address, logger, ch)
	}
	return collector.Failf(collector.ReasonConfig, "module %s has no usable prober (%q)", m.name, m.cfg.Prober)
}

func compile(name string, cfg config.ProbeModule) (*module, error) {
	m := &module{name: name, cfg: cfg}
	var errs []error
	var tlsCfg *config.TLSConfig
	switch {
	case cfg.HTTP != nil:
		tlsCfg = cfg.HTTP.TLSConfig
		m.bodyMatch = mustCompileAll(cfg.HTTP.FailIfBodyMatchesRegexp, &errs)
		m.bodyNotMatch = mustCompileAll(cfg.HTTP.FailIfBodyNotMatchesRegexp, &errs)
		for _, v := range cfg.HTTP.JSONValues {
			p, err := jsonpath.Parse(v.Path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			m.jsonValues = append(m.jsonValues, jsonValue{name: v.Name, path: p})
		}
		m.validStatus = cfg.HTTP.ValidStatusCodes
	case cfg.TCP != nil:
		tlsCfg = cfg.TCP.TLSConfig
		if cfg.TCP.Expect != "" {
			if re := mustCompileAll([]string{cfg.TCP.Expect}, &errs); len(re) == 1 {
				m.expect = re[0]
			}
		}
	case cfg.DNS != nil:
		if v := cfg.DNS.ValidateAnswer; v != nil {
			m.bodyMatch = mustCompileAll(v.FailIfMatchesRegexp, &errs)
			m.bodyNotMatch = mustCompileAll(v.FailIfNotMatchesRegexp, &errs)
		}
	}
	t, err := buildTLS(tlsCfg)
	if err != nil {
		errs = append(errs, err)
	}
	m.tls = t
	return m, errors.Join(errs...)
}

func mustCompileAll(exprs []string, errs *[]error) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		out = append(out, re)
	}
	return out
}

// buildTLS is the module's TLS settings: TLS 1.2 or later with the system CAs when it
// sets none, else its own, the CA file read as config reads it (never a FIFO).
func buildTLS(c *config.TLSConfig) (*tls.Config, error) {
	if c == nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	return c.Client()
}
