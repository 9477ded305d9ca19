package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

var (
	dnsLookupTime = collector.NewFamily("probe_dns_lookup_time_seconds",
		"How long resolving the target's name took (0 for an IP address).", prometheus.GaugeValue)
	ipProtocol = collector.NewFamily("probe_ip_protocol",
		"The IP protocol of the address probed: 4 or 6.", prometheus.GaugeValue)
)

// resolve turns host into one address, of the preferred protocol when the name has one
// and of the other otherwise (IPv4 is preferred by default: an IPv6 default surprises
// people whose LAN has no IPv6 route).
func resolve(ctx context.Context, host, preferred string, ch chan<- prometheus.Metric) (netip.Addr, error) {
	start := time.Now()
	addr, err := pick(ctx, host, preferred)
	ch <- dnsLookupTime.Sample(time.Since(start).Seconds())
	if err != nil {
		return netip.Addr{}, err
	}
	proto := 6.0
	if addr.Is4() {
		proto = 4
	}
	ch <- ipProtocol.Sample(proto)
	return addr, nil
}

func pick(ctx context.Context, host, preferred string) (netip.Addr, error) {
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Unmap(), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		if ctx.Err() != nil {
			return netip.Addr{}, collector.Fail(collector.ReasonTimeout, fmt.Errorf("resolving %s: %w", host, err))
		}
		return netip.Addr{}, collector.Fail(ReasonDNSResolve, fmt.Errorf("resolving %s: %w", host, err))
	}
	for _, a := range addrs {
		if a = a.Unmap(); a.Is4() == (preferred != config.IPv6) {
			return a, nil
		}
	}
	if len(addrs) == 0 {
		return netip.Addr{}, collector.Failf(ReasonDNSResolve, "resolving %s: no addresses", host)
	}
	return addrs[0].Unmap(), nil
}
