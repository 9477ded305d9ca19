package routeros

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/go-routeros/routeros/v3"

	"github.com/rondanet/ronda/collector/failure"
	"github.com/rondanet/ronda/internal/backoff"
)

// Default API ports.
const (
	DefaultPort    = "8728"
	DefaultTLSPort = "8729"
)

// Config says how to reach and log in to one router.
type Config struct {
	// Address is host:port; without a port, 8728 (or 8729 with TLS) is used.
	Address  string
	Username string
	Password string
	// TLS, when set, speaks api-ssl. An empty ServerName is taken from Address.
	TLS *tls.Config
	// Logger receives connection events (dial, login, drops); nil discards them.
	Logger *slog.Logger
	// BackoffMin and BackoffMax bound the wait before dialling again after a failure;
	// zero means DefaultBackoffMin and DefaultBackoffMax.
	BackoffMin, BackoffMax time.Duration
}

// Conn is one persistent, managed API session with a router. It is safe for concurrent
// use; commands run one at a time, in the order the callers get their turn.
type Conn struct {
	cfg     Config
	address string
	logger  *slog.Logger

	// turn holds a token while a caller uses the session: a mutex a caller can stop
	// waiting for when its context ends.
	turn chan struct{}

	// life is cancelled by Close, to abandon a dial in progress.
	life context.Context
	kill context.CancelFunc

	// Used only by the holder of turn.
	session  *session
	failures int       // consecutive failures since the last successful command
	retryAt  time.Time // no dialling before this
	lastErr  error     // the failure that set retryAt

	// mu guards closed and live so Close can interrupt a command in flight.
	mu     sync.Mutex
	closed bool
	live   *session
}

// New returns a Conn for the router cfg describes. It does not dial: the first command does.
func New(cfg Config) *Conn {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	c := &Conn{
		cfg:     cfg,
		address: withDefaultPort(cfg.Address, cfg.TLS != nil),
		turn:    make(chan struct{}, 1),
	}
	c.logger = cfg.Logger.With("address", c.address)
	c.life, c.kill = context.WithCancel(context.Background())
	return c
}

func withDefaultPort(address string, useTLS bool) string {
	if _, _, err := net.SplitHostPort(address); err == nil {
		return address
	}
	port := DefaultPort
	if useTLS {
		port = DefaultTLSPort
	}
	return net.JoinHostPort(address, port)
}

// Address is the host:port the Conn dials.
func (c *Conn) Address() string { return c.address }

// Run sends one command (its words: the command, then =attribute=value and ?query words)
// and returns the whole reply. It dials and logs in first when there is no session. The
// context's deadline bounds everything, including waiting for another caller's command.
//
// A !trap reply returns a *TrapError (reason device) and keeps the session. Any other
// failure closes the session, since the stream may be out of step, and the next call dials
// again once the backoff has passed. Errors carry a failure.Reason.
//
// When a kept session turns out to have been closed by the router while idle (a reboot, a
// power cut) before any byte of the reply arrived, the command is sent once more on a fresh
// session. Commands that change the router must therefore be idempotent: set a value
// (limit-uptime=50m), never add to one.
func (c *Conn) Run(ctx context.Context, words ...string) (*routeros.Reply, error) {
	if len(words) == 0 {
		return nil, errors.New("routeros: Run needs a command")
	}
	if err := ctx.Err(); err != nil {
		// Nothing was tried: the session and the backoff stay as they are.
		return nil, failure.Fail(failure.Timeout, fmt.Errorf("%s %s: %w", c.address, words[0], err))
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	if c.isClosed() {
		return nil, failure.Fail(failure.Other, ErrClosed)
	}

	reused := c.session != nil
	if !reused {
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
	}
	reply, stale, err := c.exchange(ctx, words)
	if stale && reused {
		// The router closed the idle session (a reboot, a power cut, an API idle timeout)
		// before this command: nothing of it was answered, so one retry on a fresh session
		// is safe, and spares the first scrape after a reboot from failing.
		c.logger.Debug("idle RouterOS API session was closed by the router; reconnecting", "err", err)
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
		reply, stale, err = c.exchange(ctx, words)
	}
	if stale {
		// Hung up on again, or on a fresh session: a router that does this to every
		// command would be logged in to on every scrape without a backoff.
		c.failed(err)
	}
	return reply, err
}

// Close ends the session, interrupting a command in flight, and makes later calls fail with
// ErrClosed. It waits for the interrupted command to return.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	live := c.live
	c.mu.Unlock()

	c.kill()
	if live != nil {
		live.interrupt()
	}
	c.turn <- struct{}{}
	defer c.release()
	if c.session != nil {
		c.session.close()
		c.session = nil
	}
	return nil
}

func (c *Conn) acquire(ctx context.Context) error {
	select {
	case c.turn <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return failure.Fail(failure.Timeout,
			fmt.Errorf("%s: gave up waiting for the previous command on this router: %w", c.address, ctx.Err()))
	}
}

func (c *Conn) release() { <-c.turn }

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// connect dials and logs in, unless a recent failure says to wait.
func (c *Conn) connect(ctx context.Context) error {
	if wait := time.Until(c.retryAt); wait > 0 {
		return &BackoffError{Address: c.address, Wait: wait, Last: c.lastErr}
	}
	s, err := dial(ctx, c.life, c.cfg, c.address)
	if err != nil {
		if c.isClosed() {
			return failure.Fail(failure.Other, ErrClosed)
		}
		c.failed(err)
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.close()
		return failure.Fail(failure.Other, ErrClosed)
	}
	c.live = s
	c.mu.Unlock()
	c.session = s
	c.logger.Info("logged in to RouterOS API", "user", c.cfg.Username, "tls", c.cfg.TLS != nil)
	return nil
}

// exchange runs one command on the session. stale reports that the session turned out to
// be closed by the router before any byte of the reply arrived; such a failure is left
// for Do to count (it may retry it once first).
func (c *Conn) exchange(ctx context.Context, words []string) (reply *routeros.Reply, stale bool, err error) {
	s := c.session
	defer func() {
		if p := recover(); p != nil {
			// The collector framework recovers a scrape's panic and the router is scraped
			// again on this Conn: a session a panic left wherever the command had got to
			// must not serve the next command (it would read the rest of this reply as its
			// own). The panic goes on, for the framework to fail the scrape and log it.
			if c.session == s {
				c.drop()
			}
			panic(p)
		}
	}()
	before := s.guard.received
	reply, err = s.run(ctx, words)
	if err == nil {
		c.succeeded()
		return reply, false, nil
	}
	what := fmt.Sprintf("%s %s", c.address, words[0])
	if dev, ok := errors.AsType[*routeros.DeviceError](err); ok && dev.Sentence.Word == "!trap" && !s.guard.sawFatal {
		// The router answered in full; the session is in step.
		c.succeeded()
		return nil, false, failure.Fail(failure.Device, trapError(what, dev))
	}
	if c.isClosed() {
		c.drop()
		return nil, false, failure.Fail(failure.Other, ErrClosed)
	}
	err = classify(ctx, what, err, s.guard)
	stale = s.guard.received == before && ctx.Err() == nil && reasonOf(err) == failure.Connect
	c.drop()
	if !stale {
		c.failed(err)
	}
	return nil, stale, err
}

// drop closes the session after an error that may have left the stream out of step.
func (c *Conn) drop() {
	c.mu.Lock()
	c.live = nil
	c.mu.Unlock()
	c.session.close()
	c.session = nil
}

func (c *Conn) failed(err error) {
	c.failures++
	wait := backoff.Jittered(c.failures, c.cfg.BackoffMin, c.cfg.BackoffMax)
	c.retryAt = time.Now().Add(wait)
	if c.lastErr == nil || c.lastErr.Error() != err.Error() {
		// Log when the error changes, not on every failed attempt.
		c.logger.Warn("RouterOS API connection failed; backing off", "reason", string(reasonOf(err)), "retry_in", wait.Round(time.Millisecond), "err", err)
	}
	c.lastErr = err
}

func (c *Conn) succeeded() {
	if c.failures > 0 {
		c.logger.Info("RouterOS API connection recovered", "after_failures", c.failures)
	}
	c.failures, c.retryAt, c.lastErr = 0, time.Time{}, nil
}

// reasonOf is the reason an error of this package carries.
func reasonOf(err error) failure.Reason {
	if e, ok := errors.AsType[*failure.Error](err); ok {
		return e.Reason
	}
	return failure.Other
}
