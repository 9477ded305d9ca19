package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

// payloadRecorder sits between Alertmanager and ronda-webhook: it keeps every notification
// body and passes it on, so the test can deliver the very same notification again.
type payloadRecorder struct {
	target string
	mu     sync.Mutex
	bodies map[string][][]byte // path → bodies
}

func (p *payloadRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.bodies[r.URL.Path] = append(p.bodies[r.URL.Path], body)
	p.mu.Unlock()
	resp, err := http.Post(p.target+r.URL.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (p *payloadRecorder) received(path string) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.bodies[path]...)
}

// amExampleCopy is examples/alertmanager.yml pointed at the recorder, with its first
// notification after 1s instead of 30s. The routing is the example's, unchanged.
func amExampleCopy(t *testing.T, recorderURL string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join(testtool.Root(), "examples", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(example)
	for old, repl := range map[string]string{
		"http://127.0.0.1:9851": recorderURL,
		"group_wait: 30s":       "group_wait: 1s",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("examples/alertmanager.yml no longer has %q: update the test", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	return cfg
}

// TestHandsOffRestore is issue 9's story with nobody at the keyboard: users online in
// ronda-sim, the power goes, the router boots; the real Prometheus (rules/mikrotik.yml)
// fires MikrotikRebooted, the real Alertmanager (examples/alertmanager.yml) routes it to
// ronda-webhook, whose command channel runs ronda-restore auto. Every affected user's
// remaining time is right to within one scrape interval, the team's chat gets the summary,
// and the same notification delivered again writes nothing.
func TestHandsOffRestore(t *testing.T) {
	alertmanager := testtool.Need(t, "prometheus-alertmanager")
	bin := testtool.Binaries(t)
	amPort := testtool.FreePort(t)
	rules := filepath.Join(testtool.Root(), "rules", "mikrotik.yml")
	// The rule has no `for` and its look-backs (2d, the first hour of uptime) fit the lab
	// as they are, so the real file is loaded unchanged.
	l := startRestoreLab(t, restoreLabOptions{
		routerYAML: "    labels: {unit: Pasar Baru, auto_restore: \"true\"}\n",
		promYAML: fmt.Sprintf("rule_files: [%q]\nalerting:\n  alertmanagers:\n    - static_configs: [{targets: [%q]}]\n",
			rules, testtool.Addr(amPort)),
	})

	tg := telegramtest.New(webhookToken)
	defer tg.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "telegram.token"), webhookToken+"\n")
	// The example's channel and route (examples/ronda-webhook.yml: hotspot-restore, receiver
	// it-team-restore) with the lab's paths. A 1s dedup window lets the test's second
	// delivery of the same notification through to the command, where only the ledger
	// stands between it and a second restore.
	writeFile(t, filepath.Join(dir, "ronda-webhook.yml"), fmt.Sprintf(`language: en
delivery: {dedup_window: 1s, min_backoff: 200ms, max_backoff: 1s, send_timeout: 5s}
channels:
  - name: it-team
    rate_limit: 10ms
    telegram: {bot_token_file: telegram.token, api_url: %s, chat_ids: ["-1001"], group_rate_limit: 10ms}
  - name: hotspot-restore
    command:
      argv: [%s, --config.file=%s, --prometheus.url=%s, --ledger.file=%s, --log.level=debug,
             auto, --wait=30s, --limit.per-user=12h, --limit.total=100h]
      timeout: 2m
      reply_to: [it-team]
routes:
  - receiver: it-team-restore
    channels: [hotspot-restore]
  - channels: [it-team]
`, tg.URL, filepath.Join(bin, "ronda-restore"), l.exporterConfig, l.prom, l.ledger))
	webhookPort := testtool.FreePort(t)
	webhook := startWebhook(t, dir, webhookPort)
	rec := &payloadRecorder{target: "http://" + testtool.Addr(webhookPort), bodies: map[string][][]byte{}}
	recorder := httptest.NewServer(rec)
	defer recorder.Close()

	writeFile(t, filepath.Join(dir, "alertmanager.yml"), amExampleCopy(t, recorder.URL))
	am := testtool.StartIn(t, dir, nil, alertmanager, "--config.file=alertmanager.yml",
		"--storage.path="+filepath.Join(dir, "am"), "--web.listen-address="+testtool.Addr(amPort),
		"--cluster.listen-address=")
	am.WaitHTTP(t, "http://"+testtool.Addr(amPort)+"/-/ready")

	// Dave logs out properly before the cut: his session is saved, nothing to restore.
	postJSON(t, l.control+"/routers/hs/logout", `{"user":"dave"}`)
	cut := l.powerCut(t, 5)
	if len(cut.sessions) != 5 {
		t.Fatalf("sessions before the cut: %+v", cut.sessions)
	}
	affected := []string{"alice", "carol", "erin", "frank"} // online, with a limit

	// From here on the test runs no command: it only watches.
	type write struct{ User, Field, Old, New string }
	testtool.Eventually(t, 2*time.Minute, "the summary in the team's chat", func(context.Context) error {
		for _, m := range tg.Messages() {
			if m.ChatID == "-1001" && strings.Contains(m.Text, "time given back to 4 users") {
				return nil
			}
		}
		return fmt.Errorf("%d messages so far: %v", len(tg.Messages()), tg.Messages())
	})
	summary := ""
	for _, m := range tg.Messages() {
		summary += m.Text + "\n"
	}
	t.Logf("the chat got:\n%s", summary)
	for _, want := range []string{"hs rebooted ", "Restored: ", "alice ", "erin ", "Skipped: 1 unlimited.", "Exact to within "} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}

	after := usersByName(getJSON[[]simUser](t, l.control+"/routers/hs/users"))
	for _, name := range affected {
		b, a := cut.users[name], after[name]
		left := a.LimitUptimeSeconds - a.UptimeSeconds
		want := b.LimitUptimeSeconds - b.UptimeSeconds - cut.sessions[name]
		// The restore point is the last scrape before the cut, up to one interval before
		// it, and RouterOS counts whole seconds: the user keeps at most that much extra.
		if d := left - want; d < 0 || d > (scrapeInterval+time.Second).Seconds() {
			t.Errorf("%s: %vs left, the truth is %vs (session %vs at the cut)", name, left, want, cut.sessions[name])
		}
	}
	for _, name := range []string{"bob", "dave", "vc-old"} {
		if cut.users[name] != after[name] {
			t.Errorf("%s was touched: %+v → %+v", name, cut.users[name], after[name])
		}
	}
	writes := getJSON[[]write](t, l.control+"/routers/hs/writes")
	if len(writes) != len(affected) {
		t.Errorf("%d writes, want one per affected user: %+v", len(writes), writes)
	}
	for _, w := range writes {
		if w.Field != "limit-uptime" {
			t.Errorf("wrote %s of %s", w.Field, w.User)
		}
	}

	// The same notification again, as Alertmanager's retry or an HA peer past the dedup
	// window would deliver it: the command runs again and the ledger stops every write.
	bodies := rec.received("/alert/it-team-restore")
	if len(bodies) != 1 {
		t.Fatalf("Alertmanager sent %d notifications to it-team-restore, want the one reboot", len(bodies))
	}
	var sent struct {
		CommonLabels map[string]string `json:"commonLabels"`
	}
	if err := json.Unmarshal(bodies[0], &sent); err != nil || sent.CommonLabels["instance"] != "hs" || sent.CommonLabels["boot_time"] == "" {
		t.Errorf("notification's common labels %v (%v): want the router and its boot time", sent.CommonLabels, err)
	}
	time.Sleep(1500 * time.Millisecond) // past the 1s dedup window
	resp, err := http.Post(rec.target+"/alert/it-team-restore", "application/json", bytes.NewReader(bodies[0]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second delivery: %s", resp.Status)
	}
	testtool.Eventually(t, time.Minute, "the second run's summary", func(context.Context) error {
		for _, m := range tg.Messages() {
			if strings.Contains(m.Text, "nothing to give back") {
				if !strings.Contains(m.Text, "4 already-restored") {
					return fmt.Errorf("second summary %q: want the 4 users found in the ledger", m.Text)
				}
				return nil
			}
		}
		return fmt.Errorf("%d messages", len(tg.Messages()))
	})
	if n := len(getJSON[[]write](t, l.control+"/routers/hs/writes")); n != len(writes) {
		t.Errorf("the second delivery wrote %d more times", n-len(writes))
	}
	if t.Failed() {
		t.Logf("ronda-webhook:\n%s\nalertmanager:\n%s", webhook.Output(), am.Output())
	}
}
