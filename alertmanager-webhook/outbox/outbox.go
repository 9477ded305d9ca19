// Package outbox delivers the stored items: one lane per channel and recipient, each
// sending in order at the recipient's rate limit, retrying temporary failures with
// exponential backoff and jitter (or the provider's own Retry-After), dead-lettering
// permanent failures and items older than the maximum age. The store stays the truth: an
// item leaves it only once sent, so a crash at any point re-sends at most the message being
// sent at that instant.
package outbox

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
)

// Options configures an Outbox.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Metrics may be nil (tests).
	Metrics *Metrics
	// Timing is the first; SetTiming changes it.
	Timing Timing
}

// Timing is how the outbox paces and gives up: the delivery settings a reload changes
// (SetTiming) without a restart.
type Timing struct {
	// MaxAge is how long an item may stay undelivered before it is dead-lettered.
	MaxAge time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts.
	MinBackoff, MaxBackoff time.Duration
	// SendTimeout bounds one send (every part of a split message).
	SendTimeout time.Duration
}

// withDefaults fills in what t leaves unset or inconsistent.
func (t Timing) withDefaults() Timing {
	if t.MinBackoff <= 0 {
		t.MinBackoff = time.Second
	}
	if t.MaxBackoff < t.MinBackoff {
		t.MaxBackoff = t.MinBackoff
	}
	if t.SendTimeout <= 0 {
		t.SendTimeout = 30 * time.Second
	}
	return t
}

// Outbox runs the delivery lanes.
type Outbox struct {
	opts   Options // without Timing: timing is the one in force
	timing atomic.Pointer[Timing]
	log    *slog.Logger

	mu       sync.Mutex
	channels map[string]delivery.Channel
	lanes    map[laneKey]*lane
	// moved maps a channel's old recipient to its new address (Telegram chat migration).
	moved map[laneKey]string
	ctx   context.Context
	wg    sync.WaitGroup
}

type laneKey struct{ channel, recipient string }

// New makes an outbox; Start begins delivery.
func New(opts Options) *Outbox {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{opts: opts, log: opts.Logger, channels: map[string]delivery.Channel{},
		lanes: map[laneKey]*lane{}, moved: map[laneKey]string{}}
	o.SetTiming(opts.Timing)
	o.opts.Timing = Timing{}
	return o
}

// SetTiming puts new delivery settings in force: the next wait, send and age check use
// them, items already waiting included.
func (o *Outbox) SetTiming(t Timing) {
	t = t.withDefaults()
	o.timing.Store(&t)
}

// SetChannels puts a configuration's channels in force. Items of a channel that is no
// longer configured are dead-lettered when their turn comes (replayable once it is back).
func (o *Outbox) SetChannels(channels map[string]delivery.Channel) {
	o.mu.Lock()
	o.channels = channels
	lanes := make([]*lane, 0, len(o.lanes))
	for _, l := range o.lanes {
		lanes = append(lanes, l)
	}
	o.mu.Unlock()
	for _, l := range lanes {
		l.wake()
	}
}

// Start loads the pending items from the store and delivers until ctx ends. Wait waits
// for the lanes to stop.
func (o *Outbox) Start(ctx context.Context) error {
	items, err := o.opts.Store.Items("")
	if err != nil {
		return err
	}
	moved, err := o.opts.Store.Moved()
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.ctx = ctx
	for _, m := range moved {
		o.moved[laneKey{m.Channel, m.From}] = m.To
	}
	o.mu.Unlock()
	var pending []*store.Item
	for _, it := range items {
		if it.State == store.Dead {
			o.opts.Metrics.deadAdded(it.Channel)
			continue
		}
		pending = append(pending, it)
	}
	if len(pending) > 0 {
		o.log.Info("resuming delivery of stored notifications", "items", len(pending))
	}
	o.Add(pending)
	return nil
}

// Wait blocks until every lane has stopped (after Start's context ended).
func (o *Outbox) Wait() { o.wg.Wait() }

// Add queues stored items for delivery.
func (o *Outbox) Add(items []*store.Item) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, it := range items {
		key := laneKey{it.Channel, it.Recipient}
		l := o.lanes[key]
		if l == nil {
			l = &lane{o: o, key: key, wakeCh: make(chan struct{}, 1)}
			o.lanes[key] = l
			o.wg.Add(1)
			go l.run(o.ctx)
		}
		l.push(it)
		o.opts.Metrics.queued(it)
	}
}

func (o *Outbox) channel(name string) delivery.Channel {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.channels[name]
}

func (o *Outbox) resolve(key laneKey) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for range 8 { // a chain of migrations, bounded against a loop
		next, ok := o.moved[key]
		if !ok {
			break
		}
		key.recipient = next
	}
	return key.recipient
}

// move remembers that key's recipient is now to, in the store too: after a restart the
// lane goes to the new address at once, not after one more failed send.
func (o *Outbox) move(key laneKey, to string) {
	if to == key.recipient {
		return
	}
	o.mu.Lock()
	o.moved[key] = to
	o.mu.Unlock()
	if err := o.opts.Store.SetMoved(store.Move{Channel: key.channel, From: key.recipient, To: to}); err != nil {
		o.log.Error("cannot store the recipient's new address; it is kept until a restart", "channel", key.channel, "from", key.recipient, "to", to, "err", err)
	}
}

// backoff is the wait before attempt n+1: exponential from MinBackoff, capped at
// MaxBackoff, with jitter over its upper half so that many lanes failing together (the
// provider is down) do not come back in lockstep.
func (o *Outbox) backoff(attempts int) time.Duration {
	t := o.timing.Load()
	d := t.MinBackoff
	for i := 1; i < attempts && d < t.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, t.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// lane sends one channel's items to one recipient, in order.
type lane struct {
	o      *Outbox
	key    laneKey
	wakeCh chan struct{}

	mu       sync.Mutex
	queue    []*store.Item
	lastSend time.Time
}

func (l *lane) push(it *store.Item) {
	l.mu.Lock()
	l.queue = append(l.queue, it)
	l.mu.Unlock()
	l.wake()
}

func (l *lane) wake() {
	select {
	case l.wakeCh <- struct{}{}:
	default:
	}
}

func (l *lane) head() *store.Item {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return nil
	}
	return l.queue[0]
}

func (l *lane) pop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue[0] = nil
	l.queue = l.queue[1:]
}

// snapshot returns the queued items' count and the oldest creation time.
func (l *lane) snapshot() (n int, oldest time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range l.queue {
		if oldest.IsZero() || it.Created.Before(oldest) {
			oldest = it.Created
		}
	}
	return len(l.queue), oldest
}

// sleep waits for d or a wake-up; false when ctx ended.
func (l *lane) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-l.wakeCh:
		return true
	}
}

func (l *lane) run(ctx context.Context) {
	defer l.o.wg.Done()
	for {
		it := l.head()
		if it == nil {
			select {
			case <-ctx.Done():
				return
			case <-l.wakeCh:
				continue
			}
		}
		now := time.Now()
		if wait := it.NextAt.Sub(now); wait > 0 {
			if !l.sleep(ctx, wait) {
				return
			}
			continue // woken early (reload): look again
		}
		ch := l.o.channel(it.Channel)
		if ch == nil {
			l.dead(it, "channel_removed", "channel "+it.Channel+" is no longer configured")
			continue
		}
		if maxAge := l.o.timing.Load().MaxAge; maxAge > 0 && now.Sub(it.Created) > maxAge {
			l.dead(it, "expired", "not delivered within max_age "+maxAge.String()+"; last error: "+it.Error)
			continue
		}
		recipient := l.o.resolve(l.key)
		if wait := l.lastSend.Add(ch.Interval(recipient)).Sub(now); wait > 0 {
			l.o.opts.Metrics.rateLimited(it.Channel)
			if !l.sleep(ctx, wait) {
				return
			}
			continue
		}
		if !l.send(ctx, ch, it, recipient) {
			return
		}
	}
}

// send makes one attempt; false when ctx ended during it.
func (l *lane) send(ctx context.Context, ch delivery.Channel, it *store.Item, recipient string) bool {
	job := &delivery.Job{ID: it.ID, Created: it.Created, Recipient: recipient, Message: it.Message, Text: it.Text, PartsSent: it.PartsSent, Attempts: it.Attempts}
	timeout := l.o.timing.Load().SendTimeout
	if tc, ok := ch.(delivery.TimeoutChannel); ok {
		timeout = max(timeout, tc.SendTimeout())
	}
	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	err := ch.Send(sendCtx, job)
	cancel()
	l.lastSend = time.Now()
	l.o.opts.Metrics.sendDone(it.Channel, ch.Kind(), err, time.Since(start))
	if job.MovedTo != "" && job.MovedTo != recipient {
		l.o.log.Warn("recipient moved: update the configuration", "channel", it.Channel, "from", recipient, "to", job.MovedTo)
		l.o.move(laneKey{l.key.channel, recipient}, job.MovedTo)
	}
	if err == nil {
		if derr := l.o.opts.Store.Delete(it.ID); derr != nil {
			// Sent but still stored: it would be sent again after a restart. Nothing better
			// can be done than to say so.
			l.o.log.Error("cannot remove a delivered item from the outbox", "id", it.ID, "err", derr)
		}
		l.pop()
		l.o.opts.Metrics.dequeued(it)
		return true
	}
	if ctx.Err() != nil {
		if job.PartsSent != it.PartsSent { // parts already delivered must not go again
			it.PartsSent = job.PartsSent
			if serr := l.o.opts.Store.Save(it); serr != nil {
				l.o.log.Error("cannot save the item's sent parts", "id", it.ID, "err", serr)
			}
		}
		return false // shutting down: the item stays stored and is retried after the restart
	}
	de := delivery.Classify(err)
	it.PartsSent = job.PartsSent
	it.Attempts++
	it.Reason, it.Error = de.Reason, de.Error()
	if de.Permanent {
		l.dead(it, de.Reason, de.Error())
		return true
	}
	wait := de.RetryAfter
	if wait <= 0 {
		wait = l.o.backoff(it.Attempts)
	}
	if job.MovedTo != "" {
		wait = 0 // the send failed only because the chat moved: try the new address now
	}
	it.NextAt = time.Now().Add(wait)
	l.o.opts.Metrics.retried(it.Channel, de.Reason)
	if it.Attempts == 1 || it.Attempts%10 == 0 {
		l.o.log.Warn("delivery failed, will retry", "channel", it.Channel, "recipient", recipient, "id", it.ID, "attempt", it.Attempts, "retry_in", wait.Round(time.Millisecond), "err", err)
	}
	if serr := l.o.opts.Store.Save(it); serr != nil {
		l.o.log.Error("cannot save the item's retry state", "id", it.ID, "err", serr)
	}
	return true
}

func (l *lane) dead(it *store.Item, reason, text string) {
	it.State, it.Reason, it.Error, it.Died = store.Dead, reason, text, time.Now()
	l.o.log.Error("delivery given up: dead letter", "channel", it.Channel, "recipient", it.Recipient, "id", it.ID, "reason", reason, "err", text)
	if err := l.o.opts.Store.Save(it); err != nil {
		l.o.log.Error("cannot save a dead letter", "id", it.ID, "err", err)
	}
	l.pop()
	l.o.opts.Metrics.dequeued(it)
	l.o.opts.Metrics.deadAdded(it.Channel)
	l.o.opts.Metrics.deadLetter(it.Channel, reason)
}

// Depth reports, per channel, the pending items and the oldest one's creation time.
func (o *Outbox) Depth() map[string]struct {
	Items  int
	Oldest time.Time
} {
	o.mu.Lock()
	lanes := make([]*lane, 0, len(o.lanes))
	for _, l := range o.lanes {
		lanes = append(lanes, l)
	}
	o.mu.Unlock()
	out := map[string]struct {
		Items  int
		Oldest time.Time
	}{}
	for _, l := range lanes {
		n, oldest := l.snapshot()
		d := out[l.key.channel]
		d.Items += n
		if !oldest.IsZero() && (d.Oldest.IsZero() || oldest.Before(d.Oldest)) {
			d.Oldest = oldest
		}
		out[l.key.channel] = d
	}
	return out
}

func (o *Outbox) channelNames() map[string]bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	names := make(map[string]bool, len(o.channels))
	for n := range o.channels {
		names[n] = true
	}
	return names
}

// ForgetDead removes the dead letters that died before cutoff (delivery.dead_retention
// ago) and returns how many.
func (o *Outbox) ForgetDead(cutoff time.Time) (int, error) {
	gone, err := o.opts.Store.ForgetDead(cutoff)
	for _, it := range gone {
		o.opts.Metrics.deadGone(it.Channel)
	}
	return len(gone), err
}

// Replay makes dead items pending again (all of them when ids is empty) and queues them.
// It returns copies, as they were revived: the lanes change the items they were given.
func (o *Outbox) Replay(ids []uint64) ([]*store.Item, error) {
	items, err := o.opts.Store.Revive(ids, time.Now())
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		o.opts.Metrics.deadGone(it.Channel)
	}
	out := make([]*store.Item, len(items))
	for i, it := range items {
		c := *it
		out[i] = &c
	}
	o.Add(items)
	return out, nil
}
