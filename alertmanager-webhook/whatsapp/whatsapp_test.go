package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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

// gateways is a stand-in for the four providers, each at its own path, checking the
// request the way the provider does and answering in its shape. fail makes the next
// answer an error of the provider's kind.
type gateways struct {
	mu   sync.Mutex
	got  []string // "provider number text"
	fail string
}

func (g *gateways) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.fail
	g.fail = ""
	return f
}

func (g *gateways) record(provider, number, text string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, provider+" "+number+" "+text)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (g *gateways) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := g.next()
	switch {
	case r.URL.Path == "/fonnte/send": // Fonnte answers 200 either way
		if r.Header.Get("Authorization") != "fonnte-token" || fail == "auth" {
			writeJSON(w, 200, map[string]any{"status": false, "reason": "invalid token"})
			return
		}
		if fail == "offline" {
			writeJSON(w, 200, map[string]any{"status": false, "reason": "devices disconnected"})
			return
		}
		g.record("fonnte", r.FormValue("target"), r.FormValue("message"))
		writeJSON(w, 200, map[string]any{"status": true, "detail": "success! message in queue", "id": []string{"80367170"}, "process": "pending", "target": []string{r.FormValue("target")}})
	case r.URL.Path == "/api/v2/send-message": // Wablas
		if r.Header.Get("Authorization") != "wablas-token.wablas-secret" || fail == "auth" {
			writeJSON(w, 401, map[string]any{"status": false, "message": "token invalid"})
			return
		}
		if fail == "5xx" {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "<html>502</html>", http.StatusBadGateway)
			return
		}
		var body struct {
			Data []struct{ Phone, Message string } `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Data) != 1 {
			writeJSON(w, 400, map[string]any{"status": false, "message": "data required"})
			return
		}
		g.record("wablas", body.Data[0].Phone, body.Data[0].Message)
		writeJSON(w, 200, map[string]any{"status": true, "message": "Message is pending and waiting to be processed", "data": map[string]any{"messages": []any{map[string]any{"id": "x", "phone": body.Data[0].Phone, "status": "pending"}}}})
	case r.URL.Path == "/send-message": // kirimwa / M-Pedia
		if r.FormValue("api_key") != "kirimwa-key" || r.FormValue("sender") != "6281100000000" {
			writeJSON(w, 200, map[string]any{"status": false, "msg": "Invalid data!"})
			return
		}
		g.record("kirimwa", r.FormValue("number"), r.FormValue("message"))
		writeJSON(w, 200, map[string]any{"status": true, "msg": "Message sent successfully!"})
	case strings.HasSuffix(r.URL.Path, "/PNID/messages"): // Cloud API
		if r.Header.Get("Authorization") != "Bearer cloud-token" {
			writeJSON(w, 401, map[string]any{"error": map[string]any{"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "A"}})
			return
		}
		switch fail {
		case "window":
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047}})
			return
		case "rate":
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "(#131056) (Business Account, Consumer Account) pair rate limit hit", "code": 131056}})
			return
		}
		var m struct {
			Product  string `json:"messaging_product"`
			To, Type string
			Text     struct{ Body string }
			Template struct {
				Name       string
				Components []struct {
					Parameters []struct{ Text string }
				}
			}
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &m); err != nil || m.Product != "whatsapp" {
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "(#100) Invalid parameter", "code": 100}})
			return
		}
		text := m.Text.Body
		if m.Type == "template" {
			text = "template:" + m.Template.Name + ":" + m.Template.Components[0].Parameters[0].Text
		}
		g.record("cloud", m.To, text)
		writeJSON(w, 200, map[string]any{"messaging_product": "whatsapp", "contacts": []any{map[string]any{"input": m.To, "wa_id": m.To}}, "messages": []any{map[string]any{"id": "wamid.X"}}})
	default:
		http.NotFound(w, r)
	}
}

func channel(t *testing.T, cfg *config.WhatsApp) *Channel {
	tpl := tmpl.Default(time.UTC)
	return New(Options{Name: "wa", Config: cfg, Template: tpl, Fallback: tpl, Language: "id"})
}

func job(number string) *delivery.Job {
	return &delivery.Job{Recipient: number, Message: &payload.Message{Status: "firing", Receiver: "wa", Alerts: []payload.Alert{{
		Status: "firing", Labels: map[string]string{"alertname": "ONUDown", "olt": "olt-pasar", "pon": "0/1", "onu": "budi", "status": "LOS"},
		StartsAt: time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)}}}}
}

func TestProvidersSendTheirShapes(t *testing.T) {
	g := &gateways{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	channels := []*config.WhatsApp{
		{Provider: "fonnte", URL: srv.URL + "/fonnte/send", Token: "fonnte-token"},
		{Provider: "wablas", URL: srv.URL + "/api/v2/send-message", Token: "wablas-token", Secret: "wablas-secret"},
		{Provider: "kirimwa", URL: srv.URL + "/send-message", Token: "kirimwa-key", Sender: "6281100000000"},
		{Provider: "cloud", URL: srv.URL + "/v21.0", Token: "cloud-token", PhoneNumberID: "PNID"},
		{Provider: "cloud", URL: srv.URL + "/v21.0", Token: "cloud-token", PhoneNumberID: "PNID", Template: &config.WhatsAppTemplate{Name: "alert", Language: "id"}},
	}
	for _, cfg := range channels {
		if err := channel(t, cfg).Send(context.Background(), job("6281234567890")); err != nil {
			t.Errorf("%s: %v", cfg.Provider, err)
		}
	}
	if len(g.got) != 5 {
		t.Fatalf("got %d messages: %q", len(g.got), g.got)
	}
	for _, m := range g.got {
		if !strings.Contains(m, " 6281234567890 ") || !strings.Contains(m, "*ONU LOS*") || !strings.Contains(m, "OLT: *olt-pasar*") {
			t.Errorf("message %q: want the number and WhatsApp bold", m)
		}
	}
	if !strings.HasPrefix(g.got[4], "cloud 6281234567890 template:alert:") {
		t.Errorf("template message %q", g.got[4])
	}
}

func TestErrorsAreClassified(t *testing.T) {
	g := &gateways{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	fonnte := &config.WhatsApp{Provider: "fonnte", URL: srv.URL + "/fonnte/send", Token: "fonnte-token"}
	wablas := &config.WhatsApp{Provider: "wablas", URL: srv.URL + "/api/v2/send-message", Token: "wablas-token", Secret: "wablas-secret"}
	cloud := &config.WhatsApp{Provider: "cloud", URL: srv.URL + "/v21.0", Token: "cloud-token", PhoneNumberID: "PNID"}
	tests := []struct {
		cfg        *config.WhatsApp
		fail       string
		permanent  bool
		reason     string
		retryAfter time.Duration
	}{
		{fonnte, "auth", true, "rejected_permanent", 0},
		{fonnte, "offline", false, "rejected", 0},
		{wablas, "auth", true, "http_401", 0},
		{wablas, "5xx", false, "http_502", time.Second},
		{cloud, "window", true, "cloud_131047", 0},
		{cloud, "rate", false, "cloud_131056", 0},
		{&config.WhatsApp{Provider: "cloud", URL: srv.URL + "/v21.0", Token: "wrong", PhoneNumberID: "PNID"}, "", true, "cloud_190", 0},
	}
	for _, tt := range tests {
		g.fail = tt.fail
		err := channel(t, tt.cfg).Send(context.Background(), job("6281234567890"))
		var de *delivery.Error
		if !errors.As(err, &de) || de.Permanent != tt.permanent || de.Reason != tt.reason || de.RetryAfter != tt.retryAfter {
			t.Errorf("%s/%s: err %#v, want permanent=%v reason=%s retryAfter=%v", tt.cfg.Provider, tt.fail, de, tt.permanent, tt.reason, tt.retryAfter)
		}
		if err != nil && strings.Contains(err.Error(), "token\"") {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}
