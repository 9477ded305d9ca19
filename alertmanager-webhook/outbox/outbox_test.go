package outbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rondanet/ronda/alertmanager-webhook/command"
	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
	ronda "github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// fakeChannel fails according to a script, then succeeds, recording what it sent.
type fakeChannel struct {
	interval time.Duration
	mu       sync.Mutex
	script   []error
	sent     []string
	attempts []int // Job.Attempts of every send, failed ones too
}

func (f *fakeChannel) Name() string                  { return "fake" }
func (f *fakeChannel) Kind() string                  { return "fake" }
func (f *fakeChannel) Recipients() []string          { return []string{"r"} }
func (f *fakeChannel) Interval(string) time.Duration { return f.interval }
func (f *fakeChannel) Send(_ context.Context, job *delivery.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, job.Attempts)
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return err
		}
	}
	f.sent = append(f.sent, job.Message.GroupKey)
	return nil
}

func (f *fakeChannel) Sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

func setup(t *testing.T, ch *fakeChannel, maxAge time.Duration) (*Outbox, *store.Store, *prometheus.Registry, context.CancelFunc) {
	s, err := store.Open(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	o := New(Options{Store: s, Metrics: m, Timing: Timing{MaxAge: maxAge, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	m.Watch(o)
	o.SetChannels(map[string]delivery.Channel{"fake": ch})
	ctx, cancel := context.WithCancel(context.Background())
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); o.Wait(); s.Close() })
	return o, s, reg, cancel
}

func enqueue(t *testing.T, o *Outbox, s *store.Store, groups ...string) {
	t.Helper()
	for _, g := range groups {
		it := &store.Item{Channel: "fake", Recipient: "r", State: store.Pending, Created: time.Now(),
			Message: &payload.Message{GroupKey: g, Receiver: "x", Status: "firing"}}
		if _, err := s.Accept(g, time.Now(), time.Minute, []*store.Item{it}); err != nil {
			t.Fatal(err)
		}
		o.Add([]*store.Item{it})
	}
}

func TestLaneKeepsOrderThroughRetries(t *testing.T) {
	ch := &fakeChannel{script: []error{
		delivery.Temporary("http_502", 0, errors.New("bad gateway")),
		delivery.Temporary("http_429", 30*time.Millisecond, errors.New("slow down")),
	}}
	o, s, reg, _ := setup(t, ch, time.Hour)
	enqueue(t, o, s, "g1", "g2", "g3")
	testtool.Eventually(t, 10*time.Second, "three sends", func(context.Context) error {
		if n := len(ch.Sent()); n != 3 {
			return fmt.Errorf("%d sent", n)
		}
		return nil
	})
	if got := strings.Join(ch.Sent(), ","); got != "g1,g2,g3" {
		t.Errorf("sent %s, want g1,g2,g3 in order", got)
	}
	ch.mu.Lock()
	if got := fmt.Sprint(ch.attempts); got != "[0 1 2 0 0]" { // g1 failed twice
		t.Errorf("the channel was told of %s attempts before each send, want [0 1 2 0 0]", got)
	}
	ch.mu.Unlock()
	if n := testutil.ToFloat64(o.opts.Metrics.retries.WithLabelValues("fake", "http_429")); n != 1 {
		t.Errorf("retries{http_429} = %v", n)
	}
	if left, _ := s.Items(""); len(left) != 0 {
		t.Errorf("%d items left in the store", len(left))
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ronda_webhook_outbox_items Items in the outbox by channel and state (pending: waiting for delivery; dead: given up, replayable).
# TYPE ronda_webhook_outbox_items gauge
ronda_webhook_outbox_items{channel="fake",state="dead"} 0
ronda_webhook_outbox_items{channel="fake",state="pending"} 0
`), "ronda_webhook_outbox_items"); err != nil {
		t.Error(err)
	}
}

func TestPermanentErrorsAndMaxAgeAreDeadLetters(t *testing.T) {
	ch := &fakeChannel{script: []error{delivery.Permanent("http_401", errors.New("Unauthorized"))}}
	o, s, reg, _ := setup(t, ch, time.Hour)
	enqueue(t, o, s, "g1", "g2")
	testtool.Eventually(t, 10*time.Second, "g2 sent", func(context.Context) error {
		if len(ch.Sent()) != 1 {
			return errors.New("not yet")
		}
		return nil
	})
	dead, _ := s.Items(store.Dead)
	if len(dead) != 1 || dead[0].Message.GroupKey != "g1" || dead[0].Reason != "http_401" || !strings.Contains(dead[0].Error, "Unauthorized") {
		t.Fatalf("dead = %+v", dead)
	}
	// An item older than max_age is not sent at all.
	old := &store.Item{Channel: "fake", Recipient: "r", State: store.Pending, Created: time.Now().Add(-2 * time.Hour),
		Message: &payload.Message{GroupKey: "old"}}
	if _, err := s.Accept("old", time.Now(), time.Minute, []*store.Item{old}); err != nil {
		t.Fatal(err)
	}
	o.Add([]*store.Item{old})
	testtool.Eventually(t, 10*time.Second, "the old item dead", func(context.Context) error {
		if d, _ := s.Items(store.Dead); len(d) != 2 {
			return fmt.Errorf("%d dead", len(d))
		}
		return nil
	})
	if got := testutil.ToFloat64(o.opts.Metrics.deadLetters.WithLabelValues("fake", "expired")); got != 1 {
		t.Errorf("dead_letters{expired} = %v", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ronda_webhook_outbox_items Items in the outbox by channel and state (pending: waiting for delivery; dead: given up, replayable).
# TYPE ronda_webhook_outbox_items gauge
ronda_webhook_outbox_items{channel="fake",state="dead"} 2
ronda_webhook_outbox_items{channel="fake",state="pending"} 0
`), "ronda_webhook_outbox_items"); err != nil {
		t.Error(err)
	}
	// Replay sends them.
	if items, err := o.Replay(nil); err != nil || len(items) != 2 {
		t.Fatalf("Replay = %d items, %v", len(items), err)
	}
	testtool.Eventually(t, 10*time.Second, "replayed items sent", func(context.Context) error {
		if len(ch.Sent()) != 3 {
			return fmt.Errorf("%v sent", ch.Sent())
		}
		return nil
	})
}

func TestRateLimitMakesSendsWait(t *testing.T) {
	ch := &fakeChannel{interval: 50 * time.Millisecond}
	o, s, _, _ := setup(t, ch, time.Hour)
	start := time.Now()
	enqueue(t, o, s, "a", "b", "c", "d")
	testtool.Eventually(t, 10*time.Second, "four sends", func(context.Context) error {
		if len(ch.Sent()) != 4 {
			return errors.New("not yet")
		}
		return nil
	})
	// Three gaps of at least the interval: a lower bound only, never an upper one.
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("four sends took %v, want ≥ 150ms at one per 50ms", took)
	}
	if waits := testutil.ToFloat64(o.opts.Metrics.rateWaits.WithLabelValues("fake")); waits < 3 {
		t.Errorf("rate_limited_waits = %v, want ≥ 3", waits)
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	o := New(Options{Timing: Timing{MinBackoff: time.Second, MaxBackoff: 8 * time.Second}})
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		for range 50 {
			if d := o.backoff(attempts); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempts, d, want/2, want)
			}
		}
	}
}

// TestSetTimingTakesEffect: new delivery settings (a reload) apply to the next wait and
// to items already waiting: a max_age shortened below an item's age dead-letters it.
func TestSetTimingTakesEffect(t *testing.T) {
	o := New(Options{Timing: Timing{MinBackoff: time.Second, MaxBackoff: 8 * time.Second}})
	o.SetTiming(Timing{MinBackoff: time.Minute, MaxBackoff: time.Hour})
	if d := o.backoff(1); d < 30*time.Second || d > time.Minute {
		t.Errorf("backoff(1) after SetTiming = %v, want in [30s, 1m]", d)
	}
	o.SetTiming(Timing{}) // defaults: 1s, and 30s to send
	if d, tm := o.backoff(1), o.timing.Load(); d > time.Second || tm.SendTimeout != 30*time.Second {
		t.Errorf("defaults: backoff(1) = %v, %+v", d, tm)
	}

	// Always failing, retried every 10-20 ms under a max_age of an hour …
	failing := make([]error, 1000)
	for i := range failing {
		failing[i] = delivery.Temporary("http_502", 0, errors.New("bad gateway"))
	}
	ch := &fakeChannel{script: failing}
	o, s, _, _ := setup(t, ch, time.Hour)
	enqueue(t, o, s, "g1")
	testtool.Eventually(t, 10*time.Second, "a retry", func(context.Context) error {
		if it, _ := s.Items(store.Pending); len(it) != 1 || it[0].Attempts < 2 {
			return errors.New("not yet")
		}
		return nil
	})
	// … until max_age is cut to a millisecond.
	o.SetTiming(Timing{MaxAge: time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	testtool.Eventually(t, 10*time.Second, "g1 dead", func(context.Context) error {
		if d, _ := s.Items(store.Dead); len(d) != 1 || d[0].Reason != "expired" {
			return fmt.Errorf("%d dead", len(d))
		}
		return nil
	})
}

// TestCommandTimeoutOutlastsSendTimeout: a command channel's own timeout bounds its run,
// not the outbox's send_timeout, when it is the longer: ronda-restore waiting for
// Prometheus's data (timeout 5m) under send_timeout 30s was killed at 30s and
// dead-lettered. Here 0.5 s of work under send_timeout 100ms and a timeout of 10s.
func TestCommandTimeoutOutlastsSendTimeout(t *testing.T) {
	dir := t.TempDir()
	argv0 := filepath.Join(dir, "restore.sh")
	if err := os.WriteFile(argv0, []byte("#!/bin/sh\nsleep 0.5\necho restored 12 users\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(filepath.Join(dir, "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := New(Options{Store: s, Timing: Timing{MaxAge: time.Hour, SendTimeout: 100 * time.Millisecond,
		MinBackoff: time.Hour, MaxBackoff: time.Hour}}) // a retry would not come in time
	o.SetChannels(map[string]delivery.Channel{"restore": command.New("restore",
		&config.Command{Argv: []string{argv0}, Timeout: ronda.Duration(10 * time.Second), Concurrency: 1}, 0, nil, nil)})
	ctx, cancel := context.WithCancel(context.Background())
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); o.Wait(); s.Close() })
	it := &store.Item{Channel: "restore", Recipient: "slot-0", State: store.Pending, Created: time.Now(),
		Message: &payload.Message{GroupKey: "g", Receiver: "it-team-restore", Status: "firing"}}
	if _, err := s.Accept("g", time.Now(), time.Minute, []*store.Item{it}); err != nil {
		t.Fatal(err)
	}
	o.Add([]*store.Item{it})
	testtool.Eventually(t, 10*time.Second, "the command's run delivered", func(context.Context) error {
		left, err := s.Items("")
		switch {
		case err != nil:
			return err
		case len(left) == 0:
			return nil
		case left[0].State == store.Dead:
			t.Fatalf("dead-lettered: %s %s", left[0].Reason, left[0].Error)
		}
		return fmt.Errorf("still stored: attempts %d, %s", left[0].Attempts, left[0].Error)
	})
}

// partsThenHang delivers two parts of a message, then hangs on the third until the
// outbox shuts down.
type partsThenHang struct{ hanging chan struct{} }

func (c *partsThenHang) Name() string                  { return "fake" }
func (c *partsThenHang) Kind() string                  { return "fake" }
func (c *partsThenHang) Recipients() []string          { return []string{"r"} }
func (c *partsThenHang) Interval(string) time.Duration { return 0 }
func (c *partsThenHang) Send(ctx context.Context, job *delivery.Job) error {
	job.PartsSent = 2
	close(c.hanging)
	<-ctx.Done()
	return delivery.Temporary("timeout", 0, ctx.Err())
}

// TestShutdownKeepsPartsSent: parts of a split message delivered before a shutdown are
// stored as sent, so the restart does not send them again.
func TestShutdownKeepsPartsSent(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch := &partsThenHang{hanging: make(chan struct{})}
	o := New(Options{Store: s, Timing: Timing{MaxAge: time.Hour, SendTimeout: time.Minute}})
	o.SetChannels(map[string]delivery.Channel{"fake": ch})
	ctx, cancel := context.WithCancel(context.Background())
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	enqueue(t, o, s, "g")
	<-ch.hanging
	cancel()
	o.Wait()
	items, err := s.Items("")
	if err != nil || len(items) != 1 {
		t.Fatalf("stored after the shutdown: %d items, %v", len(items), err)
	}
	if items[0].PartsSent != 2 {
		t.Errorf("stored parts_sent = %d after a shutdown during part 3: parts 1 and 2 would go again", items[0].PartsSent)
	}
}

// TestReplayedItemsMayBeReadWhileRetried: what Replay returns is the caller's to read
// (ronda-webhook's replay API lists it) while the lanes retry the items. Under the race
// detector (make test) a shared item is a failure.
func TestReplayedItemsMayBeReadWhileRetried(t *testing.T) {
	ch := &fakeChannel{script: []error{delivery.Permanent("http_403", errors.New("kicked"))}}
	for range 100 {
		ch.script = append(ch.script, delivery.Temporary("http_502", 0, errors.New("bad gateway")))
	}
	o, s, _, _ := setup(t, ch, time.Hour)
	enqueue(t, o, s, "g")
	testtool.Eventually(t, 10*time.Second, "a dead letter", func(context.Context) error {
		if dead, err := s.Items(store.Dead); err != nil || len(dead) != 1 {
			return fmt.Errorf("%d dead, %v", len(dead), err)
		}
		return nil
	})
	items, err := o.Replay(nil)
	if err != nil || len(items) != 1 {
		t.Fatalf("Replay = %d items, %v", len(items), err)
	}
	want := *items[0]
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		if it := items[0]; it.State != want.State || it.Attempts != want.Attempts || it.Error != want.Error || !it.NextAt.Equal(want.NextAt) {
			t.Fatalf("a replayed item changed under its reader: %+v, was %+v", it, want)
		}
	}
}

// TestForgetDeadLeavesTheGaugeRight: a dead letter knows when it died, and removing it
// (delivery.dead_retention) takes it out of ronda_webhook_outbox_items too.
func TestForgetDeadLeavesTheGaugeRight(t *testing.T) {
	ch := &fakeChannel{script: []error{delivery.Permanent("http_403", errors.New("kicked"))}}
	o, s, reg, _ := setup(t, ch, time.Hour)
	before := time.Now()
	enqueue(t, o, s, "g")
	var dead []*store.Item
	testtool.Eventually(t, 10*time.Second, "a dead letter", func(context.Context) error {
		var err error
		if dead, err = s.Items(store.Dead); err != nil || len(dead) != 1 {
			return fmt.Errorf("%d dead, %v", len(dead), err)
		}
		return nil
	})
	if died := dead[0].Died; died.Before(before) || died.After(time.Now()) {
		t.Errorf("the dead letter died at %v, want between %v and now", died, before)
	}
	gauge := func(want int) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`
# HELP ronda_webhook_outbox_items Items in the outbox by channel and state (pending: waiting for delivery; dead: given up, replayable).
# TYPE ronda_webhook_outbox_items gauge
ronda_webhook_outbox_items{channel="fake",state="dead"} %d
ronda_webhook_outbox_items{channel="fake",state="pending"} 0
`, want)), "ronda_webhook_outbox_items"); err != nil {
			t.Error(err)
		}
	}
	gauge(1)
	if n, err := o.ForgetDead(before); err != nil || n != 0 {
		t.Fatalf("ForgetDead before it died = %d, %v; want 0", n, err)
	}
	gauge(1)
	if n, err := o.ForgetDead(time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("ForgetDead after it died = %d, %v; want 1", n, err)
	}
	gauge(0)
	if left, _ := s.Items(""); len(left) != 0 {
		t.Errorf("%d items left in the store", len(left))
	}
}
