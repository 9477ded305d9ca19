package probe

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

var (
	dnsDuration = collector.NewFamily("probe_dns_duration_seconds",
		"Time spent in each phase of the DNS query: resolve (the server's name), connect, request.", prometheus.GaugeValue, "phase")
	dnsAnswerRRs = collector.NewFamily("probe_dns_answer_rrs",
		"Records in the answer section.", prometheus.GaugeValue)
	dnsAuthorityRRs = collector.NewFamily("probe_dns_authority_rrs",
		"Records in the authority section.", prometheus.GaugeValue)
	dnsAdditionalRRs = collector.NewFamily("probe_dns_additional_rrs",
		"Records in the additional section.", prometheus.GaugeValue)
	dnsQuerySucceeded = collector.NewFamily("probe_dns_query_succeeded",
		"1 if the DNS server answered, 0 if not.", prometheus.GaugeValue)
	dnsSerial = collector.NewFamily("probe_dns_serial",
		"The serial of the SOA record in the answer, for SOA queries.", prometheus.GaugeValue)
)

func probeDNS(ctx context.Context, m *module, address string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	cfg := m.cfg.DNS
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, "53"
	}
	answered := 0.0
	phases := map[string]time.Duration{}
	defer func() {
		for _, p := range []string{"resolve", "connect", "request"} {
			ch <- dnsDuration.Sample(phases[p].Seconds(), p)
		}
		ch <- dnsQuerySucceeded.Sample(answered)
	}()

	start := time.Now()
	ip, err := resolve(ctx, host, cfg.PreferredIPProtocol, ch)
	phases["resolve"] = time.Since(start)
	if err != nil {
		return err
	}
	client := &dns.Client{Net: cfg.TransportProtocol}
	if deadline, ok := ctx.Deadline(); ok {
		// Without a Timeout the library gives the dial, the write and the read 2 s each,
		// whatever the probe's deadline: a resolver answering in 3 s would fail.
		client.Timeout = time.Until(deadline)
	}
	start = time.Now()
	conn, err := client.DialContext(ctx, net.JoinHostPort(ip.String(), port))
	phases["connect"] = time.Since(start)
	if err != nil {
		return err
	}
	defer conn.Close()

	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(cfg.QueryName), dns.StringToType[cfg.QueryType])
	msg.RecursionDesired = true
	start = time.Now()
	resp, _, err := client.ExchangeWithConnContext(ctx, msg, conn)
	phases["request"] = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return collector.Fail(collector.ReasonTimeout, fmt.Errorf("DNS query: %w", err))
		}
		return fmt.Errorf("DNS query: %w", err)
	}
	answered = 1
	ch <- dnsAnswerRRs.Sample(float64(len(resp.Answer)))
	ch <- dnsAuthorityRRs.Sample(float64(len(resp.Ns)))
	ch <- dnsAdditionalRRs.Sample(float64(len(resp.Extra)))
	// One series whatever the answer holds: the last SOA's serial, as blackbox_exporter
	// sets its gauge for each in turn (two samples of one series would spoil the scrape).
	var soa *dns.SOA
	for _, rr := range resp.Answer {
		if s, ok := rr.(*dns.SOA); ok {
			soa = s
		}
	}
	if soa != nil {
		ch <- dnsSerial.Sample(float64(soa.Serial))
	}
	rcode := dns.RcodeToString[resp.Rcode]
	logger.Debug("DNS answer", "rcode", rcode, "answers", len(resp.Answer))
	if !slices.Contains(cfg.ValidRcodes, rcode) {
		return collector.Failf(ReasonRcode, "response code %s is not accepted (want %v)", rcode, cfg.ValidRcodes)
	}
	for _, re := range m.bodyMatch {
		for _, rr := range resp.Answer {
			if re.MatchString(rr.String()) {
				return collector.Failf(ReasonAnswerMismatch, "answer %q matches %q", rr.String(), re)
			}
		}
	}
	for _, re := range m.bodyNotMatch {
		// As in blackbox_exporter: every record of the answer must match, and an empty
		// answer matches nothing.
		if len(resp.Answer) == 0 {
			return collector.Failf(ReasonAnswerMismatch, "the answer has no record to match %q", re)
		}
		for _, rr := range resp.Answer {
			if !re.MatchString(rr.String()) {
				return collector.Failf(ReasonAnswerMismatch, "answer %q does not match %q", rr.String(), re)
			}
		}
	}
	return nil
}
