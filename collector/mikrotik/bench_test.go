package mikrotik_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/go-routeros/routeros/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

// bigHotspot is a router with 10,000 users, 2,000 of them online.
func bigHotspot(b *testing.B) *lab {
	b.Helper()
	clock := sim.NewManualClock(t0)
	r := sim.NewRouter(sim.Options{Clock: clock, Username: testUser, Password: testPassword})
	for i := range 10000 {
		u := sim.User{Name: fmt.Sprintf("v%05d", i), Profile: "1jam", Uptime: time.Duration(i) * time.Second, BytesIn: int64(i) * 1000, BytesOut: int64(i) * 9000}
		if i%2 == 0 {
			u.LimitUptime = time.Hour + time.Duration(i)*time.Second
		}
		if err := r.AddUser(u); err != nil {
			b.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	for i := range 2000 {
		if _, err := r.Login(fmt.Sprintf("v%05d", i*5), "", ""); err != nil {
			b.Fatal(err)
		}
	}
	clock.Advance(10 * time.Minute)
	if err := r.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	return &lab{clock: clock, router: r, addr: r.Addr()}
}

// benchUsers is how many users bigHotspot holds, for the per-user figures.
const benchUsers = 10000

// reportAllocsPerUser adds allocs/user to a benchmark that ran fn b.N times.
func reportAllocsPerUser(b *testing.B, fn func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		fn()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/benchUsers, "allocs/user")
}

// discardResponse is an http.ResponseWriter that throws the body away, so the benchmark
// measures the scrape and its encoding, not a growing buffer.
type discardResponse struct{ header http.Header }

func (d *discardResponse) Header() http.Header         { return d.header }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(int)             {}

// BenchmarkFullScrape10kUsers is what Prometheus pays for: GET /mikrotik?target=… through
// the framework on a warm connection, with the fresh registry, the gathering and the text
// encoding of every series. Compare with BenchmarkBarePrints10kUsers in the same run.
func BenchmarkFullScrape10kUsers(b *testing.B) {
	l := bigHotspot(b)
	coll := newCollector()
	manager := collector.NewManager(collector.Options{}, coll)
	b.Cleanup(func() { _ = manager.Close() })
	manager.ApplyConfig(&config.Config{MikroTik: []config.MikroTikTarget{l.target(config.HotspotUsersAll)}})
	handler := manager.Handler(config.KindMikroTik)
	req := httptest.NewRequest(http.MethodGet, "/mikrotik?target="+routerName, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "30")
	scrape := func() {
		w := &discardResponse{header: http.Header{}}
		handler.ServeHTTP(w, req)
	}
	scrape() // warm: dial and log in before measuring
	if r, ok := manager.Latest(routerName); !ok || !r.Success {
		b.Fatalf("warm-up scrape failed: %+v", r)
	}
	reportAllocsPerUser(b, scrape)
	if r, _ := manager.Latest(routerName); !r.Success {
		b.Fatalf("a measured scrape failed: %+v", r)
	}
}

// BenchmarkCollect10kUsers is one scrape of bigHotspot in each mode; compare with
// BenchmarkBarePrints10kUsers (the same prints with go-routeros alone): the budget is 1.3×.
func BenchmarkCollect10kUsers(b *testing.B) {
	for _, mode := range []config.HotspotUsers{config.HotspotUsersAll, config.HotspotUsersLimited, config.HotspotUsersNone} {
		b.Run(string(mode), func(b *testing.B) {
			l := bigHotspot(b)
			coll := newBenchCollector(b, l, mode)
			ch := make(chan prometheus.Metric, 1024)
			done := make(chan struct{})
			go func() {
				for range ch {
				}
				close(done)
			}()
			ctx := context.Background()
			logger := slog.New(slog.DiscardHandler)
			reportAllocsPerUser(b, func() {
				if err := coll.Scrape(ctx, routerName, logger, ch); err != nil {
					b.Fatal(err)
				}
			})
			close(ch)
			<-done
		})
	}
}

func newBenchCollector(b *testing.B, l *lab, mode config.HotspotUsers) interface {
	Scrape(context.Context, string, *slog.Logger, chan<- prometheus.Metric) error
} {
	coll := newCollector()
	b.Cleanup(func() { _ = coll.Close() })
	coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{l.target(mode)}})
	return coll
}

// BenchmarkBarePrints10kUsers runs the prints a scrape in mode all runs, with go-routeros
// alone: the floor the collector is measured against.
func BenchmarkBarePrints10kUsers(b *testing.B) {
	l := bigHotspot(b)
	client, err := routeros.Dial(l.addr, testUser, testPassword)
	if err != nil {
		b.Fatal(err)
	}
	client.SetLogHandler(slog.DiscardHandler)
	b.Cleanup(func() { _ = client.Close() })
	commands := [][]string{
		{"/system/resource/print", "=.proplist=uptime,cpu-load,free-memory,total-memory,version,board-name"},
		{"/system/identity/print", "=.proplist=name"},
		{"/ip/hotspot/user/print", "=.proplist=name,profile,server,disabled,uptime,limit-uptime,bytes-in,bytes-out"},
		{"/ip/hotspot/active/print", "=.proplist=user,server,address,mac-address,login-by,uptime,session-time-left,idle-time,bytes-in,bytes-out"},
		{"/ip/hotspot/host/print", "=count-only="},
	}
	reportAllocsPerUser(b, func() {
		for _, cmd := range commands {
			if _, err := client.RunArgs(cmd); err != nil {
				b.Fatal(err)
			}
		}
	})
}
