package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/rondanet/ronda/alertmanager-webhook/outbox"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/report"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

// crashConfig is a team chat, a command that replies to it and a report sent to it.
func crashConfig(t *testing.T, dir, apiURL, promURL string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
language: en
delivery:
  min_backoff: 50ms
  max_backoff: 200ms
channels:
  - name: it-team
    rate_limit: 1ms
    telegram:
      bot_token_file: token
      api_url: %s
      chat_ids: ["111", "222"]
  - name: restore
    command:
      argv: [sh, -c, "echo restored 3 users"]
      reply_to: [it-team]
  - name: refuse
    command:
      argv: [sh, -c, "echo NOT restored; exit 1"]
      reply_to: [it-team]
routes:
  - receiver: team.tg
    channels: [restore]
reports:
  - name: daily
    prometheus_url: %s
    interval: 24h
    channels: [it-team]
`, apiURL, promURL)
	if err := os.WriteFile(filepath.Join(dir, "ronda-webhook.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// crashApp is ronda-webhook without its web server, on the outbox file of dir.
func crashApp(t *testing.T, dir string) *App {
	t.Helper()
	a := &App{opts: Options{ConfigFile: filepath.Join(dir, "ronda-webhook.yml"), MaxBodyBytes: DefaultMaxBodyBytes}, log: testLogger(io.Discard)}
	reg := prometheus.NewRegistry()
	a.metrics = newMetrics(reg)
	st, err := store.Open(filepath.Join(dir, "outbox.db"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a.store = st
	a.outbox = outbox.New(outbox.Options{Store: st, Metrics: outbox.NewMetrics(reg)})
	cfg, channels, err := a.load()
	if err != nil {
		t.Fatal(err)
	}
	a.put(cfg, channels)
	return a
}

// deliver starts a's outbox; the function returned stops it and closes the outbox file,
// as a crash would (what was not delivered stays stored).
func deliver(t *testing.T, a *App) (crash func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.outbox.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return func() {
		cancel()
		a.outbox.Wait()
		if err := a.store.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// delivered waits until the outbox holds nothing pending.
func delivered(t *testing.T, a *App) {
	t.Helper()
	testtool.Eventually(t, 30*time.Second, "everything delivered", func(context.Context) error {
		pending, err := a.store.Items(store.Pending)
		if err != nil || len(pending) > 0 {
			return fmt.Errorf("%d pending, err %v", len(pending), err)
		}
		return nil
	})
}

// laterBy moves every dedup key of the outbox file at path back by d: the restart that
// follows comes d after the crash.
func laterBy(t *testing.T, path string, d time.Duration) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("dedup"))
		return b.ForEach(func(k, v []byte) error {
			moved := bytes.Clone(v) // the first 8 bytes: when the key was first seen
			binary.BigEndian.PutUint64(moved, binary.BigEndian.Uint64(v)-uint64(d))
			return b.Put(bytes.Clone(k), moved)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestACommandRunAgainAfterACrashRepliesOnce: ronda-webhook crashed after a command's
// report was queued but before the command's item left the outbox, and came back more than
// dedup_window later. The command runs again (that is the outbox's promise), but its
// report reaches the team once; a dead command item replayed by hand does report again.
func TestACommandRunAgainAfterACrashRepliesOnce(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	crashConfig(t, dir, tg.URL, "http://127.0.0.1:1")

	a := crashApp(t, dir)
	item := queueReboot(t, a, "restore")
	queued := *item
	crash := deliver(t, a)
	delivered(t, a)
	if n := len(tg.Messages()); n != 2 {
		t.Fatalf("%d messages, want the report in both chats", n)
	}
	// The crash came before the command's item was removed: it is still stored.
	if err := a.store.Save(&queued); err != nil {
		t.Fatal(err)
	}
	crash()
	laterBy(t, filepath.Join(dir, "outbox.db"), 10*time.Minute)

	a = crashApp(t, dir)
	a.pruneOnce(time.Now())
	crash = deliver(t, a)
	defer crash()
	delivered(t, a)
	if n := len(tg.Messages()); n != 2 {
		t.Errorf("%d messages, want the report once in each chat: %+v", n, tg.Messages())
	}
}

// TestAReplayedCommandRepliesAgain: a command that failed for good reported, and its item
// went to the dead letters; replayed by hand (the cause fixed), it runs anew and its new
// report reaches the team, however soon.
func TestAReplayedCommandRepliesAgain(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	crashConfig(t, dir, tg.URL, "http://127.0.0.1:1")
	a := crashApp(t, dir)
	queueReboot(t, a, "refuse")
	crash := deliver(t, a)
	defer crash()
	delivered(t, a)
	if dead, err := a.store.Items(store.Dead); err != nil || len(dead) != 1 || len(tg.Messages()) != 2 {
		t.Fatalf("dead %+v (%v), %d messages: want the item dead, its report in both chats", dead, err, len(tg.Messages()))
	}
	if _, err := a.outbox.Replay(nil); err != nil {
		t.Fatal(err)
	}
	testtool.Eventually(t, 30*time.Second, "the replayed command's report", func(context.Context) error {
		if dead, err := a.store.Items(store.Dead); err != nil || len(dead) != 1 || dead[0].Attempts == 0 {
			return fmt.Errorf("not run again yet: %+v, %v", dead, err)
		}
		return nil
	})
	delivered(t, a)
	if n := len(tg.Messages()); n != 4 {
		t.Errorf("%d messages, want the report of each run in both chats", n)
	}
}

// TestAReportQueuedBeforeACrashIsNotSentAgain: ronda-webhook queued a scheduled report but
// did not record its tick (it crashed, or the write failed and it ran on), and the report's
// dedup key went through a pruning more than dedup_window later (a catch-up slower than
// the first prune, or the process still running): the restart, still in the first half of
// the interval, must not send the report again.
func TestAReportQueuedBeforeACrashIsNotSentAgain(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	defer prom.Close()
	dir := t.TempDir()
	crashConfig(t, dir, tg.URL, prom.URL)
	// A zone where it is ten past midnight now: the daily tick was ten minutes ago.
	now := time.Now()
	zone := time.FixedZone("test", int((10*time.Minute-now.Sub(now.Truncate(24*time.Hour)))/time.Second))

	tick := now.Add(-10 * time.Minute).Truncate(time.Second)
	// run runs the report from its start until handled says the tick missed is handled.
	run := func(a *App, ledger report.Ledger, handled func() error) {
		t.Helper()
		cfg, _ := a.current()
		r, err := report.New(cfg.Reports[0], zone, a.enqueueReport, a.log)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.WithLedger(ledger).Run(ctx) // at its start it sends the tick it missed
		}()
		testtool.Eventually(t, 30*time.Second, "the missed tick handled", func(context.Context) error { return handled() })
		delivered(t, a)
		cancel()
		<-done
	}

	a := crashApp(t, dir)
	if err := a.store.SetLastTick("daily", now.Add(-25*time.Hour)); err != nil { // yesterday's was sent
		t.Fatal(err)
	}
	crash := deliver(t, a)
	run(a, crashingLedger{a.store}, func() error {
		if len(tg.Messages()) == 0 {
			return fmt.Errorf("not sent yet")
		}
		return nil
	})
	if n := len(tg.Messages()); n != 2 {
		t.Fatalf("%d messages, want the report in both chats", n)
	}
	crash()
	laterBy(t, filepath.Join(dir, "outbox.db"), 3*time.Minute)

	a = crashApp(t, dir)
	a.pruneOnce(time.Now())
	crash = deliver(t, a)
	defer crash()
	run(a, a.store, func() error {
		// Recorded once the report is queued (again, or not at all when it was before).
		if last, _, err := a.store.LastTick("daily"); err != nil || !last.Truncate(time.Second).Equal(tick) {
			return fmt.Errorf("last tick %v (%v), want %v", last, err, tick)
		}
		return nil
	})
	if n := len(tg.Messages()); n != 2 {
		t.Errorf("%d messages, want the report once in each chat: %+v", n, tg.Messages())
	}
}

// crashingLedger is the outbox's ledger in a process that dies before recording a tick.
type crashingLedger struct{ *store.Store }

func (crashingLedger) SetLastTick(string, time.Time) error {
	return fmt.Errorf("crashed before the tick was recorded")
}

// queueReboot stores a MikrotikRebooted notification for the command channel named, as
// the webhook's intake does, and returns its item.
func queueReboot(t *testing.T, a *App, channel string) *store.Item {
	t.Helper()
	m, err := payload.Decode(bytes.NewReader(notification("g", "firing", "MikrotikRebooted")))
	if err != nil {
		t.Fatal(err)
	}
	_, channels := a.current()
	item := &store.Item{Channel: channel, Recipient: channels[channel].Recipients()[0], State: store.Pending, Message: m, Created: time.Now()}
	if _, err := a.store.Accept("alert", time.Now(), time.Minute, []*store.Item{item}); err != nil {
		t.Fatal(err)
	}
	return item
}
