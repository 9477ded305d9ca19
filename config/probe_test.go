package config_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
)

func TestProbeTargetsAndModules(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-probe.yml")

	ping, ok := cfg.ProbeTarget("kantor-cabang-1")
	if !ok {
		t.Fatal("kantor-cabang-1 missing")
	}
	if ping.Module != "icmp" || time.Duration(ping.Timeout) != config.DefaultProbeTimeout {
		t.Errorf("defaults: module %q timeout %s, want icmp and %s", ping.Module, ping.Timeout, config.DefaultProbeTimeout)
	}
	// A configured module replaces the built-in one of the same name; its unset settings
	// still get defaults.
	icmp, _ := cfg.ProbeModule("icmp")
	if icmp.ICMP.Packets != 5 || icmp.ICMP.PreferredIPProtocol != config.IPv4 || time.Duration(icmp.ICMP.Interval) != 100*time.Millisecond || icmp.ICMP.PayloadSize != 56 {
		t.Errorf("icmp module: %+v", *icmp.ICMP)
	}

	api, ok := cfg.ProbeModule("api_users")
	if !ok || api.Prober != config.ProberHTTP || time.Duration(api.Timeout) != 5*time.Second {
		t.Fatalf("api_users: %+v", api)
	}
	h := api.HTTP
	if h.Method != "GET" || !*h.FollowRedirects || !slices.Equal(h.ValidStatusCodes, []int{200, 203}) || h.Headers["Accept"] != "application/json" {
		t.Errorf("http settings: %+v", *h)
	}
	if want := []config.JSONValue{{Name: "users_today", Path: "data.users.today"}, {Name: "first_count", Path: "items[0].count"}}; !slices.Equal(h.JSONValues, want) {
		t.Errorf("json_values %v, want %v", h.JSONValues, want)
	}

	dns, _ := cfg.ProbeModule("dns_portal")
	if dns.DNS.QueryType != "AAAA" || dns.DNS.TransportProtocol != "udp" || !slices.Equal(dns.DNS.ValidRcodes, []string{"NOERROR", "NXDOMAIN"}) {
		t.Errorf("dns settings: %+v", *dns.DNS)
	}

	// Built-in modules work without a probe_modules entry, with their defaults.
	tcp, ok := cfg.ProbeModule("tcp_connect")
	if !ok || tcp.Prober != config.ProberTCP || tcp.TCP == nil || tcp.TCP.PreferredIPProtocol != config.IPv4 {
		t.Errorf("built-in tcp_connect: %+v", tcp)
	}
	if _, ok := cfg.ProbeModule("nope"); ok {
		t.Error("an unknown module was found")
	}
	if got := cfg.ProbeModuleNames(); !slices.Equal(got, []string{"api_users", "dns_portal", "http_2xx", "icmp", "tcp_connect"}) {
		t.Errorf("module names %v", got)
	}

	// Labels reach /sd through Targets.
	for _, target := range cfg.Targets() {
		if target.Name == "kantor-cabang-1" && (target.Labels["latitude"] != "-6.9147" || target.Kind != config.KindProbe) {
			t.Errorf("target for /sd: %+v", target)
		}
	}
}

func TestCheckProbeAddress(t *testing.T) {
	for _, tc := range []struct {
		prober, address string
		ok              bool
	}{
		{config.ProberICMP, "127.0.0.1", true},
		{config.ProberICMP, "2001:db8::1", true},
		{config.ProberICMP, "server.lan", true},
		{config.ProberICMP, "server.lan:22", false},
		{config.ProberTCP, "127.0.0.1:22", true},
		{config.ProberTCP, "[2001:db8::1]:22", true},
		{config.ProberTCP, "127.0.0.1", false},
		{config.ProberHTTP, "http://127.0.0.1:8080/x?y=1", true},
		{config.ProberHTTP, "https://portal.example.net", true},
		{config.ProberHTTP, "ftp://portal.example.net", false},
		{config.ProberHTTP, "http://", false},
		{config.ProberHTTP, "https://monitor:pw@portal.example.net/health", false},
		{config.ProberHTTP, "https://monitor@portal.example.net/health", false},
		{config.ProberDNS, "127.0.0.1", true},
		{config.ProberDNS, "127.0.0.1:5353", true},
		{config.ProberDNS, "http://x", false},
	} {
		err := config.CheckProbeAddress(tc.prober, tc.address)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: %v, want ok=%v", tc.prober, tc.address, err, tc.ok)
		}
	}
}

// A module's timeout is the cap of one probe, lowered only by the target's own timeout (and
// Prometheus's): a target that sets none is not cut to the 10s default.
func TestProbeTargetWithoutTimeoutGetsItsModules(t *testing.T) {
	cfg, err := config.Parse([]byte(`
probe:
  - {name: slow-api, address: https://api.example/health, module: slow_http}
  - {name: slow-api-capped, address: https://api.example/health, module: slow_http, timeout: 4s}
  - {name: ping, address: 192.0.2.1}
  - {name: ping-long, address: 192.0.2.1, timeout: 30s}
probe_modules:
  slow_http:
    prober: http
    timeout: 25s
`), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]time.Duration{
		"slow-api":        25 * time.Second,
		"slow-api-capped": 4 * time.Second,
		"ping":            config.DefaultProbeTimeout,
		"ping-long":       30 * time.Second,
	} {
		if target, _ := cfg.Target(name); target.Timeout != want {
			t.Errorf("%s: scrape deadline capped at %v, want %v", name, target.Timeout, want)
		}
	}
	if m, _ := cfg.ProbeModule("slow_http"); m.ProbeTimeout() != 25*time.Second {
		t.Errorf("slow_http's ProbeTimeout() = %v, want 25s (ad-hoc probes use it)", m.ProbeTimeout())
	}
	if m, _ := cfg.ProbeModule("http_2xx"); m.ProbeTimeout() != config.DefaultProbeTimeout {
		t.Errorf("http_2xx's ProbeTimeout() = %v, want the default", m.ProbeTimeout())
	}
}

// An empty key means "the default" everywhere; for follow_redirects that is true.
func TestEmptyProbeSettingsGetTheirDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(`
probe_modules:
  web_empty:
    prober: http
    http:
      follow_redirects:
  web_no:
    prober: http
    http:
      follow_redirects: false
  ping_empty:
    prober: icmp
    icmp:
      packets:
      interval:
      payload_size:
`), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := cfg.ProbeModule("web_empty"); m.HTTP.FollowRedirects == nil || !*m.HTTP.FollowRedirects {
		t.Error("follow_redirects: (empty) does not follow redirects; the default is true")
	}
	if m, _ := cfg.ProbeModule("web_no"); m.HTTP.FollowRedirects == nil || *m.HTTP.FollowRedirects {
		t.Error("follow_redirects: false follows redirects")
	}
	if m, _ := cfg.ProbeModule("ping_empty"); m.ICMP.Packets != 3 || time.Duration(m.ICMP.Interval) != 100*time.Millisecond || m.ICMP.PayloadSize != 56 {
		t.Errorf("empty icmp settings: %+v, want the defaults 3, 100ms, 56", *m.ICMP)
	}
}

// The pinger carries an 8-byte timestamp and a 16-byte id in each echo's payload, so it
// cannot send fewer than 24 bytes: a smaller payload_size is refused rather than silently
// sent as 24.
func TestICMPPayloadSize(t *testing.T) {
	for _, tc := range []struct {
		size    string
		refused string // the error, or "" when accepted
	}{
		{"1", "must be from 24 to 65000 bytes, got 1"},
		{"23", "must be from 24 to 65000 bytes, got 23"},
		{"24", ""},
		{"65000", ""},
		{"65001", "must be from 24 to 65000 bytes, got 65001"},
		{"0", "must be from 24 to 65000 bytes, got 0 (leave it out for the default 56)"},
	} {
		cfg, err := config.Parse([]byte(`
probe_modules:
  ping:
    prober: icmp
    icmp: {payload_size: `+tc.size+`}
`), "ronda.yml")
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("payload_size %s: %v", tc.size, err)
		case tc.refused == "":
			if m, _ := cfg.ProbeModule("ping"); strconv.Itoa(m.ICMP.PayloadSize) != tc.size {
				t.Errorf("payload_size %s became %d", tc.size, m.ICMP.PayloadSize)
			}
		case err == nil || !strings.Contains(err.Error(), "probe_modules.ping.icmp.payload_size: "+tc.refused):
			t.Errorf("payload_size %s: want the error %q, got %v", tc.size, tc.refused, err)
		}
	}
}
