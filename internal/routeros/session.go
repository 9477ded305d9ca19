package routeros

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/go-routeros/routeros/v3"

	"github.com/rondanet/ronda/collector/failure"
)

// session is one logged-in API connection.
type session struct {
	conn   net.Conn
	guard  *frameGuard
	client *routeros.Client
}

// longAgo is a deadline in the past: setting it makes blocked reads and writes return now.
var longAgo = time.Unix(1, 0)

// dial connects to the router and logs in, all within ctx; life ending (Close) abandons it.
func dial(ctx, life context.Context, cfg Config, address string) (*session, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(life, cancel)
	defer stop()

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		if ctx.Err() != nil || isTimeout(err) {
			return nil, failure.Fail(failure.Timeout, fmt.Errorf("connect to %s: %w", address, err))
		}
		return nil, failure.Fail(failure.Connect, fmt.Errorf("connect to %s: %w", address, err))
	}
	conn := raw
	if cfg.TLS != nil {
		tc := tls.Client(raw, tlsConfigFor(cfg.TLS, address))
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			if ctx.Err() != nil || isTimeout(err) {
				return nil, failure.Fail(failure.Timeout, fmt.Errorf("TLS handshake with %s got no answer in time (is it the api-ssl port?): %w", address, err))
			}
			return nil, failure.Fail(failure.TLS, fmt.Errorf("TLS handshake with %s (api-ssl needs a certificate on the router): %w", address, err))
		}
		conn = tc
	}

	guard := newFrameGuard(conn)
	client, err := routeros.NewClient(guardedConn{Reader: guard, Writer: conn, Closer: conn})
	if err != nil {
		_ = conn.Close()
		return nil, failure.Fail(failure.Other, fmt.Errorf("%s: %w", address, err))
	}
	// The library logs to stdout by default, at debug every sentence it sends: the
	// password in /login among them.
	client.SetLogHandler(slog.DiscardHandler)
	s := &session{conn: conn, guard: guard, client: client}

	err = withDeadline(ctx, conn, func() error { return client.Login(cfg.Username, cfg.Password) })
	if err != nil {
		s.close()
		return nil, loginError(ctx, address, cfg.Username, err, guard)
	}
	return s, nil
}

// guardedConn reads through the frame guard and writes and closes the connection itself.
type guardedConn struct {
	io.Reader
	io.Writer
	io.Closer
}

func tlsConfigFor(base *tls.Config, address string) *tls.Config {
	cfg := base.Clone()
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			cfg.ServerName = host
		}
	}
	return cfg
}

func loginError(ctx context.Context, address, username string, err error, guard *frameGuard) error {
	what := fmt.Sprintf("%s login as %q", address, username)
	if dev, ok := errors.AsType[*routeros.DeviceError](err); ok && dev.Sentence.Word == "!trap" {
		// "invalid user name or password (6)", or "not allowed" when the user's group lacks
		// the api policy: either way the credentials are refused.
		return failure.Fail(failure.Auth, trapError(what, dev))
	}
	if errors.Is(err, routeros.ErrNoChallengeReceived) || errors.Is(err, routeros.ErrInvalidChallengeReceived) {
		return failure.Fail(failure.Protocol, fmt.Errorf("%s: %w", what, err))
	}
	return classify(ctx, what, err, guard)
}

// run sends one command and reads its reply within ctx.
func (s *session) run(ctx context.Context, words []string) (*routeros.Reply, error) {
	var reply *routeros.Reply
	err := withDeadline(ctx, s.conn, func() error {
		var err error
		reply, err = s.client.RunArgs(words)
		return err
	})
	return reply, err
}

// interrupt makes a command in flight fail at once; safe to call from another goroutine.
func (s *session) interrupt() { _ = s.conn.Close() }

func (s *session) close() { _ = s.client.Close() }

// withDeadline runs fn with ctx's deadline on the connection. go-routeros does not watch
// contexts in sync mode, so the deadline is what bounds each read and write; a context
// cancelled early moves the deadline into the past.
func withDeadline(ctx context.Context, conn net.Conn, fn func() error) error {
	deadline, _ := ctx.Deadline() // the zero time (no deadline) when ctx has none
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(longAgo)
		close(fired)
	})
	err := fn()
	if !stop() {
		// Wait, so the past deadline cannot land on the next command.
		<-fired
	}
	return err
}
