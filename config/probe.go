package config

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rondanet/ronda/collector/probe/jsonpath"
)

// DefaultProbeTimeout bounds one scrape of a probe unless the target sets its own.
const DefaultProbeTimeout = 10 * time.Second

// Probers: how a module reaches its target.
const (
	ProberICMP = "icmp"
	ProberTCP  = "tcp"
	ProberHTTP = "http"
	ProberDNS  = "dns"
)

// IP protocols a probe may prefer when a name resolves to both.
const (
	IPv4 = "ip4"
	IPv6 = "ip6"
)

// The icmp prober's defaults.
const (
	defaultICMPPackets     = 3
	defaultICMPInterval    = 100 * time.Millisecond
	defaultICMPPayloadSize = 56 // as ping
	// minICMPPayloadSize is the room the pinger (pro-bing) needs in each echo's payload:
	// an 8-byte timestamp and a 16-byte id to match the reply to it.
	minICMPPayloadSize = 24
)

// DefaultProbeModule is the module of a target that names none: every registered server
// is pinged.
const DefaultProbeModule = "icmp"

// ProbeTarget is one reachability target (a server, a branch, a domain).
type ProbeTarget struct {
	Name string `yaml:"name"`
	// Address is what the module probes: a host for icmp, host:port for tcp, a URL for
	// http, the DNS server (host or host:port) for dns.
	Address string `yaml:"address"`
	// Module names an entry of probe_modules or a built-in module; default icmp.
	Module string `yaml:"module,omitempty"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further. Unset, the
	// module's timeout applies, or 10s when the module has none.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`
}

// ProbeModule says how to probe, as a blackbox_exporter module does.
type ProbeModule struct {
	// Prober is icmp, tcp, http or dns.
	Prober string `yaml:"prober"`
	// Timeout caps one probe with this module (default 10s); the target's and
	// Prometheus's timeouts lower it further.
	Timeout Duration   `yaml:"timeout,omitempty"`
	ICMP    *ICMPProbe `yaml:"icmp,omitempty"`
	TCP     *TCPProbe  `yaml:"tcp,omitempty"`
	HTTP    *HTTPProbe `yaml:"http,omitempty"`
	DNS     *DNSProbe  `yaml:"dns,omitempty"`
}

// ICMPProbe configures ping probes.
type ICMPProbe struct {
	// PreferredIPProtocol is ip4 (default) or ip6, used when a name has both.
	PreferredIPProtocol string `yaml:"preferred_ip_protocol,omitempty"`
	// Packets is how many echo requests one probe sends (default 3): a few pings with a
	// loss ratio flap less than one.
	Packets int `yaml:"packets,omitempty"`
	// Interval is the time between packets (default 100ms).
	Interval Duration `yaml:"interval,omitempty"`
	// PayloadSize is the echo payload in bytes (default 56, like ping; at least 24, room
	// for the pinger's timestamp and id).
	PayloadSize int `yaml:"payload_size,omitempty"`
}

// TCPProbe configures TCP connect probes.
type TCPProbe struct {
	PreferredIPProtocol string `yaml:"preferred_ip_protocol,omitempty"`
	// TLS starts TLS after connecting.
	TLS       bool       `yaml:"tls,omitempty"`
	TLSConfig *TLSConfig `yaml:"tls_config,omitempty"`
	// Send is written after connecting (and the TLS handshake).
	Send string `yaml:"send,omitempty"`
	// Expect is a regular expression the first lines read must match.
	Expect string `yaml:"expect,omitempty"`
}

// HTTPProbe configures HTTP probes.
type HTTPProbe struct {
	PreferredIPProtocol string `yaml:"preferred_ip_protocol,omitempty"`
	Method              string `yaml:"method,omitempty"`
	// Headers are sent with the request. They are the only place for an Authorization or
	// API key header, so their values show as <secret> on /config.
	Headers HTTPHeaders `yaml:"headers,omitempty"`
	// Body is sent with the request. It may carry a credential too (a login form, an API
	// key in JSON), so it shows as <secret> on /config.
	Body Secret `yaml:"body,omitempty"`
	// ValidStatusCodes are the accepted status codes; default any 2xx.
	ValidStatusCodes []int `yaml:"valid_status_codes,omitempty"`
	// FollowRedirects follows up to 10 redirects (default true).
	FollowRedirects            *bool      `yaml:"follow_redirects,omitempty"`
	FailIfSSL                  bool       `yaml:"fail_if_ssl,omitempty"`
	FailIfNotSSL               bool       `yaml:"fail_if_not_ssl,omitempty"`
	FailIfBodyMatchesRegexp    []string   `yaml:"fail_if_body_matches_regexp,omitempty"`
	FailIfBodyNotMatchesRegexp []string   `yaml:"fail_if_body_not_matches_regexp,omitempty"`
	TLSConfig                  *TLSConfig `yaml:"tls_config,omitempty"`
	// JSONValues turns numbers of a JSON answer into probe_json_value{name} series.
	JSONValues []JSONValue `yaml:"json_values,omitempty"`
}

// HTTPHeaders are an HTTP probe's request headers, name to value.
type HTTPHeaders map[string]string

// MarshalYAML shows the header names with every value as <secret>: a value may be a
// credential (Authorization, X-Api-Key, a cookie) and there is no file form to keep it out
// of the config.
func (h HTTPHeaders) MarshalYAML() (any, error) {
	out := make(map[string]Secret, len(h))
	for name, value := range h {
		out[name] = Secret(value)
	}
	return out, nil
}

// JSONValue names one number of a JSON answer.
type JSONValue struct {
	// Name is the series' name label.
	Name string `yaml:"name"`
	// Path is where the number is: data.users.today, items[0].count, stats["a-b"].
	Path string `yaml:"path"`
}

// DNSProbe configures DNS probes; the target's address is the server asked.
type DNSProbe struct {
	PreferredIPProtocol string `yaml:"preferred_ip_protocol,omitempty"`
	QueryName           string `yaml:"query_name"`
	// QueryType is A (default), AAAA, MX, TXT, … any type name miekg/dns knows.
	QueryType string `yaml:"query_type,omitempty"`
	// TransportProtocol is udp (default) or tcp.
	TransportProtocol string `yaml:"transport_protocol,omitempty"`
	// ValidRcodes are the accepted response codes; default NOERROR.
	ValidRcodes []string `yaml:"valid_rcodes,omitempty"`
	// ValidateAnswer checks the answer section's records, in their text form.
	ValidateAnswer *DNSRRValidator `yaml:"validate_answer_rrs,omitempty"`
}

// DNSRRValidator checks records against regular expressions.
type DNSRRValidator struct {
	FailIfMatchesRegexp    []string `yaml:"fail_if_matches_regexp,omitempty"`
	FailIfNotMatchesRegexp []string `yaml:"fail_if_not_matches_regexp,omitempty"`
}

// builtinProbeModules work without a probe_modules section, under blackbox_exporter's
// example names; a probe_modules entry of the same name replaces one.
func builtinProbeModules() map[string]ProbeModule {
	return map[string]ProbeModule{
		"icmp":        {Prober: ProberICMP},
		"tcp_connect": {Prober: ProberTCP},
		"http_2xx":    {Prober: ProberHTTP},
	}
}

// ProbeModule finds a module by name, configured or built in, with defaults applied.
func (c *Config) ProbeModule(name string) (ProbeModule, bool) {
	m, ok := c.ProbeModules[name]
	if !ok {
		m, ok = builtinProbeModules()[name]
		m.applyDefaults()
	}
	return m, ok
}

// ProbeTimeout is the module's cap on one probe: its timeout, or the default.
func (m ProbeModule) ProbeTimeout() time.Duration {
	return m.Timeout.orDefault(DefaultProbeTimeout)
}

// ProbeModuleNames lists the modules available, configured and built in, sorted.
func (c *Config) ProbeModuleNames() []string {
	names := maps.Keys(builtinProbeModules())
	all := slices.Collect(names)
	for n := range c.ProbeModules {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	slices.Sort(all)
	return all
}

// ProbeTarget finds a probe target by name. The result points into c: treat it as read-only.
func (c *Config) ProbeTarget(name string) (*ProbeTarget, bool) {
	for i := range c.Probe {
		if c.Probe[i].Name == name {
			return &c.Probe[i], true
		}
	}
	return nil, false
}

func (t *ProbeTarget) target() Target {
	return Target{
		Kind:    KindProbe,
		Name:    t.Name,
		Labels:  maps.Clone(t.Labels),
		Timeout: t.Timeout.orDefault(DefaultProbeTimeout),
	}
}

func (t *ProbeTarget) common() (string, map[string]string, Duration) {
	return t.Name, t.Labels, t.Timeout
}

// check checks what the target alone decides; checkProbeModules checks it against its module.
func (t *ProbeTarget) check(c *checker, path string) {
	if t.Address == "" {
		c.missing(path+".address", "required: what to probe (a host for icmp, host:port for tcp, a URL for http, the DNS server for dns)")
	}
}

// applyDefaults leaves the timeout to applyProbeModuleDefaults, which knows the module's.
func (t *ProbeTarget) applyDefaults() {
	if t.Module == "" {
		t.Module = DefaultProbeModule
	}
}

// CheckProbeAddress says what is wrong with address as the target of a prober, or nil.
// Ad-hoc targets (/probe?target=ADDRESS&module=M) go through the same check.
func CheckProbeAddress(prober, address string) error {
	switch prober {
	case ProberICMP:
		host, port, err := splitAddress(address)
		if err != nil {
			return err
		}
		if port != "" {
			return fmt.Errorf("an icmp target is a host without a port; use %s", host)
		}
	case ProberTCP:
		_, port, err := splitAddress(address)
		if err != nil {
			return err
		}
		if port == "" {
			return fmt.Errorf("a tcp target needs a port: host:port")
		}
	case ProberDNS:
		_, _, err := splitAddress(address)
		return err
	case ProberHTTP:
		u, err := ParseURL(address)
		if err != nil {
			return fmt.Errorf("not a URL: %v", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("an http target is a URL starting with http:// or https://")
		}
		if u.Host == "" || !validHost(u.Hostname()) {
			return fmt.Errorf("the URL has no valid host")
		}
		if u.User != nil {
			return fmt.Errorf("credentials do not go in the URL, which /config and the logs show: send an Authorization header (http.headers) instead")
		}
	}
	return nil
}

// checkProbeModules checks the probe_modules section and each probe target against its
// module; it runs after the targets' own checks.
func (c *Config) checkProbeModules(ch *checker) {
	for _, name := range slices.Sorted(maps.Keys(c.ProbeModules)) {
		m := c.ProbeModules[name]
		m.check(ch, keyPath("probe_modules", name))
	}
	for i := range c.Probe {
		t := &c.Probe[i]
		path := indexPath("probe", i)
		module := t.Module
		if module == "" {
			module = DefaultProbeModule
		}
		m, ok := c.ProbeModule(module)
		if !ok {
			ch.report(path+".module", "unknown module %q; modules: %s", module, strings.Join(c.ProbeModuleNames(), ", "))
			continue
		}
		if t.Address == "" || m.Prober == "" {
			continue
		}
		if err := CheckProbeAddress(m.Prober, t.Address); err != nil {
			ch.report(path+".address", "%q is not a valid %s target: %v", URLWithoutPassword(t.Address), m.Prober, err)
		}
	}
}

func (m *ProbeModule) check(c *checker, path string) {
	c.checkTimeout(path+".timeout", m.Timeout)
	settings := map[string]bool{ProberICMP: m.ICMP != nil, ProberTCP: m.TCP != nil, ProberHTTP: m.HTTP != nil, ProberDNS: m.DNS != nil}
	switch m.Prober {
	case ProberICMP, ProberTCP, ProberHTTP, ProberDNS:
	case "":
		c.missing(path+".prober", "required: icmp, tcp, http or dns")
		return
	default:
		c.report(path+".prober", "must be icmp, tcp, http or dns, got %q", m.Prober)
		return
	}
	for _, other := range slices.Sorted(maps.Keys(settings)) {
		if settings[other] && other != m.Prober {
			c.report(path+"."+other, "settings for the %s prober in a module whose prober is %s", other, m.Prober)
		}
	}
	switch {
	case m.ICMP != nil:
		p := path + ".icmp"
		c.checkIPProtocol(p, m.ICMP.PreferredIPProtocol)
		// 0 is what an unset setting holds, and becomes the default; written out, it is
		// refused rather than silently replaced.
		switch n := m.ICMP.Packets; {
		case n == 0 && c.present(p+".packets"):
			c.report(p+".packets", "must be from 1 to 100, got 0 (leave it out for the default %d)", defaultICMPPackets)
		case n < 0 || n > 100:
			c.report(p+".packets", "must be from 1 to 100, got %d", n)
		}
		switch d := m.ICMP.Interval; {
		case d == 0 && c.present(p+".interval"):
			c.report(p+".interval", "must be more than 0, got 0s (leave it out for the default %s)", Duration(defaultICMPInterval))
		case d < 0:
			c.report(p+".interval", "must be more than 0, got %s", d)
		}
		switch n := m.ICMP.PayloadSize; {
		case n == 0 && c.present(p+".payload_size"):
			c.report(p+".payload_size", "must be from %d to 65000 bytes, got 0 (leave it out for the default %d)", minICMPPayloadSize, defaultICMPPayloadSize)
		case n > 0 && n < minICMPPayloadSize:
			// Refused, not raised: a probe sending other than what is written misleads.
			c.report(p+".payload_size", "must be from %d to 65000 bytes, got %d: each echo request carries an 8-byte timestamp and a 16-byte id", minICMPPayloadSize, n)
		case n < 0 || n > 65000:
			c.report(p+".payload_size", "must be from %d to 65000 bytes, got %d", minICMPPayloadSize, n)
		}
	case m.TCP != nil:
		p := path + ".tcp"
		c.checkIPProtocol(p, m.TCP.PreferredIPProtocol)
		c.checkTLS(p+".tls_config", m.TCP.TLSConfig)
		c.checkRegexps(p+".expect", []string{m.TCP.Expect}, false)
	case m.HTTP != nil:
		p := path + ".http"
		c.checkIPProtocol(p, m.HTTP.PreferredIPProtocol)
		c.checkTLS(p+".tls_config", m.HTTP.TLSConfig)
		for i, code := range m.HTTP.ValidStatusCodes {
			if code < 100 || code > 599 {
				c.report(indexPath(p+".valid_status_codes", i), "%d is not an HTTP status code (100 to 599)", code)
			}
		}
		if m.HTTP.Method != "" && strings.ToUpper(m.HTTP.Method) != m.HTTP.Method {
			c.report(p+".method", "write the method in capitals, like GET or POST, got %q", m.HTTP.Method)
		}
		if m.HTTP.FailIfSSL && m.HTTP.FailIfNotSSL {
			c.report(p+".fail_if_not_ssl", "set only one of fail_if_ssl and fail_if_not_ssl")
		}
		c.checkRegexps(p+".fail_if_body_matches_regexp", m.HTTP.FailIfBodyMatchesRegexp, true)
		c.checkRegexps(p+".fail_if_body_not_matches_regexp", m.HTTP.FailIfBodyNotMatchesRegexp, true)
		seen := map[string]bool{}
		for i, v := range m.HTTP.JSONValues {
			vp := indexPath(p+".json_values", i)
			switch {
			case v.Name == "":
				c.missing(vp+".name", "required: the name label of the value's probe_json_value series")
			case seen[v.Name]:
				c.report(vp+".name", "%q is already the name of another value", v.Name)
			}
			seen[v.Name] = true
			if v.Path == "" {
				c.missing(vp+".path", "required: where the number is, like data.users.today or items[0].count")
			} else if _, err := jsonpath.Parse(v.Path); err != nil {
				c.report(vp+".path", "%q is not a valid path: %v", v.Path, err)
			}
		}
	case m.DNS != nil:
		p := path + ".dns"
		c.checkIPProtocol(p, m.DNS.PreferredIPProtocol)
		if m.DNS.QueryName == "" {
			c.missing(p+".query_name", "required: the name to look up")
		}
		if t := m.DNS.TransportProtocol; t != "" && t != "udp" && t != "tcp" {
			c.report(p+".transport_protocol", "must be udp or tcp, got %q", t)
		}
		if m.DNS.QueryType != "" && !dnsTypes[strings.ToUpper(m.DNS.QueryType)] {
			c.report(p+".query_type", "%q is not a DNS query type this prober knows (%s)", m.DNS.QueryType, strings.Join(slices.Sorted(maps.Keys(dnsTypes)), ", "))
		}
		for i, rc := range m.DNS.ValidRcodes {
			if !dnsRcodes[strings.ToUpper(rc)] {
				c.report(indexPath(p+".valid_rcodes", i), "%q is not a DNS response code (%s)", rc, strings.Join(slices.Sorted(maps.Keys(dnsRcodes)), ", "))
			}
		}
		if v := m.DNS.ValidateAnswer; v != nil {
			c.checkRegexps(p+".validate_answer_rrs.fail_if_matches_regexp", v.FailIfMatchesRegexp, true)
			c.checkRegexps(p+".validate_answer_rrs.fail_if_not_matches_regexp", v.FailIfNotMatchesRegexp, true)
		}
	case m.Prober == ProberDNS:
		c.missing(path+".dns", "required for the dns prober: at least dns.query_name")
	}
}

// dnsTypes and dnsRcodes are the names the dns prober accepts (config does not import the
// DNS library; the prober maps them).
var (
	dnsTypes  = setOf("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "CAA", "ANY")
	dnsRcodes = setOf("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED")
)

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

func (c *checker) checkIPProtocol(path, p string) {
	if p != "" && p != IPv4 && p != IPv6 {
		c.report(path+".preferred_ip_protocol", "must be ip4 or ip6, got %q", p)
	}
}

// checkRegexps checks Go regular expressions (RE2 syntax); list says whether path is a list.
func (c *checker) checkRegexps(path string, exprs []string, list bool) {
	for i, e := range exprs {
		p := path
		if list {
			p = indexPath(path, i)
		}
		if _, err := regexp.Compile(e); err != nil {
			c.report(p, "%q is not a valid regular expression: %v", e, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
}

// applyProbeModuleDefaults fills the unset settings of every configured module, and the
// timeout of every probe target that sets none: its module's, so a module allowed 25s is
// not cut to the 10s default.
func (c *Config) applyProbeModuleDefaults() {
	for name, m := range c.ProbeModules {
		m.applyDefaults()
		c.ProbeModules[name] = m
	}
	for i := range c.Probe {
		if t := &c.Probe[i]; t.Timeout == 0 {
			m, _ := c.ProbeModule(t.Module) // checked: the module exists
			t.Timeout = Duration(m.ProbeTimeout())
		}
	}
}

func (m *ProbeModule) applyDefaults() {
	switch m.Prober {
	case ProberICMP:
		if m.ICMP == nil {
			m.ICMP = &ICMPProbe{}
		}
		m.ICMP.PreferredIPProtocol = cmp.Or(m.ICMP.PreferredIPProtocol, IPv4)
		if m.ICMP.Packets == 0 {
			m.ICMP.Packets = defaultICMPPackets
		}
		if m.ICMP.Interval == 0 {
			m.ICMP.Interval = Duration(defaultICMPInterval)
		}
		if m.ICMP.PayloadSize == 0 {
			m.ICMP.PayloadSize = defaultICMPPayloadSize
		}
	case ProberTCP:
		if m.TCP == nil {
			m.TCP = &TCPProbe{}
		}
		m.TCP.PreferredIPProtocol = cmp.Or(m.TCP.PreferredIPProtocol, IPv4)
	case ProberHTTP:
		if m.HTTP == nil {
			m.HTTP = &HTTPProbe{}
		}
		m.HTTP.PreferredIPProtocol = cmp.Or(m.HTTP.PreferredIPProtocol, IPv4)
		m.HTTP.Method = cmp.Or(m.HTTP.Method, "GET")
		if m.HTTP.FollowRedirects == nil {
			follow := true
			m.HTTP.FollowRedirects = &follow
		}
	case ProberDNS:
		if m.DNS == nil {
			m.DNS = &DNSProbe{}
		}
		m.DNS.PreferredIPProtocol = cmp.Or(m.DNS.PreferredIPProtocol, IPv4)
		m.DNS.QueryType = strings.ToUpper(cmp.Or(m.DNS.QueryType, "A"))
		m.DNS.TransportProtocol = cmp.Or(m.DNS.TransportProtocol, "udp")
		if len(m.DNS.ValidRcodes) == 0 {
			m.DNS.ValidRcodes = []string{"NOERROR"}
		}
		for i, rc := range m.DNS.ValidRcodes {
			m.DNS.ValidRcodes[i] = strings.ToUpper(rc)
		}
	}
}
