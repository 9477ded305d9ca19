package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	ronda "github.com/rondanet/ronda/config"
)

func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "action.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func msg() *payload.Message {
	return &payload.Message{Receiver: `ops\.restart`, Status: "firing", GroupKey: "g1",
		CommonLabels: map[string]string{"alertname": "ServiceDown", "service-name": "nginx; rm -rf /"},
		Alerts:       []payload.Alert{{Status: "firing", Labels: map[string]string{"alertname": "ServiceDown"}}}}
}

func TestRunsArgvWithStdinAndEnv(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	bin := script(t, `cat > "$1.json"; env | grep ^RONDA_ | sort > "$1.env"; echo done`)
	c := New("act", &config.Command{Argv: []string{bin, out}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1}, 0, nil, nil)
	if err := c.Send(context.Background(), &delivery.Job{Recipient: "slot-0", Message: msg()}); err != nil {
		t.Fatal(err)
	}
	var got payload.Message
	data, _ := os.ReadFile(out + ".json")
	if err := json.Unmarshal(data, &got); err != nil || got.GroupKey != "g1" {
		t.Errorf("stdin %s: %v", data, err)
	}
	env, _ := os.ReadFile(out + ".env")
	for _, want := range []string{"RONDA_RECEIVER=ops.restart", "RONDA_STATUS=firing", "RONDA_ALERTS=1", "RONDA_ALERTS_FIRING=1",
		"RONDA_LABEL_ALERTNAME=ServiceDown", "RONDA_LABEL_SERVICE_NAME=nginx; rm -rf /"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
}

func TestFailuresAreClassified(t *testing.T) {
	tests := []struct {
		body      string
		timeout   time.Duration
		permanent bool
		reason    string
	}{
		{"exit 3", time.Minute, true, "exit_status"},
		{"exit 75", time.Minute, false, "exit_tempfail"},
		{"sleep 30 & sleep 30", 300 * time.Millisecond, true, "timeout"},
	}
	for _, tt := range tests {
		c := New("act", &config.Command{Argv: []string{script(t, tt.body)}, Timeout: ronda.Duration(tt.timeout), Concurrency: 1}, 0, nil, nil)
		start := time.Now()
		err := c.Send(context.Background(), &delivery.Job{Message: msg()})
		var de *delivery.Error
		if !errors.As(err, &de) || de.Permanent != tt.permanent || de.Reason != tt.reason {
			t.Errorf("%q: %v, want permanent=%v reason %s", tt.body, err, tt.permanent, tt.reason)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("%q took %v: the process group was not killed", tt.body, took)
		}
	}
	c := New("act", &config.Command{Argv: []string{"/nonexistent/prog"}, Timeout: ronda.Duration(time.Second), Concurrency: 1}, 0, nil, nil)
	var de *delivery.Error
	if err := c.Send(context.Background(), &delivery.Job{Message: msg()}); !errors.As(err, &de) || de.Reason != "start" || !de.Permanent {
		t.Errorf("missing program: %v", err)
	}
}

func TestGroupsSpreadOverSlots(t *testing.T) {
	c := New("act", &config.Command{Argv: []string{"x"}, Concurrency: 4}, 0, nil, nil)
	slots := map[string]bool{}
	for _, g := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		m := msg()
		m.GroupKey = g
		r := c.RecipientsFor(m)
		if len(r) != 1 || r[0] != c.RecipientsFor(m)[0] {
			t.Fatalf("RecipientsFor(%s) = %v, not stable", g, r)
		}
		slots[r[0]] = true
	}
	if len(slots) < 2 {
		t.Errorf("8 groups all on %v", slots)
	}
}

// TestReplyTo: stdout (not stderr) of a run that ended for good reaches the reply_to
// channels, HTML-escaped, under a key stable for the stored item; a run that prints
// nothing sends nothing, and so does a run that asks for a retry, except the first
// (TestReplyToPending).
func TestReplyTo(t *testing.T) {
	type sent struct {
		key, text string
		channels  []string
		receiver  string
	}
	tests := []struct {
		body string
		want string // "" = no reply
	}{
		{`echo "restored 3 users <alice>"; echo "log line" >&2`, "restored 3 users &lt;alice&gt;"},
		{`echo "over the limit: run ronda-restore apply"; exit 4`, "over the limit: run ronda-restore apply"},
		{`echo "router not back yet"; exit 75`, ""},
		{`echo "only a log" >&2`, ""},
	}
	for _, tt := range tests {
		var got []sent
		reply := func(key string, m *payload.Message, channels []string, text string) error {
			got = append(got, sent{key, text, channels, m.Receiver})
			return nil
		}
		c := New("restore", &config.Command{Argv: []string{script(t, tt.body)}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1,
			ReplyTo: []string{"it-team", "owner-wa"}}, 0, nil, reply)
		_ = c.Send(context.Background(), &delivery.Job{ID: 42, Message: msg(), Attempts: 1})
		if tt.want == "" {
			if len(got) != 0 {
				t.Errorf("%q: replied %+v, want nothing", tt.body, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%q: %d replies, want 1", tt.body, len(got))
		}
		r := got[0]
		if r.text != tt.want || r.key != "reply:restore:42" || strings.Join(r.channels, ",") != "it-team,owner-wa" || r.receiver != `ops\.restart` {
			t.Errorf("%q: reply %+v, want text %q under key reply:restore:42 to it-team,owner-wa with the notification", tt.body, r, tt.want)
		}
	}

	// Without reply_to, nothing is sent even when the command prints.
	for _, attempts := range []int{0, 3} {
		called := false
		c := New("act", &config.Command{Argv: []string{script(t, "echo not yet; exit 75")}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1}, 0, nil,
			func(string, *payload.Message, []string, string) error { called = true; return nil })
		if err := c.Send(context.Background(), &delivery.Job{ID: 1, Message: msg(), Attempts: attempts}); err == nil || called {
			t.Errorf("no reply_to, exit 75 on attempt %d: err %v, replied %v", attempts, err, called)
		}
	}
	called := false
	c := New("act", &config.Command{Argv: []string{script(t, "echo hi")}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1}, 0, nil,
		func(string, *payload.Message, []string, string) error { called = true; return nil })
	if err := c.Send(context.Background(), &delivery.Job{ID: 1, Message: msg()}); err != nil || called {
		t.Errorf("no reply_to: err %v, replied %v", err, called)
	}
}

// TestReplyToPending: the first run that asks to be run again (exit 75) sends what it
// printed, once, under a key of its own; the later ones send nothing; the run that ends
// it sends its report under the item's key.
func TestReplyToPending(t *testing.T) {
	type sent struct{ key, text string }
	var got []sent
	reply := func(key string, _ *payload.Message, _ []string, text string) error {
		got = append(got, sent{key, text})
		return nil
	}
	dir := t.TempDir()
	// Not ready twice, then done: the count of runs is kept in a file.
	body := `n=$(cat ` + dir + `/n 2>/dev/null || echo 0); echo $((n+1)) > ` + dir + `/n
if [ "$n" -lt 2 ]; then echo "router not back yet (try $((n+1)))"; exit 75; fi
echo "restored 3 users"`
	c := New("restore", &config.Command{Argv: []string{script(t, body)}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1,
		ReplyTo: []string{"it-team"}}, 0, nil, reply)
	for attempt := range 3 {
		err := c.Send(context.Background(), &delivery.Job{ID: 7, Message: msg(), Attempts: attempt})
		if (attempt < 2) != (err != nil) {
			t.Fatalf("attempt %d: err %v", attempt, err)
		}
	}
	want := []sent{{"reply:restore:7:pending", "router not back yet (try 1)"}, {"reply:restore:7", "restored 3 users"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replies %+v, want %+v", got, want)
	}
}

// TestWebhookSecretsStayOutOfCommands: the variables the config reads its own secrets
// from (bot_token_env, token_env, …) are not in a command's environment, so a script's
// `env` cannot pass a bot token on to a chat through reply_to; the rest of the
// environment is.
func TestWebhookSecretsStayOutOfCommands(t *testing.T) {
	t.Setenv("RONDA_TEST_BOT_TOKEN", "123:secret-token")
	t.Setenv("RONDA_TEST_OTHER", "kept")
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	bin := script(t, `env > "$1"`)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
channels:
  - name: chat
    telegram:
      bot_token_env: RONDA_TEST_BOT_TOKEN
      chat_ids: ["111"]
  - name: act
    command:
      argv: [%q, %q]
      timeout: 10s
routes:
  - channels: [chat, act]
`, bin, out)), filepath.Join(dir, "ronda-webhook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c := New("act", cfg.Channels[1].Command, 0, nil, nil)
	if err := c.Send(context.Background(), &delivery.Job{Recipient: "slot-0", Message: msg()}); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), "secret-token") || strings.Contains(string(env), "RONDA_TEST_BOT_TOKEN") {
		t.Error("the command's environment has the bot token") // not printed: it is the process's environment
	}
	for _, want := range []string{"RONDA_TEST_OTHER=kept\n", "PATH=", "RONDA_STATUS=firing\n"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("the command's environment lacks %q", want)
		}
	}
}
