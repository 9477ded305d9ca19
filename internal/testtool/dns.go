package testtool

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The names DNSServer knows: DNSName with an A record of DNSAddress; DNSPairName with two,
// DNSAddress and DNSOtherAddress; DNSSlowName with DNSAddress, answered after DNSSlowDelay
// (an uncached name on a slow uplink).
const (
	DNSName         = "portal.example.net."
	DNSAddress      = "192.0.2.80"
	DNSPairName     = "pair.example.net."
	DNSOtherAddress = "198.51.100.7"
	DNSSlowName     = "slow.example.net."
	DNSSlowDelay    = 2500 * time.Millisecond
	// DNSZoneName answers a query for its SOA with two SOA records, DNSZoneSerial's last
	// (a misbehaving server).
	DNSZoneName   = "zone.example.net."
	DNSZoneSerial = 2026112402
)

// DNSServer starts an in-process DNS server on 127.0.0.1 (UDP) until the test ends: it
// answers the names above with their records and NXDOMAIN for every other name.
func DNSServer(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := q.Question[0].Name
		var addresses []string
		if name == DNSZoneName && q.Question[0].Qtype == dns.TypeSOA {
			for _, serial := range []int{DNSZoneSerial - 1, DNSZoneSerial} {
				rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN SOA ns.%s hostmaster.%s %d 3600 600 86400 60", name, name, name, serial))
				m.Answer = append(m.Answer, rr)
			}
			_ = w.WriteMsg(m)
			return
		}
		switch {
		case q.Question[0].Qtype != dns.TypeA:
		case name == DNSName:
			addresses = []string{DNSAddress}
		case name == DNSPairName:
			addresses = []string{DNSAddress, DNSOtherAddress}
		case name == DNSSlowName:
			time.Sleep(DNSSlowDelay) // each query is answered on a goroutine of its own
			addresses = []string{DNSAddress}
		}
		for _, a := range addresses {
			rr, _ := dns.NewRR(name + " 60 IN A " + a)
			m.Answer = append(m.Answer, rr)
		}
		if addresses == nil {
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
