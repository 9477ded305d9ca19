package probe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

var (
	icmpDuration = collector.NewFamily("probe_icmp_duration_seconds",
		"Time spent in each phase of the ICMP probe: resolve, setup (opening the socket), rtt (the average round trip of the replies).",
		prometheus.GaugeValue, "phase")
	icmpLoss = collector.NewFamily("probe_icmp_packet_loss_ratio",
		"Share of the echo requests of the probe that got no reply, from 0 to 1.", prometheus.GaugeValue)
	icmpSent = collector.NewFamily("probe_icmp_packets_sent",
		"Echo requests sent by the probe.", prometheus.GaugeValue)
	icmpReceived = collector.NewFamily("probe_icmp_packets_received",
		"Echo replies received by the probe.", prometheus.GaugeValue)
	icmpRTT = collector.NewFamily("probe_icmp_rtt_seconds",
		"Round-trip time of the probe's replies: min, avg, max.", prometheus.GaugeValue, "stat")
)

// icmpSockets chooses, once, between unprivileged ICMP datagram sockets (allowed when the
// process's group is inside net.ipv4.ping_group_range) and raw sockets (which need root or
// CAP_NET_RAW).
type icmpSockets struct {
	once       sync.Once
	privileged bool
}

const pingGroupRange = "/proc/sys/net/ipv4/ping_group_range"

func (s *icmpSockets) usePrivileged() bool {
	s.once.Do(func() { s.privileged = !datagramAllowed(pingGroupRange) })
	return s.privileged
}

// datagramAllowed says whether the kernel lets this process open ICMP datagram sockets.
func datagramAllowed(rangeFile string) bool {
	data, err := os.ReadFile(rangeFile)
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return false
	}
	lo, err1 := strconv.ParseInt(fields[0], 10, 64)
	hi, err2 := strconv.ParseInt(fields[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	groups, _ := os.Getgroups()
	groups = append(groups, os.Getegid())
	for _, g := range groups {
		if int64(g) >= lo && int64(g) <= hi {
			return true
		}
	}
	return false
}

func (c *Collector) probeICMP(ctx context.Context, m *module, address string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	cfg := m.cfg.ICMP
	phases := map[string]time.Duration{}
	defer func() {
		for _, p := range []string{"resolve", "setup", "rtt"} {
			ch <- icmpDuration.Sample(phases[p].Seconds(), p)
		}
	}()

	start := time.Now()
	ip, err := resolve(ctx, address, cfg.PreferredIPProtocol, ch)
	phases["resolve"] = time.Since(start)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return collector.Failf(collector.ReasonConfig, "an ICMP probe needs a deadline")
	}

	pinger := probing.New(ip.String())
	pinger.SetIPAddr(&net.IPAddr{IP: ip.AsSlice()})
	pinger.SetPrivileged(c.icmp.usePrivileged())
	pinger.Count = cfg.Packets
	pinger.Interval = time.Duration(cfg.Interval)
	pinger.Size = cfg.PayloadSize // config refuses less than the 24 bytes pro-bing needs
	// Stop in time to answer: leave a little of the deadline for the last reply's bookkeeping.
	pinger.Timeout = time.Until(deadline) - 10*time.Millisecond
	if pinger.Timeout <= 0 {
		return collector.Failf(collector.ReasonTimeout, "no time left to ping")
	}
	pinger.SetLogger(probing.NoopLogger{})
	setupStart := time.Now()
	pinger.OnSetup = func() { phases["setup"] = time.Since(setupStart) }

	runErr := pinger.RunWithContext(ctx)
	stats := pinger.Statistics()
	if runErr != nil && stats.PacketsSent == 0 {
		if errors.Is(runErr, syscall.EPERM) || errors.Is(runErr, syscall.EACCES) || errors.Is(runErr, syscall.EPROTONOSUPPORT) {
			mode := "raw ICMP sockets (need root or CAP_NET_RAW, e.g. systemd AmbientCapabilities=CAP_NET_RAW)"
			if !pinger.Privileged() {
				mode = "ICMP datagram sockets (allowed by net.ipv4.ping_group_range)"
			}
			return collector.Fail(collector.ReasonConfig, fmt.Errorf("cannot open %s: %w; either put the exporter's group into net.ipv4.ping_group_range or give it CAP_NET_RAW", mode, runErr))
		}
		return collector.Fail(collector.ReasonConnect, fmt.Errorf("ping %s: %w", ip, runErr))
	}
	ch <- icmpSent.Sample(float64(stats.PacketsSent))
	ch <- icmpReceived.Sample(float64(stats.PacketsRecv))
	loss := 1.0
	if stats.PacketsSent > 0 {
		loss = float64(stats.PacketsSent-min(stats.PacketsRecv, stats.PacketsSent)) / float64(stats.PacketsSent)
	}
	ch <- icmpLoss.Sample(loss)
	logger.Debug("ping done", "sent", stats.PacketsSent, "received", stats.PacketsRecv, "avg_rtt", stats.AvgRtt, "privileged", pinger.Privileged())
	if stats.PacketsRecv == 0 {
		return collector.Failf(ReasonPacketLoss, "no reply to %d echo requests to %s", stats.PacketsSent, ip)
	}
	phases["rtt"] = stats.AvgRtt
	ch <- icmpRTT.Sample(stats.MinRtt.Seconds(), "min")
	ch <- icmpRTT.Sample(stats.AvgRtt.Seconds(), "avg")
	ch <- icmpRTT.Sample(stats.MaxRtt.Seconds(), "max")
	return nil
}
