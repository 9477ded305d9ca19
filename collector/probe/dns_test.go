package probe

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

func TestDNS(t *testing.T) {
	server := testtool.DNSServer(t)
	text := modules + `
  dns_portal:
    prober: dns
    dns:
      query_name: portal.example.net
      validate_answer_rrs: {fail_if_not_matches_regexp: ['\s192\.0\.2\.80$']}
  dns_portal_wrong_ip:
    prober: dns
    dns:
      query_name: portal.example.net
      validate_answer_rrs: {fail_if_not_matches_regexp: ['\s192\.0\.2\.99$']}
  dns_missing:
    prober: dns
    dns: {query_name: missing.example.net}
  dns_missing_ok:
    prober: dns
    dns: {query_name: missing.example.net, valid_rcodes: [NXDOMAIN]}
  dns_pair_one_ours:
    prober: dns
    dns:
      query_name: pair.example.net
      validate_answer_rrs: {fail_if_not_matches_regexp: ['\s192\.0\.2\.80$']}
  dns_slow:
    prober: dns
    timeout: 8s
    dns: {query_name: slow.example.net}
  dns_soa:
    prober: dns
    dns: {query_name: zone.example.net, query_type: SOA}
`
	h := setupText(t, text)
	r := probeURL(t, h, adHoc(server, "dns_portal"), "")
	wantSuccess(t, r)
	if r["probe_dns_answer_rrs"] != 1 || r["probe_dns_query_succeeded"] != 1 {
		t.Errorf("answer:\n%s", r)
	}
	wantFailure(t, probeURL(t, h, adHoc(server, "dns_portal_wrong_ip"), ""), "answer_mismatch")
	wantFailure(t, probeURL(t, h, adHoc(server, "dns_missing"), ""), "rcode")
	wantSuccess(t, probeURL(t, h, adHoc(server, "dns_missing_ok"), ""))
	// As in blackbox_exporter, fail_if_not_matches_regexp holds every record to the
	// expression: one of two addresses being ours (the other hijacked) is a failure.
	wantFailure(t, probeURL(t, h, adHoc(server, "dns_pair_one_ours"), ""), "answer_mismatch")
	// A resolver answering in 2.5 s, within the module's 8 s: no step of the query has a
	// shorter limit of its own (the DNS library's default is 2 s).
	wantSuccess(t, probeURL(t, h, adHoc(server, "dns_slow"), "9"))
	// Two SOA records in one answer: one probe_dns_serial, the last one's (as blackbox).
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?"+adHoc(server, "dns_soa"), nil))
	if n := strings.Count(rec.Body.String(), "\nprobe_dns_serial "); n != 1 {
		t.Errorf("%d probe_dns_serial samples, want 1:\n%s", n, rec.Body)
	}
	if r := probeURL(t, h, adHoc(server, "dns_soa"), ""); r["probe_dns_serial"] != testtool.DNSZoneSerial {
		t.Errorf("probe_dns_serial = %v, want %d", r["probe_dns_serial"], testtool.DNSZoneSerial)
	}

	// A UDP port where nothing answers: the probe waits until its deadline.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	deadlineKept(t, h, adHoc(silent.LocalAddr().String(), "dns_portal"))
}
