package tmpl

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

// TestRendererText: every channel's text comes from Renderer.Text, so this is where a
// custom template's mistake must fall back to the default format, be logged and counted,
// and where a stored text (a command's reply, a report) must go out as it is.
func TestRendererText(t *testing.T) {
	msg := &payload.Message{Version: "4", Status: payload.StatusFiring, Receiver: "ops",
		Alerts: []payload.Alert{{Status: "firing", Labels: map[string]string{"alertname": "HostDown", "instance": "web-pasar"}}}}
	broken, err := Parse("broken", `{{ .NoSuchField }}`, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Parse("empty", `{{ if false }}x{{ end }}   `, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	fallback := Default(time.UTC)
	want, err := fallback.Execute(NewData(msg, "en", time.Now()))
	if err != nil || !strings.Contains(want, "HostDown") && !strings.Contains(want, "web-pasar") {
		t.Fatalf("the default format: %v\n%s", err, want)
	}
	for _, tc := range []struct {
		name     string
		tpl      *Template
		stored   string
		want     string
		failures int
	}{
		{"stored text goes out as it is", broken, "<b>3 users</b> got 1h back", "<b>3 users</b> got 1h back", 0},
		{"a template that fails", broken, "", want, 1},
		{"a template that renders nothing", empty, "", want, 1},
		{"a template that works", fallback, "", want, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			var counted []string
			r := Renderer{Channel: "it-team", Template: tc.tpl, Fallback: fallback, Language: "en",
				Logger: slog.New(slog.NewTextHandler(&log, nil)), TemplateError: func(ch string) { counted = append(counted, ch) }}
			if got := r.Text(tc.stored, msg); got != tc.want {
				t.Errorf("text:\n%s\nwant:\n%s", got, tc.want)
			}
			if len(counted) != tc.failures || tc.failures > 0 && counted[0] != "it-team" {
				t.Errorf("failures counted: %v, want %d for it-team", counted, tc.failures)
			}
			if logged := strings.Contains(log.String(), "template failed") && strings.Contains(log.String(), "channel=it-team"); logged != (tc.failures > 0) {
				t.Errorf("log: %q", log.String())
			}
		})
	}
}
