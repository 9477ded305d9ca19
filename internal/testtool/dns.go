package testtool

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// DNSName is the one name DNSServer knows, and DNSAddress its A record.
const (
	DNSName    = "portal.example.net."
	DNSAddress = "192.0.2.80"
)

// DNSServer starts an in-process DNS server on 127.0.0.1 (UDP) until the test ends: it
// answers DNSName with an A record of DNSAddress and NXDOMAIN for every other name.
func DNSServer(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Name == DNSName && q.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(DNSName + " 60 IN A " + DNSAddress)
			m.Answer = append(m.Answer, rr)
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	server.NotifyStartedFunc = func() { close(started) }
	go func() { _ = server.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = server.Shutdown() })
	return pc.LocalAddr().String()
}
