package probe

import (
	"net"
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

	// A UDP port where nothing answers: the probe waits until its deadline.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	deadlineKept(t, h, adHoc(silent.LocalAddr().String(), "dns_portal"))
}
