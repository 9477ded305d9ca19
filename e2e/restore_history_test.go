package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/testtool"
	"github.com/rondanet/ronda/restore"
)

// openMetrics builds a backfill file: each family's samples together, in time order, as
// `promtool tsdb create-blocks-from openmetrics` wants them.
type openMetrics struct {
	families map[string]*strings.Builder
	order    []string
}

func (o *openMetrics) add(metric, instance, user string, t time.Time, v float64) {
	if o.families == nil {
		o.families = map[string]*strings.Builder{}
	}
	b := o.families[metric]
	if b == nil {
		b = &strings.Builder{}
		o.families[metric] = b
		o.order = append(o.order, metric)
		fmt.Fprintf(b, "# TYPE %s gauge\n", metric)
	}
	fmt.Fprintf(b, "%s{instance=%q,job=\"ronda\"", metric, instance)
	if user != "" {
		fmt.Fprintf(b, ",user=%q", user)
	}
	fmt.Fprintf(b, "} %s %s\n", strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64))
}

func (o *openMetrics) write(t testing.TB, file string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, m := range o.order {
		if _, err := f.WriteString(o.families[m].String()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteString("# EOF\n"); err != nil {
		t.Fatal(err)
	}
}

// backfilledPrometheus turns the file into TSDB blocks with promtool and serves them with
// a real Prometheus that scrapes nothing.
func backfilledPrometheus(t testing.TB, om *openMetrics) string {
	t.Helper()
	promtool := testtool.Need(t, "promtool")
	prometheus := testtool.Need(t, "prometheus")
	dir := t.(interface{ TempDir() string }).TempDir()
	file, data := filepath.Join(dir, "history.om"), filepath.Join(dir, "data")
	om.write(t, file)
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", file, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool create-blocks-from openmetrics: %v\n%s", err, out)
	}
	_ = os.Remove(file)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {scrape_interval: 1m}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testtool.Addr(testtool.FreePort(t))
	p := testtool.Start(t, prometheus, "--config.file="+cfg, "--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=10y", "--web.listen-address="+addr)
	p.WaitHTTP(t, "http://"+addr+"/-/ready")
	return "http://" + addr
}

// TestRestorePointsOverThirtyDaysOfBackfilledHistory finds every reboot in 30 days of a
// history scraped every 5 minutes (promtool reads the whole file once per 2h block, so a
// finer history only makes the test slow), each with the right restore point and gap.
func TestRestorePointsOverThirtyDaysOfBackfilledHistory(t *testing.T) {
	bin := testtool.Binaries(t)
	const step = 5 * time.Minute
	now := time.Now().Truncate(step)
	start := now.Add(-30*24*time.Hour + step)
	type cut struct {
		at       time.Time     // last scrape before it
		down     int           // failed scrapes Prometheus saw before the boot
		missing  int           // scrapes that never happened (Prometheus down too)
		wantGap  time.Duration // to the next sample of mikrotik_up
		bridged  bool
		bootTime time.Time
	}
	cuts := []*cut{
		{at: now.Add(-29 * 24 * time.Hour), down: 2, wantGap: step, bridged: true},
		{at: now.Add(-20 * 24 * time.Hour), missing: 3, wantGap: 4 * step},
		{at: now.Add(-9*24*time.Hour - 17*step), wantGap: step},
		{at: now.Add(-2*24*time.Hour - 3*step), down: 5, wantGap: step, bridged: true},
	}
	om := &openMetrics{}
	boot := start.Add(-3 * time.Hour)
	online := 0
	next := 0
	for ts := start; ts.Before(now.Add(-10 * step)); ts = ts.Add(step) {
		if next < len(cuts) && ts.After(cuts[next].at) {
			c := cuts[next]
			for range c.down {
				om.add("mikrotik_up", "hs", "", ts, 0)
				ts = ts.Add(step)
			}
			ts = ts.Add(time.Duration(c.missing) * step)
			c.bootTime = ts.Add(-20 * time.Second)
			boot = c.bootTime
			next++
		}
		jitter := time.Duration(ts.Unix()%3-1) * time.Second
		om.add("mikrotik_up", "hs", "", ts, 1)
		om.add("mikrotik_system_boot_time_seconds", "hs", "", ts, float64(boot.Add(jitter).Unix()))
		// A growing crowd online: users u0..u(online-1).
		online = int(ts.Sub(start)/(24*time.Hour)) % 7
		for u := range online {
			om.add("mikrotik_hotspot_active_uptime_seconds", "hs", "u"+strconv.Itoa(u), ts, 60)
		}
	}
	prom := backfilledPrometheus(t, om)

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "ronda.yml")
	writeFile(t, filepath.Join(dir, "pw"), "x\n")
	writeFile(t, cfgFile, "mikrotik:\n  - name: hs\n    address: 127.0.0.1:1\n    username: ronda\n    password_file: pw\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "ronda-restore"), "points", "--config.file="+cfgFile,
		"--prometheus.url="+prom, "--since=30d", "--output=json").CombinedOutput()
	if err != nil {
		t.Fatalf("ronda-restore points: %v\n%s", err, out)
	}
	var points []restore.Point
	if err := json.Unmarshal(out, &points); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(points) != len(cuts) {
		t.Fatalf("%d points, want %d: %s", len(points), len(cuts), out)
	}
	for i, c := range cuts {
		p := points[len(points)-1-i] // newest first
		wantOnline := int(c.at.Sub(start)/(24*time.Hour)) % 7
		if !p.At.Equal(c.at) || !p.BootTime.Equal(c.bootTime.Truncate(time.Second)) && p.BootTime.Sub(c.bootTime).Abs() > 2*time.Second ||
			p.Gap != c.wantGap || p.Bridged() != c.bridged || p.Online != wantOnline || p.Interval != step {
			t.Errorf("reboot %d: got %+v (bridged %v)\nwant at %v, boot %v, gap %v, bridged %v, online %d",
				i, p, p.Bridged(), c.at, c.bootTime, c.wantGap, c.bridged, wantOnline)
		}
	}
}

// BenchmarkPlan10kUsers2kOnline plans the restore of a router with 10,000 users, 2,000 of
// them online at the cut, against a real Prometheus holding the history (backfilled with
// the exporter's series names and labels) and the simulated router over the RouterOS API.
// Goal (issue 7, §7): at most 2 s.
func BenchmarkPlan10kUsers2kOnline(b *testing.B) {
	const (
		users    = 10000
		online   = 2000
		interval = 15 * time.Second
	)
	now := time.Now().Truncate(time.Second)
	at := now.Add(-10 * time.Minute)
	boot := at.Add(20 * time.Second)
	after := at.Add(2 * interval)
	om := &openMetrics{}
	name := func(i int) string { return fmt.Sprintf("vc%05d", i) }
	router := sim.NewRouter(sim.Options{Username: "ronda", Password: "bench"})
	for i := range users {
		u := sim.User{Name: name(i), Uptime: time.Duration(i%600) * time.Second}
		if i%5 != 4 { // four in five have a limit
			u.LimitUptime = 3 * time.Hour
		}
		if err := router.AddUser(u); err != nil {
			b.Fatal(err)
		}
	}
	for k := range 6 {
		ts := at.Add(time.Duration(k-4) * interval)
		bt := now.Add(-48 * time.Hour)
		if k == 5 {
			ts, bt = after, boot
		}
		om.add("mikrotik_up", "hs", "", ts, 1)
		om.add("mikrotik_system_boot_time_seconds", "hs", "", ts, float64(bt.Unix()))
		for _, u := range router.Users() {
			om.add("mikrotik_hotspot_user_uptime_seconds", "hs", u.Name, ts, u.Uptime.Seconds())
		}
		for _, u := range router.Users() {
			if u.LimitUptime > 0 {
				om.add("mikrotik_hotspot_user_limit_uptime_seconds", "hs", u.Name, ts, u.LimitUptime.Seconds())
			}
		}
		if k < 5 {
			for i := range online {
				om.add("mikrotik_hotspot_active_uptime_seconds", "hs", name(i*5), ts, float64(600+k*15))
			}
		}
	}
	prom := backfilledPrometheus(b, om)
	if err := router.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = router.Close() })

	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("bench"), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse([]byte("mikrotik:\n  - name: hs\n    address: "+router.Addr()+"\n    username: ronda\n    password_file: pw\n    timeout: 30s\n"), filepath.Join(dir, "ronda.yml"))
	if err != nil {
		b.Fatal(err)
	}
	client, err := promapi.New(promapi.Options{URL: prom})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := restore.New(restore.Options{Config: cfg, Prometheus: client, LedgerFile: filepath.Join(dir, "ledger.json"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	ctx := context.Background()
	points, err := svc.Points(ctx, "hs", now.Add(-time.Hour), now)
	if err != nil || len(points) != 1 || points[0].Online != online {
		b.Fatalf("points %+v, %v", points, err)
	}
	for b.Loop() {
		plan, err := svc.Plan(ctx, points[0], restore.PlanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(plan.Entries) != online || !plan.Entries[0].Restored() {
			b.Fatalf("plan of %d entries, first %+v", len(plan.Entries), plan.Entries[0])
		}
	}
}
