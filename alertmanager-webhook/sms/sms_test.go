package sms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

func TestLengthAndParts(t *testing.T) {
	tests := []struct {
		text  string
		n     int
		enc   string
		parts int
	}{
		{"ONU budi DOWN", 13, GSM7, 1},
		{strings.Repeat("a", 160), 160, GSM7, 1},
		{strings.Repeat("a", 161), 161, GSM7, 2},
		{strings.Repeat("a", 306), 306, GSM7, 2},
		{strings.Repeat("a", 307), 307, GSM7, 3},
		{"suhu [tinggi] €5", 19, GSM7, 1}, // [ ] € cost two septets each
		{"ONU 🔴", 6, UCS2, 1},             // the emoji is two UTF-16 units
		{strings.Repeat("ş", 71), 71, UCS2, 2},
	}
	for _, tt := range tests {
		n, enc := Length(tt.text)
		if n != tt.n || enc != tt.enc || Parts(tt.text) != tt.parts {
			t.Errorf("%.20q: Length = %d %s, Parts = %d; want %d %s, %d", tt.text, n, enc, Parts(tt.text), tt.n, tt.enc, tt.parts)
		}
	}
}

func TestCleanAndFit(t *testing.T) {
	in := "🔴 ONU PWRDOWN [CRITICAL]\n\n\nSuhu: 41.7 °C — “panas”\n✅  pulih"
	want := "ONU PWRDOWN [CRITICAL]\n\nSuhu: 41.7 C - \"panas\"\npulih"
	if got := Clean(in); got != want {
		t.Errorf("Clean = %q, want %q", got, want)
	}
	if _, enc := Length(Clean(in)); enc != GSM7 {
		t.Error("cleaned text is not GSM-7")
	}
	long := strings.Repeat("kata ", 200)
	for _, maxParts := range []int{1, 2, 3} {
		got := Fit(long, maxParts)
		if Parts(got) > maxParts || !strings.HasSuffix(got, "...") || len(got) < 100*maxParts {
			t.Errorf("Fit(%d) = %d chars in %d parts", maxParts, len(got), Parts(got))
		}
	}
	if Fit("short", 1) != "short" {
		t.Error("Fit changed a short text")
	}
}

// gateway is a stand-in for the three SMS providers.
type gateway struct {
	mu   sync.Mutex
	got  []string
	fail string
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	fail := g.fail
	g.fail = ""
	g.mu.Unlock()
	record := func(s string) { g.mu.Lock(); g.got = append(g.got, s); g.mu.Unlock() }
	switch {
	case r.URL.Path == "/generic/send" && r.Method == http.MethodGet:
		q := r.URL.Query()
		if q.Get("key") != "sms-key" {
			http.Error(w, "ERR auth", http.StatusForbidden)
			return
		}
		if fail == "5xx" {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		record("generic " + q.Get("username") + " " + q.Get("number") + " " + q.Get("message"))
		w.Write([]byte("OK 1234"))
	case r.URL.Path == "/reguler/api/sendsms/":
		w.Header().Set("Content-Type", "application/json")
		if r.FormValue("userkey") != "zz-user" || r.FormValue("passkey") != "zz-pass" {
			json.NewEncoder(w).Encode(map[string]string{"status": "0", "text": "Userkey / Passkey Salah"})
			return
		}
		if fail == "balance" {
			json.NewEncoder(w).Encode(map[string]string{"status": "0", "text": "Saldo tidak cukup"})
			return
		}
		record("zenziva " + r.FormValue("to") + " " + r.FormValue("message"))
		json.NewEncoder(w).Encode(map[string]string{"messageId": "1", "to": r.FormValue("to"), "status": "1", "text": "Success"})
	case r.URL.Path == "/2010-04-01/Accounts/AC123/Messages.json":
		w.Header().Set("Content-Type", "application/json")
		user, pass, _ := r.BasicAuth()
		if user != "AC123" || pass != "tw-token" {
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
			return
		}
		if !strings.HasPrefix(r.FormValue("To"), "+62") {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
			return
		}
		record("twilio " + r.FormValue("From") + " " + r.FormValue("To") + " " + r.FormValue("Body"))
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]any{"sid": "SM1", "status": "queued"})
	default:
		http.NotFound(w, r)
	}
}

func newChannel(t *testing.T, cfg *config.SMS) *Channel {
	t.Helper()
	if cfg.MaxParts == 0 {
		cfg.MaxParts = 2
	}
	tpl := tmpl.Default(time.UTC)
	c, err := New(Options{Name: "sms", Config: cfg, Template: tpl, Fallback: tpl, Language: "id"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func smsJob() *delivery.Job {
	return &delivery.Job{Recipient: "6281234567890", Message: &payload.Message{Status: "firing", Receiver: "sms", Alerts: []payload.Alert{{
		Status: "firing", Labels: map[string]string{"alertname": "DiskFull", "instance": "billing", "severity": "critical"},
		Annotations: map[string]string{"summary": "Disk /var 93%", "value": "93.4"}, StartsAt: time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)}}}}
}

func TestProvidersSendTheirShapes(t *testing.T) {
	g := &gateway{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	cfgs := []*config.SMS{
		{Provider: "generic", URL: srv.URL + "/generic/send", Method: "GET", Token: "sms-key",
			Params: map[string]string{"username": "ronda", "key": "{{ .Token }}", "number": "{{ .Number }}", "message": "{{ .Message }}"}},
		{Provider: "zenziva", URL: srv.URL + "/reguler/api/sendsms/", Token: "zz-user", Secret: "zz-pass"},
		{Provider: "twilio", URL: srv.URL, AccountSID: "AC123", From: "+15005550006", Token: "tw-token"},
	}
	for _, cfg := range cfgs {
		if err := newChannel(t, cfg).Send(context.Background(), smsJob()); err != nil {
			t.Errorf("%s: %v", cfg.Provider, err)
		}
	}
	if len(g.got) != 3 {
		t.Fatalf("got %q", g.got)
	}
	for _, m := range g.got {
		if !strings.Contains(m, "Disk /var 93%") || strings.Contains(m, "🟡") || strings.Contains(m, "<b>") {
			t.Errorf("sms %q: want plain text without emoji", m)
		}
	}
	if !strings.HasPrefix(g.got[0], "generic ronda 6281234567890 ") || !strings.HasPrefix(g.got[2], "twilio +15005550006 +6281234567890 ") {
		t.Errorf("requests %q", g.got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	g := &gateway{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	tests := []struct {
		cfg       *config.SMS
		fail      string
		permanent bool
		reason    string
	}{
		{&config.SMS{Provider: "generic", URL: srv.URL + "/generic/send", Method: "GET", Token: "wrong", Params: map[string]string{"key": "{{ .Token }}"}}, "", true, "http_403"},
		{&config.SMS{Provider: "generic", URL: srv.URL + "/generic/send", Method: "GET", Token: "sms-key", Params: map[string]string{"key": "{{ .Token }}"}}, "5xx", false, "http_503"},
		{&config.SMS{Provider: "zenziva", URL: srv.URL + "/reguler/api/sendsms/", Token: "bad", Secret: "bad"}, "", true, "rejected_permanent"},
		{&config.SMS{Provider: "zenziva", URL: srv.URL + "/reguler/api/sendsms/", Token: "zz-user", Secret: "zz-pass"}, "balance", false, "rejected"},
		{&config.SMS{Provider: "twilio", URL: srv.URL, AccountSID: "AC123", From: "x", Token: "bad"}, "", true, "http_401"},
	}
	for i, tt := range tests {
		g.fail = tt.fail
		err := newChannel(t, tt.cfg).Send(context.Background(), smsJob())
		var de *delivery.Error
		if !errors.As(err, &de) || de.Permanent != tt.permanent || de.Reason != tt.reason {
			t.Errorf("case %d (%s): %#v, want permanent=%v reason=%s", i, tt.cfg.Provider, err, tt.permanent, tt.reason)
		}
		if err != nil && (strings.Contains(err.Error(), "sms-key") || strings.Contains(err.Error(), "tw-token")) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}
