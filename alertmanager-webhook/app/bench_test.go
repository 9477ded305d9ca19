package app

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
)

// tenAlerts is a notification of 10 alerts, distinct per n (so none is a duplicate).
func tenAlerts(n int) []byte {
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("ONUDown%d_%d", n, i)
	}
	return notification(fmt.Sprintf("{}:{olt=\"olt-%d\"}", n), "firing", names...)
}

func benchInstance(b *testing.B, chats int, rateLimit string) (*instance, *telegramtest.Server) {
	tg := telegramtest.New(token)
	b.Cleanup(tg.Close)
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600)
	ids := make([]string, chats)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprint(1000+i))
	}
	cfg := fmt.Sprintf("language: en\ndelivery: {min_backoff: 50ms, max_backoff: 200ms}\nchannels:\n  - name: tg\n    rate_limit: %s\n    telegram:\n      bot_token_file: token\n      api_url: %s\n      chat_ids: [%s]\nroutes:\n  - channels: [tg]\n",
		rateLimit, tg.URL, strings.Join(ids, ", "))
	os.WriteFile(filepath.Join(dir, "ronda-webhook.yml"), []byte(cfg), 0o600)
	in := start(b, dir)
	return in, tg
}

// BenchmarkIntakeAt1000PerSecond posts b.N notifications of 10 alerts at 1,000 a second
// (-benchtime=5000x is five seconds) and reports the response time percentiles: each answer
// comes only after the notification is fsynced.
func BenchmarkIntakeAt1000PerSecond(b *testing.B) {
	in, _ := benchInstance(b, 2, "1s")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = tenAlerts(i)
	}
	latencies := make([]time.Duration, b.N)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Request i is due i milliseconds after the start. A time.Ticker would drop the
		// ticks its receiver misses and offer fewer than 1,000 a second; a schedule sends
		// late requests at once, so the offered rate stays 1,000/s on average.
		if wait := time.Until(start.Add(time.Duration(i) * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			resp, err := client.Post(in.url+"/alert", "application/json", bytes.NewReader(bodies[i]))
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
			}
			latencies[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 { return float64(latencies[int(float64(len(latencies)-1)*p)]) / 1e6 }
	b.ReportMetric(float64(b.N)/took.Seconds(), "notifications/s")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// BenchmarkDeliveryBoundByRateLimit delivers b.N notifications to 20 chats at one message
// per 50ms per chat through one bot, and reports the rate achieved against the tightest
// limit in force: the per-chat limits allow 400 messages a second, but the bot's own pace
// (telegram.DefaultBotInterval, Telegram's ~30 a second broadcast limit) allows 30.
func BenchmarkDeliveryBoundByRateLimit(b *testing.B) {
	const chats = 20
	interval := 50 * time.Millisecond
	in, tg := benchInstance(b, chats, interval.String())
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		resp, err := http.Post(in.url+"/alert", "application/json", bytes.NewReader(tenAlerts(i)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	want := b.N * chats
	for len(tg.Messages()) < want {
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	rate := float64(want) / took.Seconds()
	bound := min(float64(chats)/interval.Seconds(), float64(time.Second)/float64(telegram.DefaultBotInterval))
	b.ReportMetric(rate, "messages/s")
	b.ReportMetric(rate/bound, "of-rate-limit")
}
