package mikrotik_test

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/rondanet/ronda/collector/mikrotik"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	routerName   = "pasar"
	testUser     = "ronda"
	testPassword = "pa55-word"
)

// t0 is when the simulated router boots.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// lab is a simulated router on loopback driven by a manual clock, and a collector scraping it.
type lab struct {
	clock  *sim.ManualClock
	router *sim.Router
	coll   *mikrotik.Collector
	addr   string // where the collector connects: the router, or a proxy in front of it
}

func newLab(t *testing.T, opts sim.Options) *lab {
	t.Helper()
	clock := sim.NewManualClock(t0)
	opts.Clock = clock
	opts.Username, opts.Password = testUser, testPassword
	r := sim.NewRouter(opts)
	if err := r.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	coll := mikrotik.New(nil, mikrotik.Options{Now: clock.Now, BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	t.Cleanup(func() { _ = coll.Close() })
	return &lab{clock: clock, router: r, coll: coll, addr: r.Addr()}
}

// configure points the collector at the lab's router with the given mode.
func (l *lab) configure(mode config.HotspotUsers) {
	l.coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{l.target(mode)}})
}

func (l *lab) target(mode config.HotspotUsers) config.MikroTikTarget {
	return config.MikroTikTarget{
		Name: routerName, Address: l.addr, Username: testUser,
		Password: config.Secret(testPassword), HotspotUsers: mode,
	}
}

func (l *lab) addUsers(t *testing.T, users ...sim.User) {
	t.Helper()
	for _, u := range users {
		if err := l.router.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
}

func (l *lab) login(t *testing.T, user, address string) {
	t.Helper()
	if _, err := l.router.Login(user, address, ""); err != nil {
		t.Fatal(err)
	}
}

// scrape runs one scrape and returns what it sent.
func (l *lab) scrape(t *testing.T) ([]prometheus.Metric, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := make(chan prometheus.Metric, 100000)
	err := l.coll.Scrape(ctx, routerName, slog.New(slog.DiscardHandler), ch)
	close(ch)
	var out []prometheus.Metric
	for m := range ch {
		out = append(out, m)
	}
	return out, err
}

// scrapeCollector adapts one Scrape to a prometheus.Collector for testutil. It is unchecked
// (Describe sends nothing), as the exporter's per-request registry is.
type scrapeCollector struct {
	t   *testing.T
	l   *lab
	err error
}

func (s *scrapeCollector) Describe(chan<- *prometheus.Desc) {}

func (s *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	var metrics []prometheus.Metric
	metrics, s.err = s.l.scrape(s.t)
	for _, m := range metrics {
		ch <- m
	}
}

// recordingProxy sits between the collector and the simulated router: it records every
// command sent and can play a router without the hotspot package, answering /ip/hotspot
// commands with RouterOS's "no such command prefix" trap.
type recordingProxy struct {
	upstream  string
	noHotspot bool
	l         net.Listener
	wg        sync.WaitGroup

	mu       sync.Mutex
	commands [][]string
	conns    map[net.Conn]struct{}
}

func startProxy(t *testing.T, upstream string, noHotspot bool) *recordingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{upstream: upstream, noHotspot: noHotspot, l: l, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *recordingProxy) addr() string { return p.l.Addr().String() }

func (p *recordingProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.relay(client, server)
	}
}

func (p *recordingProxy) relay(client, server net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	defer server.Close()
	fromClient, fromServer := bufio.NewReader(client), bufio.NewReader(server)
	for {
		words, err := sim.ReadSentence(fromClient)
		if err != nil {
			return
		}
		if len(words) == 0 {
			continue
		}
		p.mu.Lock()
		p.commands = append(p.commands, words)
		p.mu.Unlock()
		if p.noHotspot && strings.HasPrefix(words[0], "/ip/hotspot/") {
			reply := append(sim.EncodeSentence("!trap", "=category=0", "=message=no such command prefix"), sim.EncodeSentence("!done")...)
			if _, err := client.Write(reply); err != nil {
				return
			}
			continue
		}
		if _, err := server.Write(sim.EncodeSentence(words...)); err != nil {
			return
		}
		for {
			reply, err := sim.ReadSentence(fromServer)
			if err != nil {
				return
			}
			if _, err := client.Write(sim.EncodeSentence(reply...)); err != nil {
				return
			}
			if len(reply) > 0 && (reply[0] == "!done" || reply[0] == "!fatal") {
				break
			}
		}
	}
}

func (p *recordingProxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *recordingProxy) recorded() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]string(nil), p.commands...)
}

func newCollector() *mikrotik.Collector { return mikrotik.New(nil, mikrotik.Options{}) }
