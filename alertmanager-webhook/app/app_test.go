package app

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
	"testing"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

const token = "123456:test-token"

// instance is ronda-webhook running in the test, with its config and outbox in dir.
type instance struct {
	url    string
	dir    string
	cancel context.CancelFunc
	done   chan error
}

func writeConfig(t *testing.T, dir, apiURL string, extra string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
language: en
delivery:
  min_backoff: 50ms
  max_backoff: 200ms
  send_timeout: 2s
channels:
  - name: it-team
    rate_limit: 1ms
    telegram:
      bot_token_file: token
      api_url: %s
      chat_ids: ["111", "222"]
      message_thread_id: 7
%s
routes:
  - receiver: team.tg
    channels: [it-team]
`, apiURL, extra)
	path := filepath.Join(dir, "ronda-webhook.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func start(t testing.TB, dir string) *instance {
	t.Helper()
	addrs := make(chan []string, 1)
	listen := []string{"127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{dir: dir, cancel: cancel, done: make(chan error, 1)}
	var logs testtool.LogBuffer
	go func() {
		in.done <- Run(ctx, Options{
			ConfigFile: filepath.Join(dir, "ronda-webhook.yml"), StoragePath: filepath.Join(dir, "outbox.db"),
			Web:    &web.FlagConfig{WebListenAddresses: &listen, WebConfigFile: new(string)},
			Logger: testLogger(&logs), Ready: func(a []string) { addrs <- a },
		})
	}()
	select {
	case a := <-addrs:
		in.url = "http://" + a[0]
	case err := <-in.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("ronda-webhook did not start")
	}
	t.Cleanup(func() {
		in.stop(t)
		if t.Failed() {
			t.Logf("ronda-webhook log:\n%s", logs.String())
		}
	})
	return in
}

func (in *instance) stop(t testing.TB) {
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	if err := <-in.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func notification(group, status string, alerts ...string) []byte {
	var as []string
	for _, name := range alerts {
		endsAt := "0001-01-01T00:00:00Z"
		if status == "resolved" {
			endsAt = "2026-11-24T09:00:00Z"
		}
		as = append(as, fmt.Sprintf(`{"status":%q,"labels":{"alertname":%q,"instance":"srv-1","severity":"critical"},"annotations":{"summary":"a <b>&amp; c"},"startsAt":"2026-11-24T08:00:00Z","endsAt":%q,"fingerprint":%q}`,
			status, name, endsAt, name+"-fp"))
	}
	return []byte(fmt.Sprintf(`{"version":"4","groupKey":%q,"status":%q,"receiver":"team\\.tg","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[%s],"notification_reason":"new"}`,
		group, status, strings.Join(as, ",")))
}

func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitMessages(t *testing.T, tg *telegramtest.Server, n int) []telegramtest.Message {
	t.Helper()
	testtool.Eventually(t, 30*time.Second, fmt.Sprintf("%d Telegram messages", n), func(context.Context) error {
		if got := len(tg.Messages()); got < n {
			return fmt.Errorf("%d messages so far", got)
		}
		return nil
	})
	return tg.Messages()
}

func TestDeliversToEveryChatOnceAndSkipsDuplicates(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)

	body := notification("{}:{alertname=\"Down\"}", "firing", "ServerDown")
	for range 3 { // Alertmanager retrying, and an HA peer sending the same
		if code, resp := post(t, in.url+"/alert", body); code != http.StatusOK {
			t.Fatalf("POST /alert = %d %s", code, resp)
		}
	}
	waitMessages(t, tg, 2)
	time.Sleep(300 * time.Millisecond) // a duplicate would be sent within this
	msgs := tg.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want one per chat: %+v", len(msgs), msgs)
	}
	chats := map[string]bool{}
	for _, m := range msgs {
		chats[m.ChatID] = true
		if m.ParseMode != "HTML" || m.ThreadID != 7 || m.DisableNotification {
			t.Errorf("message %+v: want HTML into topic 7, ringing (critical)", m)
		}
		if !strings.Contains(m.Text, "a &lt;b&gt;&amp;amp; c") {
			t.Errorf("summary not escaped in %q", m.Text)
		}
	}
	if !chats["111"] || !chats["222"] {
		t.Errorf("chats = %v, want 111 and 222", chats)
	}
	// The counters move just after Telegram has answered.
	testtool.Eventually(t, 10*time.Second, "the intake and send counters", func(context.Context) error {
		metrics := scrape(t, in.url)
		for _, want := range []string{
			"ronda_webhook_notifications_received_total 3",
			"ronda_webhook_notifications_stored_total 1",
			"ronda_webhook_notifications_duplicate_total 2",
			`ronda_webhook_sends_total{channel="it-team",kind="telegram",outcome="sent"} 2`,
		} {
			if !strings.Contains(metrics, want) {
				return fmt.Errorf("metrics lack %q", want)
			}
		}
		return nil
	})

	// A change in the group (the alert resolves) is a new notification.
	post(t, in.url+"/alert", notification("{}:{alertname=\"Down\"}", "resolved", "ServerDown"))
	msgs = waitMessages(t, tg, 4)
	if !strings.Contains(msgs[3].Text, "Resolved") || !msgs[3].DisableNotification {
		t.Errorf("recovery message %+v: want a silent Resolved message", msgs[3])
	}
}

// TestPathReceiversAreNotDuplicatesOfEachOther: one Alertmanager receiver with two
// webhook_configs, /alert/team.tg and /alert/owners, posts the same body to both; each
// path's routes get it once. Only copies to the same path (Alertmanager retrying, an HA
// peer) are duplicates.
func TestPathReceiversAreNotDuplicatesOfEachOther(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	path := writeConfig(t, dir, tg.URL, `  - name: owners
    rate_limit: 1ms
    telegram:
      bot_token_file: token
      api_url: `+tg.URL+`
      chat_ids: ["333"]`)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(cfg, "  - receiver: owners\n    channels: [owners]\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	in := start(t, dir)

	body := notification("{}:{alertname=\"Down\"}", "firing", "ServerDown")
	for _, p := range []string{"/alert/team.tg", "/alert/owners", "/alert/team.tg", "/alert/owners"} {
		if code, resp := post(t, in.url+p, body); code != http.StatusOK {
			t.Fatalf("POST %s = %d %s", p, code, resp)
		}
	}
	waitMessages(t, tg, 3)
	time.Sleep(300 * time.Millisecond) // a duplicate would be sent within this
	chats := map[string]int{}
	for _, m := range tg.Messages() {
		chats[m.ChatID]++
	}
	if chats["111"] != 1 || chats["222"] != 1 || chats["333"] != 1 || len(chats) != 3 {
		t.Errorf("messages per chat = %v, want one each to 111 and 222 (team.tg) and 333 (owners)", chats)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRefusesInvalidPayloadsWith4xx(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)
	tests := []struct {
		body string
		want string
	}{
		{``, "the body is empty"},
		{`{"receiver":"x"`, "ends too early"},
		{`{"version":"4","status":"firing","receiver":"x","alerts":[]}`, `"alerts" is empty`},
		{`{"version":"4","status":"bogus","receiver":"x","alerts":[{"status":"firing","labels":{"a":"b"}}]}`, `"status" must be`},
		{`{"version":"5","status":"firing","receiver":"x","alerts":[{"status":"firing","labels":{"a":"b"}}]}`, `version "5" is not supported`},
		{`{"version":"4","status":"firing","receiver":"x","alerts":"no"}`, `field "alerts" must be`},
	}
	for _, tt := range tests {
		code, resp := post(t, in.url+"/alert", []byte(tt.body))
		if code != http.StatusBadRequest || !strings.Contains(resp, tt.want) {
			t.Errorf("POST %q = %d %q, want 400 mentioning %q", tt.body, code, resp, tt.want)
		}
	}
	big := bytes.Repeat([]byte(" "), DefaultMaxBodyBytes+1)
	if code, _ := post(t, in.url+"/alert", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body = %d, want 413", code)
	}
	if len(tg.Messages()) != 0 {
		t.Errorf("invalid payloads produced messages")
	}
}

func TestRetriesHonourRetryAfterAndDeadLettersPermanentErrors(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)

	// 429 (retry_after 1s), 502, then accepted: one message per chat in the end.
	tg.FailNext(telegramtest.TooManyRequests, telegramtest.ServerError)
	sent := time.Now()
	post(t, in.url+"/alert", notification("g1", "firing", "A"))
	waitMessages(t, tg, 2)
	if took := time.Since(sent); took < time.Second {
		t.Errorf("delivered after %v despite retry_after 1s", took)
	}

	// 403 (bot kicked) is permanent: a dead letter, listed, then replayed.
	tg.FailNext(telegramtest.Forbidden)
	post(t, in.url+"/alert", notification("g2", "firing", "B"))
	waitMessages(t, tg, 3) // the other chat still gets it
	var dead []itemView
	testtool.Eventually(t, 10*time.Second, "a dead letter", func(context.Context) error {
		dead = listItems(t, in.url+"/api/v1/outbox?state=dead")
		if len(dead) != 1 {
			return fmt.Errorf("%d dead items", len(dead))
		}
		return nil
	})
	if dead[0].Reason != "http_403" || !strings.Contains(dead[0].Error, "bot was kicked") {
		t.Errorf("dead item %+v: want reason http_403 with Telegram's description", dead[0])
	}
	resp, err := http.Post(in.url+"/api/v1/outbox/replay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	msgs := waitMessages(t, tg, 4)
	if msgs[3].ChatID != dead[0].Recipient {
		t.Errorf("replayed message went to %s, want %s", msgs[3].ChatID, dead[0].Recipient)
	}
	// The item leaves the store just after Telegram accepted it.
	testtool.Eventually(t, 10*time.Second, "an empty outbox", func(context.Context) error {
		if left := listItems(t, in.url+"/api/v1/outbox"); len(left) != 0 {
			return fmt.Errorf("outbox still holds %+v", left)
		}
		return nil
	})
}

func listItems(t *testing.T, url string) []itemView {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var items []itemView
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		t.Fatal(err)
	}
	return items
}

// migratedChat starts ronda-webhook against a Telegram stand-in on which chat 222 has
// moved to -100222, and sends it one notification.
func migratedChat(t *testing.T) (tg *telegramtest.Server, dir string, in *instance) {
	t.Helper()
	tg = telegramtest.New(token)
	t.Cleanup(tg.Close)
	dir = t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	tg.Migrate("222", "-100222")
	in = start(t, dir)
	post(t, in.url+"/alert", notification("g", "firing", "A"))
	return tg, dir, in
}

func TestParseErrorFallsBackToPlainTextAndMigrationIsFollowed(t *testing.T) {
	tg, _, in := migratedChat(t)
	msgs := waitMessages(t, tg, 2)
	chats := map[string]bool{}
	for _, m := range msgs {
		chats[m.ChatID] = true
	}
	if !chats["111"] || !chats["-100222"] {
		t.Errorf("chats %v, want 111 and the migrated -100222", chats)
	}

	// Telegram refuses the HTML of the next message: it goes out as plain text.
	tg.FailNext(telegramtest.ParseError)
	post(t, in.url+"/alert", notification("g2", "firing", "B"))
	msgs = waitMessages(t, tg, 4)[2:]
	plain := 0
	for _, m := range msgs {
		if m.ChatID == "222" {
			t.Errorf("a message went to the old chat id")
		}
		if m.ParseMode == "" {
			plain++
			if strings.Contains(m.Text, "<b>B") || !strings.Contains(m.Text, "🔴 B [CRITICAL]\na <b>&amp; c\n") {
				t.Errorf("plain-text fallback %q: want tags dropped and entities decoded", m.Text)
			}
		}
	}
	if plain != 1 {
		t.Errorf("%d plain-text messages, want 1 (the one Telegram refused as HTML)", plain)
	}
}

// TestMigrationSurvivesRestart: a chat's new id, learnt from Telegram's answer, is kept in
// the outbox file: after a restart nothing is sent to the old id first.
func TestMigrationSurvivesRestart(t *testing.T) {
	tg, dir, in := migratedChat(t)
	waitMessages(t, tg, 2)
	if n := tg.Requests(); n != 3 {
		t.Fatalf("%d sendMessage requests before the restart, want 3 (the old id once)", n)
	}
	in.stop(t)

	in = start(t, dir)
	post(t, in.url+"/alert", notification("g2", "firing", "B"))
	msgs := waitMessages(t, tg, 4)
	if n := tg.Requests() - 3; n != 2 {
		t.Errorf("%d sendMessage requests after the restart, want 2: none to the old id", n)
	}
	for _, m := range msgs[2:] {
		if m.ChatID != "111" && m.ChatID != "-100222" {
			t.Errorf("a message went to chat %s", m.ChatID)
		}
	}
}

func TestDeliveryResumesAfterRestart(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	tg.SetDown(true)
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)
	for i := range 5 {
		if code, resp := post(t, in.url+"/alert", notification(fmt.Sprintf("g%d", i), "firing", "A")); code != 200 {
			t.Fatalf("POST = %d %s", code, resp)
		}
	}
	if n := len(listItems(t, in.url+"/api/v1/outbox?state=pending")); n != 10 {
		t.Fatalf("%d pending items, want 10 (5 notifications × 2 chats)", n)
	}
	in.stop(t)
	tg.SetDown(false)
	start(t, dir)
	msgs := waitMessages(t, tg, 10)
	time.Sleep(200 * time.Millisecond)
	if n := len(tg.Messages()); n != 10 {
		t.Errorf("%d messages after restart, want exactly 10: %+v", n, msgs)
	}
}

func TestHungProviderIsRetriedAfterTheSendTimeout(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "") // send_timeout: 2s
	tg.FailNext(telegramtest.Hang)
	in := start(t, dir)
	post(t, in.url+"/alert", notification("g", "firing", "A"))
	msgs := waitMessages(t, tg, 2)
	if len(msgs) != 2 {
		t.Errorf("%d messages, want 2", len(msgs))
	}
	if !strings.Contains(scrape(t, in.url), `ronda_webhook_retries_total{channel="it-team",reason="timeout"} 1`) {
		t.Error("the hung request was not counted as a timeout retry") // counted before the retry that delivered
	}
}

func TestLongGroupsAreSplitIntoValidParts(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)
	names := make([]string, 80)
	for i := range names {
		names[i] = fmt.Sprintf("Alert%02d", i)
	}
	post(t, in.url+"/alert/team.tg", notification("big", "firing", names...))
	testtool.Eventually(t, 30*time.Second, "every alert delivered to chat 111", func(context.Context) error {
		all := ""
		for _, m := range tg.Messages() {
			if m.ChatID == "111" {
				all += m.Text
			}
		}
		for _, n := range names {
			if !strings.Contains(all, "<b>"+n+"</b>") {
				return fmt.Errorf("%s not delivered yet", n)
			}
		}
		return nil
	})
	var parts []telegramtest.Message
	for _, m := range tg.Messages() {
		if m.ChatID == "111" {
			parts = append(parts, m)
		}
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	for i, p := range parts {
		// The stand-in refused anything Telegram would; check markers, ringing and alert boundaries.
		if want := fmt.Sprintf("(%d/%d) ", i+1, len(parts)); !strings.HasPrefix(p.Text, want) {
			t.Errorf("part %d starts %.20q, want %q", i+1, p.Text, want)
		}
		if (i == 0) == p.DisableNotification {
			t.Errorf("part %d: disable_notification=%v, want only the first part to ring", i+1, p.DisableNotification)
		}
		if strings.Count(p.Text, "🔴") != strings.Count(p.Text, "Since:") {
			t.Errorf("part %d cuts an alert in two", i+1)
		}
	}
}

func TestReloadKeepsTheOldConfigWhenTheNewOneIsBroken(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, tg.URL, "")
	in := start(t, dir)
	if err := os.WriteFile(cfgPath, []byte("channels:\n  - name: x\n    telegarm: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(in.url+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `channels[0].telegarm: unknown key (did you mean "telegram"?)`) {
		t.Errorf("reload of a broken file = %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(scrape(t, in.url), "ronda_webhook_config_last_reload_successful 0") {
		t.Error("reload failure not shown in metrics")
	}
	post(t, in.url+"/alert", notification("g", "firing", "A"))
	waitMessages(t, tg, 2) // the old configuration still delivers

	// A valid file with a route matching on labels: only critical alerts go out.
	writeConfig(t, dir, tg.URL, "")
	data, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(data), "  - receiver: team.tg\n", "  - receiver: team.tg\n    match: {severity: warning}\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Post(in.url+"/-/reload", "", nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("reload: %v %v", resp, err)
	}
	_, answer := post(t, in.url+"/alert", notification("g2", "firing", "B"))
	if !strings.Contains(answer, `"unrouted_alerts": 1`) {
		t.Errorf("answer %s, want the critical alert unrouted", answer)
	}
}

func TestReportIsDeliveredThroughTheOutbox(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"olt-<pasar>"},"value":[1,"7"]}]}}`)
	}))
	defer prom.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	cfgPath := filepath.Join(dir, "ronda-webhook.yml")
	data, _ := os.ReadFile(cfgPath)
	data = append(data, []byte(fmt.Sprintf("reports:\n  - name: olt-hourly\n    prometheus_url: %s\n    channels: [it-team]\n", prom.URL))...)
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	in := start(t, dir)
	resp, err := http.Post(in.url+"/api/v1/reports/olt-hourly/run", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("run report: %s", resp.Status)
	}
	msgs := waitMessages(t, tg, 2)
	for _, m := range msgs {
		if !strings.Contains(m.Text, "<b>OLT report</b>") || !strings.Contains(m.Text, "<b>olt-&lt;pasar&gt;</b>: 7/7 online (100.0%)") || !m.DisableNotification {
			t.Errorf("report message %+v", m)
		}
	}
	if resp, _ := http.Post(in.url+"/api/v1/reports/nope/run", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown report: %s", resp.Status)
	}
}
