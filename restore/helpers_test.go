package restore

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

// fakeProm answers /api/v1/query for raw range selectors of one metric with an instance
// matcher (the only queries restore makes) from samples the test writes, in the API's
// real JSON, with Prometheus 2.x's range semantics (both ends included). A fixture file
// set for a metric is served instead, to replay recorded error answers.
type fakeProm struct {
	mu       sync.Mutex
	samples  map[string]map[string][]promapi.Sample // metric → user label ("" for none) → samples
	fixtures map[string]string                      // metric → testdata file
	status   map[string]int
	queries  []string
}

func newFakeProm() *fakeProm {
	return &fakeProm{samples: map[string]map[string][]promapi.Sample{}, fixtures: map[string]string{}, status: map[string]int{}}
}

func (f *fakeProm) add(metric, user string, t time.Time, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.samples[metric] == nil {
		f.samples[metric] = map[string][]promapi.Sample{}
	}
	f.samples[metric][user] = append(f.samples[metric][user], promapi.Sample{T: t, V: v})
}

// serveFixture answers queries of metric with a recorded answer.
func (f *fakeProm) serveFixture(metric, file string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fixtures[metric], f.status[metric] = file, status
}

var rangeQuery = regexp.MustCompile(`^([a-z_]+)\{instance="([^"]*)"\}\[(\d+)ms\]$`)

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q, at := r.PostForm.Get("query"), r.PostForm.Get("time")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if strings.HasSuffix(q, "[1s]") {
		q = strings.TrimSuffix(q, "[1s]") + "[1000ms]"
	}
	m := rangeQuery.FindStringSubmatch(q)
	if m == nil || r.PostForm.Get("partial_response") != "false" {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"fake cannot answer %q"}`, q)
		return
	}
	if file, ok := f.fixtures[m[1]]; ok {
		body, _ := os.ReadFile(filepath.Join("testdata", file))
		w.WriteHeader(f.status[m[1]])
		_, _ = w.Write(body)
		return
	}
	ts, _ := strconv.ParseFloat(at, 64)
	end := time.UnixMilli(int64(ts * 1000))
	rangeMs, _ := strconv.ParseInt(m[3], 10, 64)
	start := end.Add(-time.Duration(rangeMs) * time.Millisecond)
	var series []string
	users := make([]string, 0, len(f.samples[m[1]]))
	for u := range f.samples[m[1]] {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		var vals []string
		for _, s := range f.samples[m[1]][u] {
			if !s.T.Before(start) && !s.T.After(end) {
				vals = append(vals, fmt.Sprintf("[%s,%q]", promapi.FormatTime(s.T), strconv.FormatFloat(s.V, 'f', -1, 64)))
			}
		}
		if len(vals) == 0 {
			continue
		}
		labels := fmt.Sprintf(`"__name__":%q,"instance":%q,"job":"ronda"`, m[1], m[2])
		if u != "" {
			labels += fmt.Sprintf(`,"user":%q`, u)
		}
		series = append(series, fmt.Sprintf(`{"metric":{%s},"values":[%s]}`, labels, strings.Join(vals, ",")))
	}
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, strings.Join(series, ","))
}

// hotspotUser is one user as a scrape sees it.
type hotspotUser struct {
	name    string
	uptime  time.Duration // stored
	limit   time.Duration // 0: unlimited (no limit series)
	session time.Duration // 0 and !online: no session series
	online  bool
}

// scrape records one successful scrape of router at t.
func (f *fakeProm) scrape(t, boot time.Time, users ...hotspotUser) {
	f.add(metricUp, "", t, 1)
	f.add(metricBootTime, "", t, float64(boot.Unix()))
	for _, u := range users {
		f.add(metricUserUptime, u.name, t, u.uptime.Seconds())
		if u.limit > 0 {
			f.add(metricUserLimit, u.name, t, u.limit.Seconds())
		}
		if u.online {
			f.add(metricActiveUptime, u.name, t, u.session.Seconds())
		}
	}
}

func (f *fakeProm) failedScrape(t time.Time) { f.add(metricUp, "", t, 0) }

// lab is a Restorer over a fake Prometheus and a simulated router on loopback.
type lab struct {
	prom   *fakeProm
	router *sim.Router
	r      *Restorer
	ledger string
	cfg    *config.Config
	now    func() time.Time // the Restorer's clock; nil: the wall clock
}

const (
	testRouter   = "hotspot-pasar"
	testUser     = "ronda"
	testPassword = "s3cret"
)

func newLab(t *testing.T, mode string) *lab {
	t.Helper()
	return newLabOn(t, mode, nil)
}

// newLabOn is newLab with the router and the Restorer on clock (nil: the wall clock).
func newLabOn(t *testing.T, mode string, clock *sim.ManualClock) *lab {
	t.Helper()
	opts := sim.Options{Username: testUser, Password: testPassword}
	if clock != nil {
		opts.Clock = clock
	}
	router := sim.NewRouter(opts)
	if err := router.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = router.Close() })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(testPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := newFakeProm()
	srv := httptest.NewServer(prom)
	t.Cleanup(srv.Close)
	client, err := promapi.New(promapi.Options{URL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{prom: prom, router: router, ledger: filepath.Join(dir, "ledger.json")}
	if clock != nil {
		l.now = clock.Now
	}
	l.cfg = labConfig(t, dir, router.Addr(), mode)
	l.r = l.restorer(t, client)
	return l
}

// labConfig is the exporter's config of the lab's router, reached at addr.
func labConfig(t *testing.T, dir, addr, mode string) *config.Config {
	t.Helper()
	yml := fmt.Sprintf("mikrotik:\n  - name: %s\n    address: %s\n    username: %s\n    password_file: pw\n    hotspot_users: %s\n    timeout: 5s\n",
		testRouter, addr, testUser, mode)
	cfg, err := config.Parse([]byte(yml), filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (l *lab) restorer(t *testing.T, q Querier) *Restorer {
	t.Helper()
	r, err := New(Options{Config: l.cfg, Prometheus: q, LedgerFile: l.ledger, Logger: slog.New(slog.DiscardHandler), Now: l.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// throughWriteRefusingAPI makes the lab reach its router through a proxy that answers
// every /ip/hotspot/user/set itself with the !trap RouterOS gives an API user without the
// write policy; everything else goes to the router.
func (l *lab) throughWriteRefusingAPI(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go refuseWrites(client, l.router.Addr())
		}
	}()
	l.cfg = labConfig(t, filepath.Dir(l.ledger), ln.Addr().String(), "all")
	l.r = l.restorer(t, l.r.opts.Prometheus)
}

// refuseWrites relays one API connection sentence by sentence, one command at a time.
func refuseWrites(client net.Conn, router string) {
	defer client.Close()
	up, err := net.Dial("tcp", router)
	if err != nil {
		return
	}
	defer up.Close()
	fromClient, fromRouter := bufio.NewReader(client), bufio.NewReader(up)
	for {
		words, err := sim.ReadSentence(fromClient)
		if err != nil || len(words) == 0 {
			return
		}
		if words[0] == "/ip/hotspot/user/set" {
			var tag []string
			for _, w := range words {
				if strings.HasPrefix(w, ".tag=") {
					tag = append(tag, w)
				}
			}
			reply := sim.EncodeSentence(append([]string{"!trap", "=message=not enough permissions (9)"}, tag...)...)
			reply = append(reply, sim.EncodeSentence(append([]string{"!done"}, tag...)...)...)
			if _, err := client.Write(reply); err != nil {
				return
			}
			continue
		}
		if _, err := up.Write(sim.EncodeSentence(words...)); err != nil {
			return
		}
		for {
			reply, err := sim.ReadSentence(fromRouter)
			if err != nil || len(reply) == 0 {
				return
			}
			if _, err := client.Write(sim.EncodeSentence(reply...)); err != nil {
				return
			}
			if reply[0] == "!done" || reply[0] == "!fatal" {
				break
			}
		}
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

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func entryOf(t *testing.T, p *Plan, user string) Entry {
	t.Helper()
	for _, e := range p.Entries {
		if e.User == user {
			return e
		}
	}
	t.Fatalf("no entry for %s in the plan: %+v", user, p.Entries)
	return Entry{}
}
