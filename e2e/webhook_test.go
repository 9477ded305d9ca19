package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

const webhookToken = "4242:e2e-token"

// startWebhook runs the built ronda-webhook on a free port with its outbox in dir.
func startWebhook(t *testing.T, dir string, port int, extra ...string) *testtool.Process {
	t.Helper()
	bin := filepath.Join(testtool.Binaries(t), "ronda-webhook")
	p := testtool.StartIn(t, dir, nil, bin, append([]string{
		"--config.file=ronda-webhook.yml", "--storage.path=outbox.db",
		"--web.listen-address=" + testtool.Addr(port), "--log.level=debug"}, extra...)...)
	p.WaitHTTP(t, "http://"+testtool.Addr(port)+"/-/ready")
	return p
}

func writeWebhookConfig(t *testing.T, dir, telegramURL string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "telegram.token"), []byte(webhookToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`language: id
delivery:
  min_backoff: 100ms
  max_backoff: 500ms
  send_timeout: 2s
channels:
  - name: it-team
    rate_limit: 10ms
    telegram:
      bot_token_file: telegram.token
      api_url: %s
      chat_ids: ["1001", "-1002"]
      group_rate_limit: 10ms
routes:
  - receiver: team.tg
    channels: [it-team]
`, telegramURL)
	if err := os.WriteFile(filepath.Join(dir, "ronda-webhook.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func countContaining(msgs []telegramtest.Message, chat, text string) int {
	n := 0
	for _, m := range msgs {
		if m.ChatID == chat && strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

// TestWebhookBehindRealAlertmanager: the real Alertmanager posts to the built ronda-webhook,
// whose Telegram answers first 429 with retry_after, then a 502; each chat gets the firing
// message once and the recovery once, in Bahasa Indonesia.
func TestWebhookBehindRealAlertmanager(t *testing.T) {
	alertmanager := testtool.Need(t, "prometheus-alertmanager")
	amtool := testtool.Need(t, "amtool")
	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	tg.FailNext(telegramtest.TooManyRequests, telegramtest.ServerError)

	dir := t.TempDir()
	writeWebhookConfig(t, dir, tg.URL)
	// Alertmanager authenticates with a bearer token from a file.
	if err := os.WriteFile(filepath.Join(dir, "bearer"), []byte("am-to-ronda\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	webhookPort := testtool.FreePort(t)
	startWebhook(t, dir, webhookPort, "--web.bearer-token-file=bearer")

	// The receiver name has a dot: Alertmanager sends it regex-quoted (team\.tg) and the
	// route must still match it.
	amConfig := fmt.Sprintf(`route:
  receiver: team.tg
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: team.tg
    webhook_configs:
      - url: http://%s/alert
        send_resolved: true
        http_config:
          authorization:
            credentials_file: %s
`, testtool.Addr(webhookPort), filepath.Join(dir, "bearer"))
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(amConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	amPort := testtool.FreePort(t)
	am := testtool.StartIn(t, dir, nil, alertmanager, "--config.file=alertmanager.yml",
		"--storage.path="+filepath.Join(dir, "am"), "--web.listen-address="+testtool.Addr(amPort),
		"--cluster.listen-address=")
	amURL := "http://" + testtool.Addr(amPort)
	am.WaitHTTP(t, amURL+"/-/ready")

	runAmtool := func(args ...string) {
		t.Helper()
		cmd := exec.Command(amtool, append([]string{"--alertmanager.url=" + amURL, "alert", "add"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("amtool %v: %v\n%s", args, err, out)
		}
	}
	start := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	labels := []string{"alertname=UnitUnreachable", "kind=reachability", "instance=cabang-cimahi",
		"unit=Cabang Cimahi", "latitude=-6.8722", "longitude=107.5425", "severity=critical"}
	runAmtool(append(labels, "--start="+start)...)

	testtool.Eventually(t, 60*time.Second, "the SERVER DOWN message in both chats", func(context.Context) error {
		msgs := tg.Messages()
		for _, chat := range []string{"1001", "-1002"} {
			if countContaining(msgs, chat, "SERVER DOWN") == 0 {
				return fmt.Errorf("chat %s has no SERVER DOWN yet (%d messages, %d requests)", chat, len(msgs), tg.Requests())
			}
		}
		return nil
	})
	msg := tg.Messages()[0]
	for _, want := range []string{"<b>Cabang Cimahi</b>", `<a href="https://www.google.com/maps?q=-6.8722,107.5425">`, "Sejak: "} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("message %q lacks %q", msg.Text, want)
		}
	}

	// Resolve it: Alertmanager sends the recovery.
	runAmtool(append(labels, "--start="+start, "--end="+time.Now().Add(-time.Second).UTC().Format(time.RFC3339))...)
	testtool.Eventually(t, 60*time.Second, "the SERVER UP message in both chats", func(context.Context) error {
		msgs := tg.Messages()
		for _, chat := range []string{"1001", "-1002"} {
			if countContaining(msgs, chat, "SERVER UP") == 0 {
				return fmt.Errorf("chat %s has no SERVER UP yet", chat)
			}
		}
		return nil
	})
	// A few more group intervals: nothing is sent twice.
	time.Sleep(5 * time.Second)
	msgs := tg.Messages()
	for _, chat := range []string{"1001", "-1002"} {
		if n := countContaining(msgs, chat, "SERVER DOWN"); n != 1 {
			t.Errorf("chat %s got SERVER DOWN %d times, want once", chat, n)
		}
		if n := countContaining(msgs, chat, "SERVER UP"); n != 1 {
			t.Errorf("chat %s got SERVER UP %d times, want once", chat, n)
		}
	}
	if t.Failed() {
		t.Logf("alertmanager:\n%s", am.Output())
	}
}

// TestWebhookCrashLosesNothing: Telegram is down while notifications arrive, ronda-webhook
// is killed with SIGKILL, restarted, and Telegram comes back: every notification reaches
// every chat exactly once.
func TestWebhookCrashLosesNothing(t *testing.T) {
	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	tg.SetDown(true)
	dir := t.TempDir()
	writeWebhookConfig(t, dir, tg.URL)
	port := testtool.FreePort(t)
	first := startWebhook(t, dir, port)

	const notifications = 20
	for i := range notifications {
		body := fmt.Sprintf(`{"version":"4","groupKey":"g%d","status":"firing","receiver":"team\\.tg","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":[{"status":"firing","labels":{"alertname":"Crash%03d","severity":"warning"},"annotations":{},"startsAt":"2026-11-24T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f%d"}]}`, i, i, i)
		resp, err := http.Post("http://"+testtool.Addr(port)+"/alert", "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("notification %d: %s", i, resp.Status)
		}
	}
	// Let a few failing attempts happen (and their retry state be written) before the kill.
	testtool.Eventually(t, 30*time.Second, "failed attempts", func(context.Context) error {
		if tg.Requests() < 4 {
			return fmt.Errorf("%d requests", tg.Requests())
		}
		return nil
	})
	if err := syscall.Kill(first.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.Done()
	if len(tg.Messages()) != 0 {
		t.Fatalf("messages accepted while Telegram was down")
	}

	tg.SetDown(false)
	startWebhook(t, dir, port)
	testtool.Eventually(t, 60*time.Second, "every notification in both chats", func(context.Context) error {
		if n := len(tg.Messages()); n < 2*notifications {
			return fmt.Errorf("%d of %d messages", n, 2*notifications)
		}
		return nil
	})
	time.Sleep(time.Second) // a duplicate would arrive within this
	msgs := tg.Messages()
	for i := range notifications {
		for _, chat := range []string{"1001", "-1002"} {
			if n := countContaining(msgs, chat, fmt.Sprintf("Crash%03d", i)); n != 1 {
				t.Errorf("chat %s got Crash%03d %d times, want exactly once", chat, i, n)
			}
		}
	}
}

// TestWebhookWebConfigCLIAndMetrics: basic auth from an exporter-toolkit web config, dead
// letters listed and replayed with the CLI, and /metrics accepted by promtool.
func TestWebhookWebConfigCLIAndMetrics(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	dir := t.TempDir()
	writeWebhookConfig(t, dir, tg.URL)
	hash, err := bcrypt.GenerateFromPassword([]byte("am-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := "basic_auth_users:\n  alertmanager: " + string(hash) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "web.yml"), []byte(webCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testtool.FreePort(t)
	bin := filepath.Join(testtool.Binaries(t), "ronda-webhook")
	p := testtool.StartIn(t, dir, nil, bin, "--config.file=ronda-webhook.yml", "--storage.path=outbox.db",
		"--web.listen-address="+testtool.Addr(port), "--web.config.file=web.yml")
	base := "http://alertmanager:am-pass@" + testtool.Addr(port)
	testtool.Eventually(t, 30*time.Second, "ronda-webhook ready", func(ctx context.Context) error {
		select {
		case <-p.Done():
			t.Fatalf("ronda-webhook exited:\n%s", p.Output())
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})

	body := `{"version":"4","groupKey":"g","status":"firing","receiver":"team.tg","alerts":[{"status":"firing","labels":{"alertname":"Kicked"},"startsAt":"2026-11-24T08:00:00Z"}]}`
	resp, err := http.Post("http://"+testtool.Addr(port)+"/alert", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without credentials = %s, want 401", resp.Status)
	}

	tg.FailNext(telegramtest.Forbidden, telegramtest.Forbidden)
	resp, err = http.Post(base+"/alert", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST with credentials = %s", resp.Status)
	}
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"outbox"}, append(args, "--webhook.url="+base)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ronda-webhook outbox %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	testtool.Eventually(t, 30*time.Second, "two dead letters", func(context.Context) error {
		if out := cli("list", "--state=dead"); strings.Count(out, "http_403") != 2 {
			return fmt.Errorf("list:\n%s", out)
		}
		return nil
	})
	if out := cli("replay"); !strings.Contains(out, "replayed 2 dead items") {
		t.Errorf("replay said:\n%s", out)
	}
	testtool.Eventually(t, 30*time.Second, "the replayed messages", func(context.Context) error {
		if n := len(tg.Messages()); n != 2 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})

	var metrics []byte
	// The send counter moves just after Telegram has answered.
	testtool.Eventually(t, 10*time.Second, "the outbox metrics", func(context.Context) error {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return err
		}
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`ronda_webhook_dead_letters_total{channel="it-team",reason="http_403"} 2`,
			`ronda_webhook_sends_total{channel="it-team",kind="telegram",outcome="sent"} 2`,
			`ronda_webhook_outbox_items{channel="it-team",state="dead"} 0`,
		} {
			if !bytes.Contains(metrics, []byte(want)) {
				return fmt.Errorf("metrics lack %s", want)
			}
		}
		return nil
	})
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(metrics)
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestWebhookHourlyReportFromRealPrometheus: the real Prometheus scrapes OLT series, and the
// OLT report ronda-webhook builds from its answers reaches Telegram with the right sums.
func TestWebhookHourlyReportFromRealPrometheus(t *testing.T) {
	prometheus := testtool.Need(t, "prometheus")
	exposition := `# TYPE olt_pon_onus gauge
olt_pon_onus{pon="0/1",state="up"} 30
olt_pon_onus{pon="0/1",state="down"} 2
olt_pon_onus{pon="0/2",state="up"} 15
olt_pon_onus{pon="0/2",state="down"} 1
# TYPE olt_onu_temperature_celsius gauge
olt_onu_temperature_celsius{pon="0/1",onu="a"} 40
olt_onu_temperature_celsius{pon="0/1",onu="b"} 44
# TYPE olt_onu_rx_power_dbm gauge
olt_onu_rx_power_dbm{pon="0/1",onu="a"} -20.5
olt_onu_rx_power_dbm{pon="0/1",onu="b"} -23.5
`
	olt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, exposition)
	}))
	defer olt.Close()
	dir := t.TempDir()
	promPort := testtool.FreePort(t)
	promCfg := fmt.Sprintf(`global: {scrape_interval: 1s}
scrape_configs:
  - job_name: olt
    static_configs:
      - targets: [%q]
        labels: {instance: olt-pasar}
    relabel_configs:
      - target_label: instance
        replacement: olt-pasar
`, strings.TrimPrefix(olt.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(promCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := testtool.StartIn(t, dir, nil, prometheus, "--config.file=prometheus.yml",
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+testtool.Addr(promPort))
	promURL := "http://" + testtool.Addr(promPort)
	prom.WaitHTTP(t, promURL+"/-/ready")
	testtool.Eventually(t, 60*time.Second, "Prometheus has scraped the OLT", func(ctx context.Context) error {
		resp, err := http.Get(promURL + "/api/v1/query?query=olt_pon_onus")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `"state":"up"`) {
			return fmt.Errorf("no series yet: %s", body)
		}
		return nil
	})

	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	writeWebhookConfig(t, dir, tg.URL)
	f, err := os.OpenFile(filepath.Join(dir, "ronda-webhook.yml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "reports:\n  - name: olt-hourly\n    prometheus_url: %s\n    channels: [it-team]\n", promURL)
	f.Close()
	port := testtool.FreePort(t)
	startWebhook(t, dir, port)
	resp, err := http.Post("http://"+testtool.Addr(port)+"/api/v1/reports/olt-hourly/run", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("run report: %s", resp.Status)
	}
	testtool.Eventually(t, 30*time.Second, "the report in both chats", func(context.Context) error {
		if n := len(tg.Messages()); n < 2 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	for _, m := range tg.Messages() {
		for _, want := range []string{"<b>Laporan OLT</b>", "<b>olt-pasar</b>: 45/48 online (93.8%)", "Suhu rata-rata: 42.0 °C", "RX rata-rata: -22.00 dBm", "<b>Total jaringan</b>: 45/48 online (93.8%)"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("report to %s lacks %q:\n%s", m.ChatID, want, m.Text)
			}
		}
		if strings.Contains(m.Text, "⚠️") {
			t.Errorf("a query failed:\n%s", m.Text)
		}
	}
}

// TestWebhookConfigCheckAndSIGHUP: --config.check judges a file without starting, and
// SIGHUP puts a new routing in force in the running binary.
func TestWebhookConfigCheckAndSIGHUP(t *testing.T) {
	bin := filepath.Join(testtool.Binaries(t), "ronda-webhook")
	example := filepath.Join(testtool.Root(), "examples", "ronda-webhook.yml")
	check := exec.Command(bin, "--config.check", "--config.file="+example)
	check.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN=1:x", "FONNTE_TOKEN=x", "ZENZIVA_USERKEY=x", "ZENZIVA_PASSKEY=x")
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "valid: 5 channels, 5 routes") {
		t.Errorf("--config.check of the example: %v\n%s", err, out)
	}
	check = exec.Command(bin, "--config.check", "--config.file="+example) // no token in the environment
	check.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := check.CombinedOutput(); err == nil || !strings.Contains(string(out), "channels[0].telegram.bot_token_env: environment variable TELEGRAM_BOT_TOKEN is not set") {
		t.Errorf("--config.check without the token: %v\n%s", err, out)
	}

	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	dir := t.TempDir()
	writeWebhookConfig(t, dir, tg.URL)
	port := testtool.FreePort(t)
	p := startWebhook(t, dir, port)
	post := func(group string) string {
		t.Helper()
		body := fmt.Sprintf(`{"version":"4","groupKey":%q,"status":"firing","receiver":"ops","alerts":[{"status":"firing","labels":{"alertname":"X"},"startsAt":"2026-11-24T08:00:00Z"}]}`, group)
		resp, err := http.Post("http://"+testtool.Addr(port)+"/alert", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return string(out)
	}
	if got := post("a"); !strings.Contains(got, `"unrouted_alerts": 1`) {
		t.Fatalf("before the reload the receiver ops has no route, got %s", got)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "ronda-webhook.yml"))
	cfg = bytes.Replace(cfg, []byte("  - receiver: team.tg\n"), []byte("  - receiver: ops\n"), 1)
	if err := os.WriteFile(filepath.Join(dir, "ronda-webhook.yml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testtool.Eventually(t, 30*time.Second, "the new route in force", func(context.Context) error {
		if got := post("b-" + time.Now().String()); strings.Contains(got, "unrouted") {
			return fmt.Errorf("still unrouted: %s", got)
		}
		return nil
	})
}

// TestWebhookHAPairSendsOnce: two real Alertmanagers that do not gossip (an HA pair whose
// cluster link is down) both get the same alert and both notify ronda-webhook; each chat
// gets the message once.
func TestWebhookHAPairSendsOnce(t *testing.T) {
	alertmanager := testtool.Need(t, "prometheus-alertmanager")
	amtool := testtool.Need(t, "amtool")
	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	dir := t.TempDir()
	writeWebhookConfig(t, dir, tg.URL)
	webhookPort := testtool.FreePort(t)
	startWebhook(t, dir, webhookPort)
	amConfig := fmt.Sprintf(`route:
  receiver: team.tg
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1h
  repeat_interval: 4h
receivers:
  - name: team.tg
    webhook_configs:
      - url: http://%s/alert
`, testtool.Addr(webhookPort))
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(amConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for i := range 2 {
		port := testtool.FreePort(t)
		am := testtool.StartIn(t, dir, nil, alertmanager, "--config.file=alertmanager.yml",
			"--storage.path="+filepath.Join(dir, fmt.Sprintf("am%d", i)), "--web.listen-address="+testtool.Addr(port),
			"--cluster.listen-address=")
		url := "http://" + testtool.Addr(port)
		am.WaitHTTP(t, url+"/-/ready")
		// Prometheus sends every alert to every Alertmanager of the pair.
		out, err := exec.Command(amtool, "--alertmanager.url="+url, "alert", "add", "alertname=OLTDown", "instance=olt-pasar",
			"severity=critical", "--start="+start).CombinedOutput()
		if err != nil {
			t.Fatalf("amtool: %v\n%s", err, out)
		}
	}
	testtool.Eventually(t, 60*time.Second, "both Alertmanagers notified", func(context.Context) error {
		resp, err := http.Get("http://" + testtool.Addr(webhookPort) + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "ronda_webhook_notifications_received_total 2") {
			return fmt.Errorf("not two notifications yet")
		}
		if !strings.Contains(string(body), "ronda_webhook_notifications_duplicate_total 1") {
			return fmt.Errorf("the second copy was not a duplicate")
		}
		return nil
	})
	testtool.Eventually(t, 30*time.Second, "the message in both chats", func(context.Context) error {
		if n := len(tg.Messages()); n < 2 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	time.Sleep(time.Second)
	for _, chat := range []string{"1001", "-1002"} {
		if n := countContaining(tg.Messages(), chat, "OLTDown"); n != 1 {
			t.Errorf("chat %s got OLTDown %d times, want once", chat, n)
		}
	}
}
