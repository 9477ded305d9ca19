package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/dashboards"
	"github.com/rondanet/ronda/internal/promapi"
	"github.com/rondanet/ronda/internal/testtool"
	"github.com/rondanet/ronda/restore"
)

// The scale-out lab: hs is the restore lab's router (its users and sessions); the others
// make the shards' shares. Target names hash (md5, as Prometheus's hashmod) to shard 0 (hs,
// hotspot-c) and shard 1 (the rest), so both shards have work.
const scaleOutScenario = `routers:
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
      - {name: dave, password: d, limit_uptime: 1h, uptime: 20m}
  - name: hotspot-a
    listen: %s
    api: {username: ronda, password: restore-pass}
    uptime: 5d
    users:
      - generate: {count: 20, limited_ratio: 0.5, online_ratio: 0.3, profile: 3jam, voucher_prefix: va, limit_uptime: 3h}
  - name: hotspot-b
    listen: %s
    api: {username: ronda, password: restore-pass}
    uptime: 5d
    users:
      - generate: {count: 20, limited_ratio: 0.5, online_ratio: 0.3, profile: 3jam, voucher_prefix: vb, limit_uptime: 3h}
  - name: hotspot-c
    listen: %s
    api: {username: ronda, password: restore-pass}
    uptime: 5d
    users:
      - generate: {count: 20, limited_ratio: 0.5, online_ratio: 0.3, profile: 3jam, voucher_prefix: vc, limit_uptime: 3h}
olts:
  - {name: olt-a, listen: %s, personality: hioso, username: admin, password: olt-pass, pons: 2, onus_per_pon: 8, seed: 1}
  - {name: olt-b, listen: %s, personality: hsgq, username: admin, password: olt-pass, pons: 2, onus_per_pon: 8, seed: 2}
  - {name: olt-c, listen: %s, personality: vsol, username: admin, password: olt-pass, pons: 2, onus_per_pon: 8, seed: 3}
`

var scaleOutShards = map[string]string{
	"hs": "0", "hotspot-c": "0",
	"hotspot-a": "1", "hotspot-b": "1", "olt-a": "1", "olt-b": "1", "olt-c": "1",
}

// TestScaleOut runs examples/scale-out/ for real: two ronda-exporter replicas with one
// config, two Prometheus shards (the example files, addresses and intervals rewritten)
// writing to one VictoriaMetrics, and two clustered Alertmanagers sending to one
// ronda-webhook. Every target is scraped by exactly one shard; a restore planned from
// VictoriaMetrics equals the one planned from the shard; the reboot's alert reaches each
// chat once; the OLT report and the dashboards' queries answer from VictoriaMetrics as from the shards.
func TestScaleOut(t *testing.T) {
	prometheus := testtool.Need(t, "prometheus")
	alertmanager := testtool.Need(t, "prometheus-alertmanager")
	victoria := testtool.Need(t, "victoria-metrics")
	bin := testtool.Binaries(t)
	dir := t.TempDir()

	// The simulated lab and two exporter replicas with the same config.
	var addrs []any
	for range 7 {
		addrs = append(addrs, testtool.Addr(testtool.FreePort(t)))
	}
	routerAddr := addrs[0].(string)
	writeFile(t, filepath.Join(dir, "scenario.yml"), fmt.Sprintf(scaleOutScenario, addrs...))
	control := testtool.Addr(testtool.FreePort(t))
	sim := testtool.Start(t, filepath.Join(bin, "ronda-sim"), "--scenario.file="+filepath.Join(dir, "scenario.yml"), "--control.listen-address="+control)
	sim.WaitHTTP(t, "http://"+control+"/routers")

	writeFile(t, filepath.Join(dir, "router.password"), "restore-pass\n")
	writeFile(t, filepath.Join(dir, "olt.password"), "olt-pass\n")
	var cfg strings.Builder
	cfg.WriteString("mikrotik:\n")
	for i, name := range []string{"hs", "hotspot-a", "hotspot-b", "hotspot-c"} {
		fmt.Fprintf(&cfg, "  - {name: %s, address: %s, username: ronda, password_file: router.password, hotspot_users: all}\n", name, addrs[i])
	}
	cfg.WriteString("olt:\n")
	for i, o := range [][2]string{{"olt-a", "hioso"}, {"olt-b", "hsgq"}, {"olt-c", "vsol"}} {
		fmt.Fprintf(&cfg, "  - {name: %s, driver: %s, url: http://%s, username: admin, password_file: olt.password}\n", o[0], o[1], addrs[4+i])
	}
	exporterConfig := filepath.Join(dir, "ronda.yml")
	writeFile(t, exporterConfig, cfg.String())
	var exporters []string
	for range 2 {
		addr := testtool.Addr(testtool.FreePort(t))
		p := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+exporterConfig, "--web.listen-address="+addr)
		p.WaitHTTP(t, "http://"+addr+"/-/ready")
		exporters = append(exporters, addr)
	}

	vmAddr := testtool.Addr(testtool.FreePort(t))
	vm := testtool.Start(t, victoria, "-httpListenAddr="+vmAddr, "-storageDataPath="+filepath.Join(dir, "vm"), "-retentionPeriod=1d")
	vmURL := "http://" + vmAddr
	vm.WaitHTTP(t, vmURL+"/health")

	// Telegram stand-in, one ronda-webhook, two clustered Alertmanagers.
	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	whDir := filepath.Join(dir, "webhook")
	if err := os.Mkdir(whDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeWebhookConfig(t, whDir, tg.URL)
	// The hourly OLT report, read from the long-term store.
	f, err := os.OpenFile(filepath.Join(whDir, "ronda-webhook.yml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "reports:\n  - name: olt-hourly\n    prometheus_url: %s\n    channels: [it-team]\n", vmURL)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	webhookPort := testtool.FreePort(t)
	startWebhook(t, whDir, webhookPort)
	ams := startAlertmanagerCluster(t, alertmanager, dir, testtool.Addr(webhookPort))

	// Two Prometheus shards from the example files.
	var shards []string
	for i := range 2 {
		addr := testtool.Addr(testtool.FreePort(t))
		file := filepath.Join(dir, fmt.Sprintf("prometheus-shard-%d.yml", i))
		writeFile(t, file, shardConfig(t, i, exporters[i], vmAddr, ams))
		p := testtool.Start(t, prometheus, "--config.file="+file, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("prom%d", i)),
			"--web.listen-address="+addr)
		p.WaitHTTP(t, "http://"+addr+"/-/ready")
		shards = append(shards, "http://"+addr)
	}

	t.Run("every target scraped once", func(t *testing.T) {
		// Asked through ronda's own client, which sends nocache=1: VictoriaMetrics would
		// otherwise answer "now" with what it had 30 seconds ago.
		vmc, err := promapi.New(promapi.Options{URL: vmURL})
		if err != nil {
			t.Fatal(err)
		}
		const lastUp = `last_over_time(up{job="ronda"}[10m])`
		testtool.Eventually(t, 90*time.Second, "every target's up in VictoriaMetrics", func(ctx context.Context) error {
			s, err := vmc.Vector(ctx, lastUp, time.Now())
			if err != nil {
				return err
			}
			if len(s) < len(scaleOutShards) {
				return fmt.Errorf("%d of %d targets", len(s), len(scaleOutShards))
			}
			return nil
		})
		// A few more scrapes: a second shard scraping a target would show by now.
		time.Sleep(5 * time.Second)
		last, err := vmc.Vector(context.Background(), lastUp, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string][]string{}
		for _, x := range last {
			seen[x.Labels["instance"]] = append(seen[x.Labels["instance"]], x.Labels["shard"])
		}
		for name, shard := range scaleOutShards {
			if got := seen[name]; !slices.Equal(got, []string{shard}) {
				t.Errorf("%s: scraped by shards %q, want exactly shard %s", name, got, shard)
			}
		}
		if len(seen) != len(scaleOutShards) {
			t.Errorf("targets in VictoriaMetrics: %v, want %d", seen, len(scaleOutShards))
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// The power cut, seen by the shard that scrapes hs.
	l := restoreLab{bin: bin, control: "http://" + control, prom: shards[0], exporterConfig: exporterConfig,
		routerAddr: routerAddr, ledger: filepath.Join(dir, "ledger.json")}
	rec := l.powerCut(t, 5)
	if len(rec.sessions) != 5 {
		t.Fatalf("sessions before the cut: %+v", rec.sessions)
	}

	t.Run("restore planned from VictoriaMetrics equals the shard's", func(t *testing.T) {
		// remote_write delivers within seconds: wait for the boot's scrape to be there.
		testtool.Eventually(t, 60*time.Second, "the reboot in VictoriaMetrics", func(context.Context) error {
			out, code := l.restoreCmd(t, "points", "--router=hs", "--output=json", "--prometheus.url="+vmURL)
			var points []restore.Point
			if err := json.Unmarshal([]byte(out), &points); err != nil || code != 0 || len(points) != 1 {
				return fmt.Errorf("points: exit %d, %d points, %v", code, len(points), err)
			}
			return nil
		})
		plan := func(url string) restore.Plan {
			out, code := l.restoreCmd(t, "plan", "--router=hs", "--output=json", "--prometheus.url="+url)
			var p restore.Plan
			if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 {
				t.Fatalf("plan from %s: exit %d, %v", url, code, err)
			}
			p.PlannedAt = time.Time{}
			return p
		}
		fromShard := plan(shards[0])
		if len(fromShard.Entries) != 5 || rec.at.Sub(fromShard.Point.At) > 3*scrapeInterval+2*time.Second {
			t.Errorf("the shard's plan: point %+v, %d entries; want the scrape before the cut at %v, 5 entries", fromShard.Point, len(fromShard.Entries), rec.at)
		}
		// remote_write sends series through parallel queues, so the boot's sample may be in
		// VictoriaMetrics a moment before the failed scrapes between: allow it to catch up.
		var fromVM restore.Plan
		deadline := time.Now().Add(30 * time.Second)
		for {
			if fromVM = plan(vmURL); reflect.DeepEqual(fromShard, fromVM) || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if !reflect.DeepEqual(fromShard, fromVM) {
			a, _ := json.MarshalIndent(fromShard, "", " ")
			b, _ := json.MarshalIndent(fromVM, "", " ")
			t.Errorf("plans differ:\nfrom the shard: %s\nfrom VictoriaMetrics: %s", a, b)
		}
	})

	t.Run("the reboot's alert reaches each chat once", func(t *testing.T) {
		// Each shard sends to both members: both hold the alert.
		for _, am := range ams {
			testtool.Eventually(t, 60*time.Second, "MikrotikRebooted at "+am, func(ctx context.Context) error {
				body, err := getBody(ctx, am+"/api/v2/alerts?filter=alertname%3D%22MikrotikRebooted%22")
				if err != nil {
					return err
				}
				if !strings.Contains(body, `"instance":"hs"`) {
					return fmt.Errorf("not there yet: %.200s", body)
				}
				if strings.Contains(body, `"shard"`) {
					return fmt.Errorf("the alert carries the shard label: %.300s", body)
				}
				return nil
			})
		}
		testtool.Eventually(t, 90*time.Second, "the message in both chats", func(context.Context) error {
			for _, chat := range []string{"1001", "-1002"} {
				if len(alertMessages(tg.Messages(), chat)) == 0 {
					return fmt.Errorf("chat %s has no message yet", chat)
				}
			}
			return nil
		})
		// Longer than the second member's wait (--cluster.peer-timeout) and its send.
		time.Sleep(3 * alertmanagerPeerTimeout)
		for _, chat := range []string{"1001", "-1002"} {
			if m := alertMessages(tg.Messages(), chat); len(m) != 1 {
				t.Errorf("chat %s got %d messages, want 1: %+v", chat, len(m), m)
			}
		}
		if m := alertMessages(tg.Messages(), "1001"); len(m) > 0 && !strings.Contains(m[0].Text, "hs") {
			t.Errorf("the message does not name the router: %q", m[0].Text)
		}
		metrics, err := getBody(context.Background(), "http://"+testtool.Addr(webhookPort)+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(metrics, "\n") {
			if strings.HasPrefix(line, "ronda_webhook_notifications_") {
				t.Log(line)
			}
		}
	})

	t.Run("the OLT report from VictoriaMetrics", func(t *testing.T) {
		resp, err := http.Post("http://"+testtool.Addr(webhookPort)+"/api/v1/reports/olt-hourly/run", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("run report: %s", resp.Status)
		}
		testtool.Eventually(t, 30*time.Second, "the report in both chats", func(context.Context) error {
			if n := countContaining(tg.Messages(), "1001", "Laporan OLT") + countContaining(tg.Messages(), "-1002", "Laporan OLT"); n < 2 {
				return fmt.Errorf("%d reports", n)
			}
			return nil
		})
		for _, m := range tg.Messages() {
			if !strings.Contains(m.Text, "Laporan OLT") {
				continue
			}
			// 16 ONUs per OLT; how many are up varies with the simulator's seed.
			for _, want := range []string{"<b>olt-a</b>: ", "<b>olt-b</b>: ", "<b>olt-c</b>: ", "/16 online", "Suhu rata-rata: ", " dBm", "/48 online"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("report to %s lacks %q:\n%s", m.ChatID, want, m.Text)
				}
			}
			if strings.Contains(m.Text, "⚠️") {
				t.Errorf("a query failed:\n%s", m.Text)
			}
		}
	})

	t.Run("dashboard queries answer from VictoriaMetrics", func(t *testing.T) {
		compareDashboardQueries(t, shards, vmURL)
	})
}

// compareDashboardQueries runs every query of every dashboard against the shards and
// against VictoriaMetrics, as Grafana would. A query VictoriaMetrics cannot run (MetricsQL
// is not PromQL everywhere) fails, and so does one with data on a shard but none in
// VictoriaMetrics within a minute (VictoriaMetrics shows Grafana a sample 30s after it
// arrived: -search.latencyOffset). The lab has hotspots and OLTs and no servers or probes,
// so only their panels have data; at least those must compare.
func compareDashboardQueries(t *testing.T, shards []string, vm string) {
	t.Helper()
	ds, err := dashboards.Load()
	if err != nil {
		t.Fatal(err)
	}
	type query struct{ where, expr string }
	var pending []query
	instant := map[string]bool{}
	total := 0
	for name, d := range ds {
		qs, err := d.Queries()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			total++
			expr := dashboards.Expand(q.Expr, "2m", nil)
			onShards := 0
			for _, shard := range shards {
				n, err := countWithin(shard, expr, q.Instant)
				if err != nil {
					t.Fatalf("%s: %s from a shard: %v", name, q.Where, err)
				}
				onShards += n
			}
			if _, err := countWithin(vm, expr, q.Instant); err != nil {
				t.Errorf("%s: %s: VictoriaMetrics cannot run\n\t%s\n\t%v", name, q.Where, expr, err)
				continue
			}
			if onShards > 0 {
				pending = append(pending, query{name + ": " + q.Where, expr})
				instant[expr] = q.Instant
			}
		}
	}
	compared := len(pending)
	deadline := time.Now().Add(time.Minute)
	for len(pending) > 0 {
		var still []query
		for _, q := range pending {
			if n, err := countWithin(vm, q.expr, instant[q.expr]); err != nil || n == 0 {
				still = append(still, q)
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for _, q := range pending {
		t.Errorf("%s: data on the shards, none in VictoriaMetrics for\n\t%s", q.where, q.expr)
	}
	t.Logf("%d of %d dashboard queries have data on the shards and in VictoriaMetrics", compared-len(pending), total)
	if compared < 20 {
		t.Errorf("only %d dashboard queries had data to compare", compared)
	}
}

// alertMessages are the messages to chat other than reports.
func alertMessages(msgs []telegramtest.Message, chat string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range msgs {
		if m.ChatID == chat && !strings.Contains(m.Text, "Laporan OLT") {
			out = append(out, m)
		}
	}
	return out
}

func countWithin(base, expr string, instant bool) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return promCount(ctx, base, expr, instant)
}

// alertmanagerPeerTimeout is how long the second member of the cluster waits for the
// first's notification to show in the gossiped log before it sends itself (15s by
// default; shorter here so the test can wait it out).
const alertmanagerPeerTimeout = 3 * time.Second

// startAlertmanagerCluster starts two Alertmanagers peering on 127.0.0.1, routing
// MikrotikRebooted to ronda-webhook, and returns their URLs once the cluster has formed.
func startAlertmanagerCluster(t *testing.T, alertmanager, dir, webhook string) []string {
	t.Helper()
	writeFile(t, filepath.Join(dir, "alertmanager.yml"), fmt.Sprintf(`route:
  receiver: "null"
  routes:
    - receiver: team.tg
      matchers: [alertname="MikrotikRebooted"]
      group_by: [instance, boot_time]
      group_wait: 1s
      group_interval: 1h
      repeat_interval: 4h
receivers:
  - name: "null"
  - name: team.tg
    webhook_configs:
      - url: http://%s/alert
        send_resolved: false
`, webhook))
	gossip := []string{testtool.Addr(testtool.FreePort(t)), testtool.Addr(testtool.FreePort(t))}
	var urls []string
	for i := range 2 {
		addr := testtool.Addr(testtool.FreePort(t))
		am := testtool.Start(t, alertmanager, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
			"--storage.path="+filepath.Join(dir, fmt.Sprintf("am%d", i)), "--web.listen-address="+addr,
			"--cluster.listen-address="+gossip[i], "--cluster.peer="+gossip[1-i],
			"--cluster.peer-timeout="+alertmanagerPeerTimeout.String())
		am.WaitHTTP(t, "http://"+addr+"/-/ready")
		urls = append(urls, "http://"+addr)
	}
	for _, u := range urls {
		testtool.Eventually(t, 60*time.Second, "the cluster formed at "+u, func(ctx context.Context) error {
			body, err := getBody(ctx, u+"/api/v2/status")
			if err != nil {
				return err
			}
			var st struct {
				Cluster struct {
					Status string            `json:"status"`
					Peers  []json.RawMessage `json:"peers"`
				} `json:"cluster"`
			}
			if err := json.Unmarshal([]byte(body), &st); err != nil {
				return err
			}
			if st.Cluster.Status != "ready" || len(st.Cluster.Peers) != 2 {
				return fmt.Errorf("cluster %s with %d peers", st.Cluster.Status, len(st.Cluster.Peers))
			}
			return nil
		})
	}
	return urls
}

// shardConfig is examples/scale-out/prometheus-shard-N.yml with the lab's addresses, 1s
// intervals and the repository's rules. Every rewrite must find its text, so the test
// follows the example file.
func shardConfig(t *testing.T, shard int, exporter, vm string, ams []string) string {
	t.Helper()
	name := fmt.Sprintf("prometheus-shard-%d.yml", shard)
	b, err := os.ReadFile(filepath.Join(testtool.Root(), "examples", "scale-out", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, r := range [][2]string{
		{"scrape_interval: 15s", "scrape_interval: 1s"},
		{"scrape_timeout: 10s", "scrape_timeout: 1s"},
		{"evaluation_interval: 15s", "evaluation_interval: 1s"},
		{"refresh_interval: 30s", "refresh_interval: 1s"},
		{"../../rules/", filepath.Join(testtool.Root(), "rules") + "/"},
		{fmt.Sprintf("ronda-exporter-%d:9850", shard), exporter},
		{"victoria-metrics:8428", vm},
		{`"alertmanager-0:9093", "alertmanager-1:9093"`, fmt.Sprintf("%q, %q", strings.TrimPrefix(ams[0], "http://"), strings.TrimPrefix(ams[1], "http://"))},
		// Samples reach VictoriaMetrics within a second instead of five.
		{"/api/v1/write\n", "/api/v1/write\n    queue_config: {batch_send_deadline: 1s}\n"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("%s has no %q any more: update TestScaleOut", name, r[0])
		}
		text = strings.ReplaceAll(text, r[0], r[1])
	}
	return text
}

func getBody(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return string(body), nil
}

// TestScaleOutExamples: the shard files pass promtool as they are (rules found relative to
// them) and differ only in the shard's number, so a fix made to one is made to both.
func TestScaleOutExamples(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	dir := filepath.Join(testtool.Root(), "examples", "scale-out")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	shard0, shard1 := read("prometheus-shard-0.yml"), read("prometheus-shard-1.yml")
	want := strings.NewReplacer(`shard 0 of 2`, `shard 1 of 2`, `shard: "0"`, `shard: "1"`, `regex: "0"`, `regex: "1"`,
		`ronda-exporter-0:`, `ronda-exporter-1:`, `prometheus-shard-0.yml`, `prometheus-shard-1.yml`).Replace(shard0)
	if shard1 != want {
		t.Errorf("prometheus-shard-1.yml is not prometheus-shard-0.yml for shard 1:\n%s", diffLines(want, shard1))
	}
	cmd := exec.Command(promtool, "check", "config", "prometheus-shard-0.yml", "prometheus-shard-1.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
