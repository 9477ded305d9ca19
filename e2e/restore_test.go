package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/routeros"
	"github.com/rondanet/ronda/internal/testtool"
	"github.com/rondanet/ronda/restore"
)

const restoreScenario = `routers:
  - name: hs
    listen: %s
    api: {username: ronda, password: restore-pass}
    uptime: 2d
    users:
      - {name: alice, password: a, limit_uptime: 2h, uptime: 30m, online: true}
      - {name: erin, password: e, limit_uptime: 1h, uptime: 5m, online: true}
      - {name: frank, password: f, limit_uptime: 3h, uptime: 2h59m, online: true}
      - {name: bob, password: b, uptime: 5h, online: true}
      - {name: carol, password: c, limit_uptime: 3h, uptime: 10m, online: true}
      - {name: dave, password: d, limit_uptime: 1h, uptime: 20m, online: true}
      - {name: vc-old, password: vc-old, limit_uptime: 1s, uptime: 1s, comment: vc-412-11.24.25-}
`

// scrapeInterval keeps the test short; restore is exact to within one.
const scrapeInterval = time.Second

type simUser struct {
	Name               string  `json:"name"`
	LimitUptimeSeconds float64 `json:"limit_uptime_seconds"`
	UptimeSeconds      float64 `json:"uptime_seconds"`
}

type simSession struct {
	User          string  `json:"user"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

// restoreLab is ronda-sim, ronda-exporter and a real Prometheus scraping it every second.
type restoreLab struct {
	bin, control, prom, exporterConfig, routerAddr, ledger string
}

// restoreLabOptions widen the lab for tests that need more of the stack.
type restoreLabOptions struct {
	routerYAML string // more keys of the router's target in ronda.yml, indented by four spaces
	promYAML   string // more of prometheus.yml (rule_files, alerting)
}

func startRestoreLab(t *testing.T, opts ...restoreLabOptions) restoreLab {
	t.Helper()
	var o restoreLabOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	prometheus := testtool.Need(t, "prometheus")
	bin := testtool.Binaries(t)
	dir := t.TempDir()
	l := restoreLab{bin: bin, ledger: filepath.Join(dir, "ledger.json")}

	l.routerAddr = testtool.Addr(testtool.FreePort(t))
	scenario := filepath.Join(dir, "scenario.yml")
	writeFile(t, scenario, fmt.Sprintf(restoreScenario, l.routerAddr))
	control := testtool.Addr(testtool.FreePort(t))
	sim := testtool.Start(t, filepath.Join(bin, "ronda-sim"), "--scenario.file="+scenario, "--control.listen-address="+control)
	l.control = "http://" + control
	sim.WaitHTTP(t, l.control+"/routers")

	writeFile(t, filepath.Join(dir, "router.password"), "restore-pass\n")
	l.exporterConfig = filepath.Join(dir, "ronda.yml")
	writeFile(t, l.exporterConfig, fmt.Sprintf("mikrotik:\n  - name: hs\n    address: %s\n    username: ronda\n    password_file: router.password\n    hotspot_users: all\n%s", l.routerAddr, o.routerYAML))
	exporterAddr := testtool.Addr(testtool.FreePort(t))
	exporter := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+l.exporterConfig, "--web.listen-address="+exporterAddr)
	exporter.WaitHTTP(t, "http://"+exporterAddr+"/-/ready")

	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global: {scrape_interval: %s, scrape_timeout: %s, evaluation_interval: %s}
scrape_configs:
  - job_name: ronda
    http_sd_configs: [{url: "http://%s/sd?kind=mikrotik", refresh_interval: 1s}]
%s`, scrapeInterval, scrapeInterval, scrapeInterval, exporterAddr, o.promYAML))
	promAddr := testtool.Addr(testtool.FreePort(t))
	p := testtool.Start(t, prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr)
	l.prom = "http://" + promAddr
	p.WaitHTTP(t, l.prom+"/-/ready")
	return l
}

// restoreCmd runs ronda-restore against the lab and returns its stdout and exit code.
func (l restoreLab) restoreCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prom := "--prometheus.url=" + l.prom
	for _, a := range args {
		if strings.HasPrefix(a, "--prometheus.url=") {
			prom = a
		}
	}
	args = append([]string{"--config.file=" + l.exporterConfig, prom, "--ledger.file=" + l.ledger, "--since=1h"}, args...)
	args = slices.DeleteFunc(args, func(a string) bool { return a == prom })
	args = append([]string{prom}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(l.bin, "ronda-restore"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ronda-restore %v: %v", args, err)
	}
	t.Logf("ronda-restore %s → exit %d\n%s%s", strings.Join(args[4:], " "), code, stdout.String(), stderr.String())
	return stdout.String(), code
}

// cutRecord is what the lab looked like just before a power cut.
type cutRecord struct {
	at       time.Time
	users    map[string]simUser // the router's users
	sessions map[string]float64 // session uptime (seconds) of each user online
}

// powerCut waits until Prometheus has scraped at least minSession seconds of alice's
// session, records the users and sessions, cuts the router's power, and returns once
// Prometheus has scraped the router after its boot.
func (l restoreLab) powerCut(t *testing.T, minSession float64) cutRecord {
	t.Helper()
	testtool.Eventually(t, 60*time.Second, "Prometheus has scraped alice's session", func(ctx context.Context) error {
		s, err := promQuery(ctx, l.prom, `mikrotik_hotspot_active_uptime_seconds{instance="hs",user="alice"}`)
		if err != nil {
			return err
		}
		if len(s) != 1 || s[0].Value < minSession {
			return fmt.Errorf("alice's session: %v", s)
		}
		return nil
	})
	rec := cutRecord{users: usersByName(getJSON[[]simUser](t, l.control+"/routers/hs/users")), sessions: map[string]float64{}}
	for _, s := range getJSON[[]simSession](t, l.control+"/routers/hs/active") {
		rec.sessions[s.User] = s.UptimeSeconds
	}
	postJSON(t, l.control+"/routers/hs/power-loss", "")
	rec.at = time.Now()
	testtool.Eventually(t, 60*time.Second, "Prometheus has scraped the router after the boot", func(ctx context.Context) error {
		s, err := promQuery(ctx, l.prom, `mikrotik_system_boot_time_seconds{instance="hs"}`)
		if err != nil {
			return err
		}
		if len(s) != 1 || s[0].Value < float64(rec.at.Unix()-2) {
			return fmt.Errorf("boot time: %v", s)
		}
		return nil
	})
	return rec
}

func getJSON[T any](t *testing.T, url string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(httpGet(t, url, nil)), &v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return v
}

func postJSON(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

func usersByName(users []simUser) map[string]simUser {
	out := map[string]simUser{}
	for _, u := range users {
		out[u.Name] = u
	}
	return out
}

// TestRestoreAfterPowerCut is the whole field story: users online, the power goes, the
// router boots, and ronda-restore takes exactly the forgotten session time off each
// affected user's limit, to within one scrape interval, once.
func TestRestoreAfterPowerCut(t *testing.T) {
	l := startRestoreLab(t)

	// Dave logs out properly: his session is saved, he has nothing to restore.
	postJSON(t, l.control+"/routers/hs/logout", `{"user":"dave"}`)
	rec := l.powerCut(t, 8)
	before, truth, cut := rec.users, rec.sessions, rec.at
	if len(truth) != 5 {
		t.Fatalf("sessions before the cut: %+v", truth)
	}

	// Mikhmon marks carol's voucher expired after the boot.
	conn := routeros.New(routeros.Config{Address: l.routerAddr, Username: "ronda", Password: "restore-pass"})
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Run(ctx, "/ip/hotspot/user/set", "=numbers=carol", "=limit-uptime=1s"); err != nil {
		t.Fatal(err)
	}
	before["carol"] = simUser{Name: "carol", LimitUptimeSeconds: 1, UptimeSeconds: before["carol"].UptimeSeconds}
	writesBefore := len(getJSON[[]json.RawMessage](t, l.control+"/routers/hs/writes"))

	out, code := l.restoreCmd(t, "points", "--output=json")
	var points []restore.Point
	if err := json.Unmarshal([]byte(out), &points); err != nil || code != 0 {
		t.Fatalf("points: exit %d, %v", code, err)
	}
	if len(points) != 1 {
		t.Fatalf("points: want the one reboot, got %+v", points)
	}
	p := points[0]
	if p.At.After(cut) || cut.Sub(p.At) > scrapeInterval+2*time.Second || p.Online != 5 || p.Gap > 2*scrapeInterval+time.Second {
		t.Errorf("point %+v: want the last scrape before the cut at %v, 5 online, a gap of about one interval", p, cut)
	}

	// The reboot can be picked by the boot time the table shows.
	out, code = l.restoreCmd(t, "points")
	shown := p.BootTime.Local().Format(time.RFC3339)
	if code != 0 || !strings.Contains(out, shown) {
		t.Errorf("points table: exit %d, want the boot time %s in it", code, shown)
	}
	out, code = l.restoreCmd(t, "plan", "--reboot="+shown, "--output=json")
	var plan restore.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 || !plan.Point.At.Equal(p.At) || len(plan.Entries) != 5 {
		t.Errorf("plan --reboot: exit %d, %v, point %+v, %d entries", code, err, plan.Point, len(plan.Entries))
	}

	// The dry run writes nothing and says how to apply.
	out, code = l.restoreCmd(t, "apply")
	if code != 0 || !strings.Contains(out, "--yes") || !strings.Contains(out, "alice") {
		t.Errorf("dry run: exit %d", code)
	}
	if n := len(getJSON[[]json.RawMessage](t, l.control+"/routers/hs/writes")); n != writesBefore {
		t.Fatalf("the dry run wrote %d times", n-writesBefore)
	}

	out, code = l.restoreCmd(t, "apply", "--yes", "--output=json")
	var res restore.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("apply: exit %d, %v", code, err)
	}
	if res.Applied != 3 || res.Failed != 0 {
		t.Errorf("apply: %d applied, %d failed; want alice, erin and frank", res.Applied, res.Failed)
	}
	skips := map[string]restore.Skip{}
	for _, o := range res.Outcomes {
		skips[o.User] = o.Skip
	}
	if skips["bob"] != restore.SkipUnlimited || skips["carol"] != restore.SkipExpired {
		t.Errorf("skips: %v", skips)
	}

	after := usersByName(getJSON[[]simUser](t, l.control+"/routers/hs/users"))
	for _, name := range []string{"alice", "erin", "frank"} {
		b, a := before[name], after[name]
		left := a.LimitUptimeSeconds - a.UptimeSeconds
		want := b.LimitUptimeSeconds - b.UptimeSeconds - truth[name]
		// The restore point is the last scrape before the cut, up to one interval before
		// it, and RouterOS counts whole seconds: the user keeps at most that much extra.
		if d := left - want; d < 0 || d > (scrapeInterval+time.Second).Seconds() {
			t.Errorf("%s: %vs left, the truth is %vs (session %vs at the cut)", name, left, want, truth[name])
		}
		if a.UptimeSeconds != b.UptimeSeconds {
			t.Errorf("%s: stored uptime changed %v → %v", name, b.UptimeSeconds, a.UptimeSeconds)
		}
	}
	for _, name := range []string{"bob", "carol", "dave", "vc-old"} {
		if before[name] != after[name] {
			t.Errorf("%s was touched: %+v → %+v", name, before[name], after[name])
		}
	}

	type write struct{ User, Field, Old, New string }
	writes := getJSON[[]write](t, l.control+"/routers/hs/writes")
	for _, w := range writes[writesBefore:] {
		if w.Field != "limit-uptime" {
			t.Errorf("ronda-restore wrote %s of %s", w.Field, w.User)
		}
	}
	if len(writes)-writesBefore != 3 {
		t.Errorf("%d writes, want 3: %+v", len(writes)-writesBefore, writes)
	}

	// Again: the ledger makes it a no-op.
	_, code = l.restoreCmd(t, "apply", "--yes")
	if code != 0 {
		t.Errorf("second apply: exit %d", code)
	}
	if n := len(getJSON[[]write](t, l.control+"/routers/hs/writes")); n != len(writes) {
		t.Errorf("the second apply wrote %d more times", n-len(writes))
	}

	// Exit codes a script (or ronda-webhook) can act on.
	if _, code := l.restoreCmd(t, "plan", "--at=yesterday"); code != 1 {
		t.Errorf("bad --at: exit %d, want 1 (refused)", code)
	}
	if _, code := l.restoreCmd(t, "points", "--router=nope"); code != 1 {
		t.Errorf("unknown router: exit %d, want 1 (refused)", code)
	}
	if _, code := l.restoreCmd(t, "points", "--prometheus.url=http://"+testtool.Addr(testtool.FreePort(t))); code != 3 {
		t.Errorf("Prometheus down: exit %d, want 3 (unreachable)", code)
	}
	postJSON(t, l.control+"/routers/hs/power-off", "")
	if _, code := l.restoreCmd(t, "plan"); code != 3 {
		t.Errorf("router down: exit %d, want 3 (unreachable)", code)
	}
}
