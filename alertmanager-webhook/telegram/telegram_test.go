package telegram

import (
	"context"
	"sync"
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
