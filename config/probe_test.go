package config_test

import (
	"slices"
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
