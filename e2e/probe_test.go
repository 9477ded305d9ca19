package e2e

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/internal/testtool"
)

// sharedProbeFamilies are the blackbox_exporter metric families ronda claims to share: the
// same name, the same label names, present in the same cases.
var sharedProbeFamilies = []string{
	"probe_success", "probe_duration_seconds", "probe_ip_protocol", "probe_dns_lookup_time_seconds",
	"probe_http_status_code", "probe_http_content_length", "probe_http_uncompressed_body_length",
	"probe_http_redirects", "probe_http_ssl", "probe_http_version", "probe_http_duration_seconds",
	"probe_ssl_earliest_cert_expiry", "probe_failed_due_to_regex",
	"probe_icmp_duration_seconds",
	"probe_dns_duration_seconds", "probe_dns_answer_rrs", "probe_dns_authority_rrs",
	"probe_dns_additional_rrs", "probe_dns_query_succeeded",
}

// blackboxOnlyFamilies are blackbox_exporter's families ronda leaves out on purpose:
// probe_ip_addr_hash (a hash to spot address changes; /probe's debug log shows the
// address), probe_icmp_reply_hop_limit, and the certificate chain details
// (probe_ssl_last_chain_info, probe_ssl_last_chain_expiry_timestamp_seconds,
// probe_tls_version_info): probe_ssl_earliest_cert_expiry is the one operators alert on.
var blackboxOnlyFamilies = []string{
	"probe_ip_addr_hash", "probe_icmp_reply_hop_limit", "probe_ssl_last_chain_info",
	"probe_ssl_last_chain_expiry_timestamp_seconds", "probe_tls_version_info",
}

// rondaOnlyFamilies are what ronda adds: why a probe failed, and a few pings per ICMP probe.
var rondaOnlyFamilies = []string{
	"probe_failure_reason", "probe_icmp_packets_sent", "probe_icmp_packets_received",
	"probe_icmp_packet_loss_ratio", "probe_icmp_rtt_seconds",
}

// The modules of both exporters, module by module the same probe. Differences of syntax:
// blackbox's tcp send/expect is a query_response list and its send adds the newline; ronda
// prefers IPv4 by default, blackbox IPv6 (irrelevant for 127.0.0.1, set anyway); ronda's
// DNS query type defaults to A, blackbox's to ANY.
const (
	rondaProbeModules = `probe_modules:
  http_2xx: {prober: http}
  http_body: {prober: http, http: {fail_if_body_not_matches_regexp: ['pong']}}
  http_ca: {prober: http, http: {tls_config: {ca_file: %[1]s}}}
  tcp_connect: {prober: tcp}
  tcp_ping: {prober: tcp, tcp: {send: "PING\n", expect: "^PONG"}}
  icmp: {prober: icmp}
  dns_portal: {prober: dns, dns: {query_name: portal.example.net}}
  dns_missing: {prober: dns, dns: {query_name: missing.example.net}}
`
	blackboxModules = `modules:
  http_2xx: {prober: http, http: {preferred_ip_protocol: ip4}}
  http_body: {prober: http, http: {preferred_ip_protocol: ip4, fail_if_body_not_matches_regexp: ['pong']}}
  http_ca: {prober: http, http: {preferred_ip_protocol: ip4, tls_config: {ca_file: %[1]s}}}
  tcp_connect: {prober: tcp, tcp: {preferred_ip_protocol: ip4}}
  tcp_ping: {prober: tcp, tcp: {preferred_ip_protocol: ip4, query_response: [{send: "PING"}, {expect: "^PONG"}]}}
  icmp: {prober: icmp, icmp: {preferred_ip_protocol: ip4}}
  dns_portal: {prober: dns, dns: {preferred_ip_protocol: ip4, query_name: portal.example.net, query_type: A}}
  dns_missing: {prober: dns, dns: {preferred_ip_protocol: ip4, query_name: missing.example.net, query_type: A}}
`
)

// TestProbeSideBySideWithBlackbox probes the same loopback targets through the built
// ronda-exporter and the real blackbox_exporter, with equivalent modules, and checks that
// both agree on probe_success and expose the shared families with the same label names
// in the same cases. ronda's output must also pass `promtool check metrics`.
func TestProbeSideBySideWithBlackbox(t *testing.T) {
	blackboxBin := testtool.Need(t, "prometheus-blackbox-exporter")
	promtool := testtool.Need(t, "promtool")
	bin := testtool.Binaries(t)
	dir := t.TempDir()
	cert := testtool.SelfSigned(t)
	caFile, _ := cert.WriteFiles(t, dir)

	rondaFile, blackboxFile := filepath.Join(dir, "ronda.yml"), filepath.Join(dir, "blackbox.yml")
	writeFile(t, rondaFile, fmt.Sprintf(rondaProbeModules, caFile))
	writeFile(t, blackboxFile, fmt.Sprintf(blackboxModules, caFile))
	rondaAddr, blackboxAddr := testtool.Addr(testtool.FreePort(t)), testtool.Addr(testtool.FreePort(t))
	ronda := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+rondaFile, "--web.listen-address="+rondaAddr)
	blackbox := testtool.Start(t, blackboxBin, "--config.file="+blackboxFile, "--web.listen-address="+blackboxAddr)
	ronda.WaitHTTP(t, "http://"+rondaAddr+"/-/ready")
	blackbox.WaitHTTP(t, "http://"+blackboxAddr+"/-/healthy")

	web := httptest.NewServer(webHandler())
	t.Cleanup(web.Close)
	secure := httptest.NewUnstartedServer(webHandler())
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	silent := silentPeer(t)
	dnsAddr := testtool.DNSServer(t)

	cases := []struct {
		name, module, target string
		success              float64
	}{
		{"HTTP 200", "http_2xx", web.URL + "/ok", 1},
		{"HTTP 500 with 2xx expected", "http_2xx", web.URL + "/error", 0},
		{"body regexp matches", "http_body", web.URL + "/ok", 1},
		{"body regexp does not match", "http_body", web.URL + "/other", 0},
		{"redirect followed", "http_2xx", web.URL + "/redirect", 1},
		{"TLS trusted through the CA file", "http_ca", secure.URL + "/ok", 1},
		{"TLS not trusted", "http_2xx", secure.URL + "/ok", 0},
		{"HTTP to a silent listener (deadline)", "http_2xx", "http://" + silent + "/", 0},
		{"TCP to a closed port", "tcp_connect", closedPortAddr(t), 0},
		{"TCP send/expect matches", "tcp_ping", pingPeer(t, "PONG"), 1},
		{"TCP send/expect does not match", "tcp_ping", pingPeer(t, "NOPE"), 0},
		{"TCP expect from a silent listener (deadline)", "tcp_ping", silent, 0},
		{"ICMP to 127.0.0.1", "icmp", "127.0.0.1", 1},
		{"DNS A record present", "dns_portal", dnsAddr, 1},
		{"DNS NXDOMAIN with NOERROR expected", "dns_missing", dnsAddr, 0},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := "?" + url.Values{"target": {c.target}, "module": {c.module}}.Encode()
			var rondaText, blackboxText string
			var wg sync.WaitGroup
			wg.Go(func() { rondaText = scrapeProbe(t, "http://"+rondaAddr+"/probe"+query) })
			wg.Go(func() { blackboxText = scrapeProbe(t, "http://"+blackboxAddr+"/probe"+query) })
			wg.Wait()
			if t.Failed() {
				return
			}
			checkMetrics(t, promtool, rondaText)
			r, b := parseFamilies(t, rondaText), parseFamilies(t, blackboxText)
			defer func() {
				if t.Failed() {
					t.Logf("ronda:\n%s\nblackbox:\n%s", rondaText, blackboxText)
				}
			}()
			if got, want := gaugeValue(r["probe_success"]), gaugeValue(b["probe_success"]); got != want || got != c.success {
				t.Errorf("probe_success: ronda %v, blackbox %v, want %v", got, want, c.success)
			}
			for _, name := range sharedProbeFamilies {
				rf, inRonda := r[name]
				bf, inBlackbox := b[name]
				if inRonda != inBlackbox {
					t.Errorf("%s: in ronda %v, in blackbox %v", name, inRonda, inBlackbox)
					continue
				}
				if !inRonda {
					continue
				}
				seen[name] = true
				if rl, bl := labelSets(rf), labelSets(bf); !slices.Equal(rl, bl) {
					t.Errorf("%s: ronda's series %v, blackbox's %v", name, rl, bl)
				}
				if rf.GetType() != bf.GetType() {
					t.Errorf("%s: ronda's type %v, blackbox's %v", name, rf.GetType(), bf.GetType())
				}
			}
			// Every other family is a known, documented difference.
			for name := range b {
				if !slices.Contains(sharedProbeFamilies, name) && !slices.Contains(blackboxOnlyFamilies, name) {
					t.Errorf("blackbox has %s, which ronda neither shares nor lists as left out", name)
				}
			}
			for name := range r {
				if !slices.Contains(sharedProbeFamilies, name) && !slices.Contains(rondaOnlyFamilies, name) {
					t.Errorf("ronda has %s, which is neither shared with blackbox nor listed as its own", name)
				}
			}
			// ronda says why a probe failed, and only ronda.
			if reason := failureReason(r); (c.success == 0) != (reason != "") {
				t.Errorf("probe_failure_reason: %q for probe_success %v", reason, c.success)
			}
		})
	}
	for _, name := range sharedProbeFamilies {
		if !seen[name] {
			t.Errorf("%s appeared in no case: the table does not cover it", name)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func scrapeProbe(t *testing.T, u string) string {
	// A 3s scrape timeout: both exporters keep 0.5s of it back, so a silent peer costs 2.5s.
	return httpGet(t, u, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"3"}})
}

// webHandler answers /ok with "pong", /other with "nope", /error with a 500 and /redirect
// with a redirect to /ok.
func webHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong\n") })
	mux.HandleFunc("/other", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "nope\n") })
	mux.HandleFunc("/error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "broken", http.StatusInternalServerError) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	return mux
}

// silentPeer accepts TCP connections and never answers.
func silentPeer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// pingPeer answers a line PING with the line answer, then closes the connection.
func pingPeer(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && strings.TrimSpace(line) == "PING" {
					_, _ = io.WriteString(c, answer+"\n")
				}
			}()
		}
	}()
	return l.Addr().String()
}

func closedPortAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func parseFamilies(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, text)
	}
	return families
}

func gaugeValue(mf *dto.MetricFamily) float64 {
	if mf == nil || len(mf.GetMetric()) != 1 {
		return -1
	}
	return mf.GetMetric()[0].GetGauge().GetValue()
}

// labelSets lists a family's series by their labels (names and, for phase-like labels,
// values), sorted.
func labelSets(mf *dto.MetricFamily) []string {
	var out []string
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, "{"+strings.Join(ls, ",")+"}")
	}
	slices.Sort(out)
	return out
}

func failureReason(families map[string]*dto.MetricFamily) string {
	for _, m := range families["probe_failure_reason"].GetMetric() {
		if m.GetGauge().GetValue() == 1 {
			return m.GetLabel()[0].GetValue()
		}
	}
	return ""
}
