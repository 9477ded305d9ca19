package telegram

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// TestBotPaceAcrossChats: sends to different chats in parallel still keep the bot's overall
// pace (a lower bound only: never an upper one, so a loaded machine cannot fail it).
func TestBotPaceAcrossChats(t *testing.T) {
	tg := telegramtest.New("1:t")
	defer tg.Close()
	tpl := tmpl.Default(time.UTC)
	ch, err := New(Options{Name: "tg", Template: tpl, Fallback: tpl, Language: "en", BotInterval: 40 * time.Millisecond,
		Config: &config.Telegram{BotToken: "1:t", APIURL: tg.URL, ChatIDs: []string{"1", "2", "3", "4", "5", "6"}}})
	if err != nil {
		t.Fatal(err)
	}
	msg := &payload.Message{Status: "firing", Receiver: "r", Alerts: []payload.Alert{{Status: "firing", Labels: map[string]string{"alertname": "A"}}}}
	start := time.Now()
	var wg sync.WaitGroup
	for _, chat := range ch.Recipients() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ch.Send(context.Background(), &delivery.Job{Recipient: chat, Message: msg}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if took := time.Since(start); took < 5*40*time.Millisecond {
		t.Errorf("6 messages in %v, want at least 200ms at one per 40ms", took)
	}
	if n := len(tg.Messages()); n != 6 {
		t.Errorf("%d messages", n)
	}
}

// TestProxyURLIsUsed: with proxy_url the Bot API is reached through the proxy (a plain
// HTTP forward proxy here), and the token never appears in errors.
func TestProxyURLIsUsed(t *testing.T) {
	tg := telegramtest.New("1:t")
	defer tg.Close()
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		proxied.Add(1)
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	tpl := tmpl.Default(time.UTC)
	ch, err := New(Options{Name: "tg", Template: tpl, Fallback: tpl, Language: "en",
		Config: &config.Telegram{BotToken: "1:t", APIURL: tg.URL, ProxyURL: proxy.URL, ChatIDs: []string{"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	msg := &payload.Message{Status: "firing", Receiver: "r", Alerts: []payload.Alert{{Status: "firing", Labels: map[string]string{"alertname": "A"}}}}
	if err := ch.Send(context.Background(), &delivery.Job{Recipient: "1", Message: msg}); err != nil {
		t.Fatal(err)
	}
	if proxied.Load() != 1 || len(tg.Messages()) != 1 {
		t.Errorf("proxied %d requests, %d messages; want 1 and 1", proxied.Load(), len(tg.Messages()))
	}
	// Unreachable API: the error names the host but not the token.
	ch, _ = New(Options{Name: "tg", Template: tpl, Fallback: tpl, Language: "en",
		Config: &config.Telegram{BotToken: "1:t", APIURL: "http://127.0.0.1:1", ChatIDs: []string{"1"}}})
	err = ch.Send(context.Background(), &delivery.Job{Recipient: "1", Message: msg})
	if err == nil || strings.Contains(err.Error(), "1:t") || !strings.Contains(err.Error(), "bot<secret>") {
		t.Errorf("error %v: want the token redacted", err)
	}
}
