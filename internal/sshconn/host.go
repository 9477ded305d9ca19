package sshconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/backoff"
)

// Defaults for Config's zero values.
const (
	DefaultPort              = "22"
	DefaultMaxSessions       = 2
	DefaultKeepaliveInterval = 30 * time.Second
	DefaultIdleTimeout       = 10 * time.Minute
)

// Config says how to reach and log in to one host.
type Config struct {
	// Address is host:port.
	Address string
	User    string
	// Signer is the client's private key.
	Signer ssh.Signer
	// HostKeys verifies the host's key.
	HostKeys *HostKeys
	// HostKeyAlgorithms, when set, are the only host key algorithms accepted; otherwise
	// those of the keys known_hosts holds for the host are asked for first.
	HostKeyAlgorithms []string
	// MaxSessions bounds the sessions open at once on the connection (sshd's MaxSessions
	// defaults to 10, shared with the operator's own multiplexed sessions).
	MaxSessions int
	// KeepaliveInterval is how often an unused connection is checked; a peer that does
	// not answer within one interval is dropped. It is also how long a session past its
	// deadline may stay open before its connection is replaced (see linger).
	KeepaliveInterval time.Duration
	// IdleTimeout closes a connection nobody used for that long (a target scraped no more).
	IdleTimeout time.Duration
	// BackoffMin and BackoffMax bound the wait before dialling again after a failure.
	BackoffMin, BackoffMax time.Duration
	Logger                 *slog.Logger
}

// Host is one host's managed connection. It is safe for concurrent use.
type Host struct {
	cfg    Config
	logger *slog.Logger

	// sessions holds a token per session open, at most MaxSessions.
	sessions chan struct{}
	// dialTurn is held while dialling, so concurrent scrapes share one dial.
	dialTurn chan struct{}

	life context.Context
	kill context.CancelFunc

	mu       sync.Mutex
	client   *conn // nil when not connected
	lastUsed time.Time
	failures int
	retryAt  time.Time
	lastErr  error
	closed   bool
	dials    int
}

// conn is one SSH connection. Its fields are guarded by Host.mu.
type conn struct {
	*ssh.Client
	// open counts the sessions whose Run has not returned.
	open int
	// retired: no new session is opened on it (it is no longer Host.client), and it is
	// closed once open is 0.
	retired bool
}

// New returns a Host for cfg. It does not dial: the first Run does.
func New(cfg Config) *Host {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.KeepaliveInterval <= 0 {
		cfg.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		cfg.Address = net.JoinHostPort(cfg.Address, DefaultPort)
	}
	h := &Host{
		cfg:      cfg,
		logger:   cfg.Logger.With("address", cfg.Address),
		sessions: make(chan struct{}, cfg.MaxSessions),
		dialTurn: make(chan struct{}, 1),
	}
	h.life, h.kill = context.WithCancel(context.Background())
	return h
}

// Dials counts the connections made so far (tests and benchmarks check reuse with it).
func (h *Host) Dials() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dials
}

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("sshconn: host closed")

// Request is one remote command.
type Request struct {
	// Command is what the remote shell runs.
	Command string
	// Until, when set, ends the Run as soon as stdout holds it: the script's last marker.
	// A command that left a child holding stdout open then costs the scrape nothing (the
	// session keeps its slot until the server ends it; see finish).
	Until []byte
	// Limit caps stdout; more fails the run (reason protocol).
	Limit int
}

// Result is what a session printed.
type Result struct {
	Stdout []byte
	// Stderr is the tail of standard error, for the debug log.
	Stderr []byte
	// Reused says the session ran on a connection kept from an earlier Run.
	Reused bool
	// pooled says Stdout may go back to outputBuffers.
	pooled bool
	// lingers says the session outlived Run and took its slot along (see finish, linger).
	lingers bool
}

// outputBuffers recycles stdout buffers: a scrape's output is parsed into fresh strings
// and then dropped, every scrape, for every host.
var outputBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Release hands Stdout back for reuse by a later Run; neither Stdout nor anything sliced
// from it may be used afterwards. Calling it is optional.
func (r *Result) Release() {
	if r.pooled && cap(r.Stdout) <= 1<<20 {
		b := r.Stdout[:0]
		outputBuffers.Put(&b)
	}
	r.Stdout, r.pooled = nil, false
}

// Run opens a session (dialling first when there is no connection), runs req.Command and
// returns its output. ctx's deadline bounds everything. Errors carry a collector.Reason.
func (h *Host) Run(ctx context.Context, req Request) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, collector.Fail(collector.ReasonTimeout, err)
	}
	select {
	case h.sessions <- struct{}{}:
	case <-ctx.Done():
		return Result{}, collector.Fail(collector.ReasonTimeout,
			fmt.Errorf("%s: all %d sessions busy: %w", h.cfg.Address, h.cfg.MaxSessions, ctx.Err()))
	}
	// The slot goes back when Run returns, unless the session outlives it (see linger).
	lingers := false
	defer func() {
		if !lingers {
			<-h.sessions
		}
	}()

	client, reused, err := h.connect(ctx)
	if err != nil {
		return Result{}, err
	}
	res, err := h.session(ctx, client, req)
	if err != nil && reused && errors.Is(err, errStale) {
		// The kept connection died while idle (a reboot, a NAT timeout) before this
		// session opened: nothing ran, so one fresh connection is worth a try.
		h.logger.Debug("kept SSH connection was dead; reconnecting", "err", err)
		if client, _, err = h.connect(ctx); err != nil {
			return Result{}, err
		}
		res, err = h.session(ctx, client, req)
		reused = false
	}
	res.Reused, lingers = reused, res.lingers
	return res, err
}

var errStale = errors.New("connection lost before the session opened")

// connect returns the live client, dialling when there is none.
func (h *Host) connect(ctx context.Context) (c *conn, reused bool, err error) {
	if c := h.current(); c != nil {
		return c, true, nil
	}
	select {
	case h.dialTurn <- struct{}{}:
	case <-ctx.Done():
		return nil, false, collector.Fail(collector.ReasonTimeout, fmt.Errorf("%s: waiting for a dial: %w", h.cfg.Address, ctx.Err()))
	}
	defer func() { <-h.dialTurn }()
	if c := h.current(); c != nil { // another scrape dialled meanwhile
		return c, true, nil
	}
	h.mu.Lock()
	wait, last, closed := time.Until(h.retryAt), h.lastErr, h.closed
	h.mu.Unlock()
	if closed {
		return nil, false, collector.Fail(collector.ReasonOther, ErrClosed)
	}
	if wait > 0 {
		return nil, false, &BackoffError{Address: h.cfg.Address, Wait: wait, Last: last}
	}
	client, err := h.dial(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.failedLocked(err)
		return nil, false, err
	}
	if h.closed {
		client.Close()
		return nil, false, collector.Fail(collector.ReasonOther, ErrClosed)
	}
	c = &conn{Client: client}
	h.client, h.lastUsed = c, time.Now()
	h.dials++
	if h.failures > 0 {
		h.logger.Info("SSH connection recovered", "after_failures", h.failures)
	}
	h.failures, h.retryAt, h.lastErr = 0, time.Time{}, nil
	go h.watch(c)
	return c, false, nil
}

func (h *Host) current() *conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.client
}

func (h *Host) failedLocked(err error) {
	h.failures++
	wait := backoff.Jittered(h.failures, h.cfg.BackoffMin, h.cfg.BackoffMax)
	h.retryAt = time.Now().Add(wait)
	if h.lastErr == nil || h.lastErr.Error() != err.Error() {
		h.logger.Warn("SSH connection failed; backing off", "reason", string(reasonOf(err)), "retry_in", wait.Round(time.Millisecond), "err", err)
	}
	h.lastErr = err
}

// dial connects and logs in. The deadline is set on the TCP connection for the whole SSH
// handshake: ClientConfig.Timeout would bound only the TCP connect, and a host that
// accepts and then says nothing would hold the scrape forever.
func (h *Host) dial(ctx context.Context) (*ssh.Client, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopLife := context.AfterFunc(h.life, cancel)
	defer stopLife()

	check, err := h.cfg.HostKeys.callback()
	if err != nil {
		return nil, collector.Fail(collector.ReasonHostKey, err)
	}
	var hostKeyErr error
	algos := h.cfg.HostKeyAlgorithms
	if len(algos) == 0 {
		algos = h.cfg.HostKeys.Algorithms(h.cfg.Address)
	}
	config := &ssh.ClientConfig{
		User: h.cfg.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(h.cfg.Signer)},
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			hostKeyErr = check(hostname, remote, key)
			return hostKeyErr
		},
		HostKeyAlgorithms: algos,
		ClientVersion:     "SSH-2.0-ronda",
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", h.cfg.Address)
	if err != nil {
		return nil, classifyDial(ctx, h.cfg.Address, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	// Cancellation (Close) must interrupt the handshake too: an expired deadline does.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	c, chans, reqs, err := ssh.NewClientConn(conn, h.cfg.Address, config)
	if !stop() || err != nil {
		conn.Close()
		switch {
		case hostKeyErr != nil:
			return nil, collector.Fail(collector.ReasonHostKey, hostKeyErr)
		case err != nil && strings.Contains(err.Error(), "unable to authenticate"):
			return nil, collector.Fail(collector.ReasonAuth, fmt.Errorf("%s: user %s was refused with this key: %w", h.cfg.Address, h.cfg.User, err))
		case err == nil:
			err = ctx.Err()
		}
		err = classifyDial(ctx, h.cfg.Address, err)
		if reasonOf(err) == collector.ReasonOther {
			// Neither the network nor the clock: the peer spoke something that is not
			// SSH, or nothing both sides support.
			err = collector.Fail(collector.ReasonProtocol, errors.Unwrap(err))
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	h.logger.Info("SSH connection established", "user", h.cfg.User, "server", string(c.ServerVersion()))
	return ssh.NewClient(c, chans, reqs), nil
}

func classifyDial(ctx context.Context, address string, err error) error {
	err = fmt.Errorf("%s: %w", address, err)
	if ctx.Err() != nil {
		return collector.Fail(collector.ReasonTimeout, err)
	}
	return collector.Fail(collector.Classify(ctx, err), err)
}

// watch keeps the connection honest until it ends: keepalives catch a peer that went
// away without closing (a power cut), and a connection idle for IdleTimeout is closed.
func (h *Host) watch(client *conn) {
	ended := make(chan struct{})
	go func() {
		_ = client.Wait()
		close(ended)
	}()
	tick := time.NewTicker(h.cfg.KeepaliveInterval)
	defer tick.Stop()
	for {
		select {
		case <-ended:
			h.forget(client, "connection closed")
			return
		case <-tick.C:
		}
		h.mu.Lock()
		idle := client.open == 0 && time.Since(h.lastUsed) > h.cfg.IdleTimeout
		h.mu.Unlock()
		if idle {
			h.forget(client, "idle")
			client.Close()
			continue
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		select {
		case err := <-replied:
			if err == nil {
				continue
			}
		case <-time.After(h.cfg.KeepaliveInterval):
		case <-ended:
			continue
		}
		h.forget(client, "keepalive unanswered")
		client.Close()
	}
}

// forget drops client if it is still the current one.
func (h *Host) forget(client *conn, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forgetLocked(client, why)
}

func (h *Host) forgetLocked(client *conn, why string) {
	if h.client == client {
		h.client = nil
		if !h.closed {
			h.logger.Debug("SSH connection dropped", "why", why)
		}
	}
}

// drop closes client after an error that leaves it unusable.
func (h *Host) drop(client *conn) {
	h.forget(client, "error")
	client.Close()
}

// retire stops new sessions on client and closes it once the sessions running on it
// end, rather than breaking them.
func (h *Host) retire(client *conn, why string) {
	h.mu.Lock()
	h.forgetLocked(client, why)
	client.retired = true
	unused := client.open == 0
	h.mu.Unlock()
	if unused {
		client.Close()
	}
}

// Close ends the connection and makes later Runs fail with ErrClosed.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	client := h.client
	h.client = nil
	h.mu.Unlock()
	h.kill()
	if client != nil {
		return client.Close()
	}
	return nil
}

// BackoffError is returned while a recent failure says not to dial yet.
type BackoffError struct {
	Address string
	Wait    time.Duration
	Last    error
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("%s: not dialling for another %s after: %v", e.Address, e.Wait.Round(time.Millisecond), e.Last)
}

// Unwrap lets collector.Classify find the last failure's reason.
func (e *BackoffError) Unwrap() error { return e.Last }

func reasonOf(err error) collector.Reason {
	if e, ok := errors.AsType[*collector.Error](err); ok {
		return e.Reason
	}
	return collector.ReasonOther
}
