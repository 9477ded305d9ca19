package command

import (
	"context"
	"encoding/json"
	"errors"
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
	c := New("act", &config.Command{Argv: []string{bin, out}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1}, 0, nil)
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
		c := New("act", &config.Command{Argv: []string{script(t, tt.body)}, Timeout: ronda.Duration(tt.timeout), Concurrency: 1}, 0, nil)
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
	c := New("act", &config.Command{Argv: []string{"/nonexistent/prog"}, Timeout: ronda.Duration(time.Second), Concurrency: 1}, 0, nil)
	var de *delivery.Error
	if err := c.Send(context.Background(), &delivery.Job{Message: msg()}); !errors.As(err, &de) || de.Reason != "start" || !de.Permanent {
		t.Errorf("missing program: %v", err)
	}
}

func TestGroupsSpreadOverSlots(t *testing.T) {
	c := New("act", &config.Command{Argv: []string{"x"}, Concurrency: 4}, 0, nil)
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
