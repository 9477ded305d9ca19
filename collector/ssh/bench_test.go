package ssh_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// BenchmarkHundredHosts scrapes 100 simulated hosts, 8 at a time, two ways in the same run:
// on the connections the collector keeps (persistent), and with a fresh collector per
// round, so every scrape dials and logs in (what SSH exporters without connection reuse
// do). It reports the process CPU time (user+system, from getrusage) per host scrape. The
// simulated hosts run in the same process, so both sides of the SSH work are counted; the
// ratio between the two is what the benchmark is for.
func BenchmarkHundredHosts(b *testing.B) {
	const n = 100
	hosts, cfg := simHosts(b, n, []string{"nginx.service", "postgresql.service"},
		[]config.SSHCommand{{Name: "queue", Command: "postqueue -p | tail -n1", Value: config.SSHValueFirstNumber}})
	names := make([]string, n)
	for i, t := range cfg.SSH {
		names[i] = t.Name
	}
	for _, mode := range []string{"persistent", "dial-per-scrape"} {
		b.Run(mode, func(b *testing.B) {
			c := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
			c.Reload(cfg)
			scrapeAll(b, c, names) // warm: connections up
			loginsBefore := totalLogins(hosts)
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if mode == "dial-per-scrape" {
					_ = c.Close()
					c = sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
					c.Reload(cfg)
				}
				scrapeAll(b, c, names)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			_ = c.Close()
			scrapes := float64(b.N * n)
			b.ReportMetric(float64(cpu.Microseconds())/scrapes, "cpu-µs/scrape")
			b.ReportMetric(float64(totalLogins(hosts)-loginsBefore)/scrapes, "logins/scrape")
		})
	}
}

func scrapeAll(b *testing.B, c *sshcollector.Collector, names []string) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ch := make(chan prometheus.Metric, 1024)
			go func() {
				for range ch {
				}
			}()
			err := c.Scrape(ctx, name, nil, ch)
			close(ch)
			if err != nil {
				b.Error(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	wg.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func totalLogins(hosts []*sshhost.Host) int64 {
	var n int64
	for _, h := range hosts {
		n += h.Logins()
	}
	return n
}
