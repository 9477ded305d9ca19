package sshconn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/sim/sshhost"
	"github.com/rondanet/ronda/internal/sshconn"
	"github.com/rondanet/ronda/internal/sshtest"
)

func hostFor(t *testing.T, s *sshtest.SSHD, tweak func(*sshconn.Config)) *sshconn.Host {
	t.Helper()
	data, err := os.ReadFile(s.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sshconn.Config{Address: s.Addr, User: s.User, Signer: signer,
		HostKeys: &sshconn.HostKeys{File: s.KnownHostsFile}, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	h := sshconn.New(cfg)
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func run(t *testing.T, h *sshconn.Host, timeout time.Duration, command string) (sshconn.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.Run(ctx, sshconn.Request{Command: command, Limit: 1 << 20})
}

func reason(err error) collector.Reason {
	var e *collector.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// TestHandshakeIsBounded: a server that accepts the TCP connection and then says nothing
// costs the scrape its deadline, not forever: the deadline covers the SSH handshake.
func TestHandshakeIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	h := sshconn.New(sshconn.Config{Address: ln.Addr().String(), User: "u", HostKeys: &sshconn.HostKeys{Insecure: true}})
	defer h.Close()
	start := time.Now()
	_, err = run(t, h, 300*time.Millisecond, "true")
	if reason(err) != collector.ReasonTimeout {
		t.Errorf("err %v (reason %q), want a timeout", err, reason(err))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
}

// TestReuseAndTimeouts against the real sshd: several runs share one login; a command
// that outlives the deadline fails with timeout and the connection is still reused.
func TestReuseAndTimeouts(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, nil)
	for i := range 3 {
		res, err := run(t, h, 10*time.Second, "echo hello")
		if err != nil || string(res.Stdout) != "hello\n" || res.Reused != (i > 0) {
			t.Fatalf("run %d: %q reused=%v %v", i, res.Stdout, res.Reused, err)
		}
	}
	_, err := run(t, h, 500*time.Millisecond, "sleep 30")
	if reason(err) != collector.ReasonTimeout {
		t.Fatalf("hanging command: %v", err)
	}
	res, err := run(t, h, 10*time.Second, "echo again")
	if err != nil || string(res.Stdout) != "again\n" || !res.Reused {
		t.Fatalf("after a timeout: %q reused=%v %v", res.Stdout, res.Reused, err)
	}
	if h.Dials() != 1 || s.Logins() != 1 {
		t.Errorf("%d dials, %d logins, want 1", h.Dials(), s.Logins())
	}
}

// TestUntilEndsTheSession: once the end marker is read the session is done, even though a
// background child still holds stdout open.
func TestUntilEndsTheSession(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	res, err := h.Run(ctx, sshconn.Request{Command: "sleep 60 & echo out; echo END", Until: []byte("END\n"), Limit: 1 << 20})
	if err != nil || string(res.Stdout) != "out\nEND\n" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("waited %s for the background child", took)
	}
	// Without the marker the script's end is an error, never a silent half output.
	_, err = h.Run(ctx, sshconn.Request{Command: "echo partial", Until: []byte("END\n"), Limit: 1 << 20})
	if reason(err) != collector.ReasonProtocol {
		t.Errorf("missing marker: %v", err)
	}
	_, err = h.Run(ctx, sshconn.Request{Command: "head -c 5000 /dev/zero", Limit: 1000})
	if reason(err) != collector.ReasonProtocol || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("over the limit: %v", err)
	}
}

// TestSessionLimit: with MaxSessions 1, a second run waits for the first, and gives up
// at its own deadline.
func TestSessionLimit(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, func(c *sshconn.Config) { c.MaxSessions = 1 })
	if _, err := run(t, h, 10*time.Second, "true"); err != nil {
		t.Fatal(err)
	}
	flag := filepath.Join(t.TempDir(), "started")
	done := make(chan error, 1)
	go func() {
		_, err := run(t, h, 30*time.Second, "touch "+flag+"; sleep 3")
		done <- err
	}()
	for { // until the first holds the only session
		if _, err := os.Stat(flag); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := run(t, h, 300*time.Millisecond, "true")
	if reason(err) != collector.ReasonTimeout || !strings.Contains(err.Error(), "sessions busy") {
		t.Errorf("second session: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("first session: %v", err)
	}
}

// TestIdleEviction: a connection unused for IdleTimeout is closed; the next run dials.
func TestIdleEviction(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, func(c *sshconn.Config) {
		c.IdleTimeout = 200 * time.Millisecond
		c.KeepaliveInterval = 100 * time.Millisecond
	})
	if _, err := run(t, h, 10*time.Second, "true"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := run(t, h, 10*time.Second, "true")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reused {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle connection was never closed")
		}
		time.Sleep(400 * time.Millisecond)
	}
	if h.Dials() != 2 {
		t.Errorf("%d dials, want 2", h.Dials())
	}
}

// TestBackoff: after a failed dial, the next run within the backoff fails at once with
// the last failure's reason, without dialling.
func TestBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := sshconn.New(sshconn.Config{Address: addr, User: "u", HostKeys: &sshconn.HostKeys{Insecure: true},
		BackoffMin: time.Hour, BackoffMax: time.Hour})
	defer h.Close()
	_, err = run(t, h, 5*time.Second, "true")
	if reason(err) != collector.ReasonConnect {
		t.Fatalf("first: %v", err)
	}
	_, err = run(t, h, 5*time.Second, "true")
	var backoff *sshconn.BackoffError
	if !errors.As(err, &backoff) || reason(err) != collector.ReasonConnect {
		t.Errorf("second: %v", err)
	}
}

// TestExecNeverAnswered: a server that opens the session but never runs the command (no
// output, no exit) costs the run its deadline, not forever.
func TestExecNeverAnswered(t *testing.T) {
	sim := sshhost.New(sshhost.Options{})
	if err := sim.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.SetFault(sshhost.FaultStallExec); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	h := sshconn.New(sshconn.Config{Address: sim.Addr(), User: "u", Signer: signer, HostKeys: &sshconn.HostKeys{Insecure: true}})
	defer h.Close()
	done := make(chan error, 1)
	go func() {
		_, err := run(t, h, 300*time.Millisecond, "true")
		done <- err
	}()
	select {
	case err := <-done:
		if reason(err) != collector.ReasonTimeout {
			t.Errorf("err %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its deadline")
	}
}

// TestExitAndStderr: how a command ended reaches the error, with the last line of its
// stderr, and stderr is kept apart from stdout.
func TestExitAndStderr(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, nil)
	res, err := run(t, h, 10*time.Second, "echo out; echo err >&2")
	if err != nil || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Fatalf("stdout %q stderr %q: %v", res.Stdout, res.Stderr, err)
	}
	for _, tt := range []struct{ command, want string }{
		{"echo half; echo 'sh: 1: cannot fork' >&2; exit 3", "exited with status 3 before finishing: sh: 1: cannot fork"},
		{"echo half; kill -TERM $$", "killed by signal TERM"},
		{"echo half", "ended without its last marker"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := h.Run(ctx, sshconn.Request{Command: tt.command, Until: []byte("END\n"), Limit: 1 << 20})
		cancel()
		if reason(err) != collector.ReasonProtocol || !strings.Contains(err.Error(), tt.want) || string(res.Stdout) != "half\n" {
			t.Errorf("%s: stdout %q: %v, want %q", tt.command, res.Stdout, err, tt.want)
		}
	}
	if h.Dials() != 1 {
		t.Errorf("%d dials, want 1: a failed command costs the session, not the connection", h.Dials())
	}
}

// TestSilentTimedOutCommandsRetireTheConnection: sshd keeps a session until its command
// exits, and a command that writes nothing never notices the close sent at the deadline.
// Ten of them fill sshd's MaxSessions; the connection is then replaced (after one
// keepalive interval without the close answered) instead of having every later session
// refused.
func TestSilentTimedOutCommandsRetireTheConnection(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, func(c *sshconn.Config) {
		c.MaxSessions = 10
		c.KeepaliveInterval = time.Second
	})
	var wg sync.WaitGroup
	for range 10 { // sshd's default MaxSessions, on one connection (the first run dials)
		wg.Go(func() {
			// Short, so that nothing is left running long after the test.
			if _, err := run(t, h, time.Second, "sleep 6"); reason(err) != collector.ReasonTimeout {
				t.Errorf("silent command: %v", err)
			}
		})
	}
	wg.Wait()
	start := time.Now()
	res, err := run(t, h, 15*time.Second, "echo ok")
	if err != nil || string(res.Stdout) != "ok\n" {
		t.Fatalf("after ten silent timed-out commands: %q %v", res.Stdout, err)
	}
	if res.Reused || h.Dials() != 2 {
		t.Errorf("reused=%v, %d dials: want the connection replaced", res.Reused, h.Dials())
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %s: the sleeps ended before the connection was replaced", took)
	}
}

// TestTimedOutSessionKeepsItsSlotUntilClosed: a timed-out session keeps its slot until
// the server confirms the close, which it does at once for a command that writes (it dies
// of SIGPIPE): the next run then gets the slot without waiting for the keepalive
// interval, on the same connection.
func TestTimedOutSessionKeepsItsSlotUntilClosed(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	h := hostFor(t, s, func(c *sshconn.Config) {
		c.MaxSessions = 1
		c.KeepaliveInterval = time.Minute
	})
	if _, err := run(t, h, 10*time.Second, "true"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, h, 300*time.Millisecond, "while echo x; do sleep 0.1; done"); reason(err) != collector.ReasonTimeout {
		t.Fatalf("chatty command: %v", err)
	}
	res, err := run(t, h, 10*time.Second, "echo again")
	if err != nil || string(res.Stdout) != "again\n" || !res.Reused || h.Dials() != 1 {
		t.Errorf("after a timed-out command that writes: %q reused=%v, %d dials: %v", res.Stdout, res.Reused, h.Dials(), err)
	}
}

// TestSessionsBackToBackAtSSHDsLimit: with max_sessions equal to sshd's MaxSessions,
// a session opened as soon as another one's Run returned must not be refused. sshd counts
// a session until it has reaped its command and handled the client's close, which a Run
// that ends at the script's last marker does not wait for.
func TestSessionsBackToBackAtSSHDsLimit(t *testing.T) {
	for _, tc := range []struct {
		name              string
		sshd, maxSessions int
		rounds            int // each runs maxSessions sessions at once
	}{
		{"sshd default, max_sessions 10", 0, 10, 10},
		{"MaxSessions 1, one at a time", 1, 1, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sshtest.Start(t, sshtest.Options{MaxSessions: tc.sshd})
			h := hostFor(t, s, func(c *sshconn.Config) { c.MaxSessions = tc.maxSessions })
			var mu sync.Mutex
			var failures []error
			for range tc.rounds {
				var wg sync.WaitGroup
				for range tc.maxSessions {
					wg.Go(func() {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						res, err := h.Run(ctx, sshconn.Request{Command: "echo @@end", Until: []byte("@@end\n"), Limit: 1 << 10})
						if err == nil && !strings.HasSuffix(string(res.Stdout), "@@end\n") {
							err = errors.New("output " + string(res.Stdout))
						}
						if err != nil {
							mu.Lock()
							failures = append(failures, err)
							mu.Unlock()
						}
					})
				}
				wg.Wait()
			}
			if len(failures) > 0 {
				t.Errorf("%d of %d sessions failed, first: %v", len(failures), tc.rounds*tc.maxSessions, failures[0])
			}
			if h.Dials() != 1 {
				t.Errorf("%d dials, want the one connection throughout", h.Dials())
			}
		})
	}
}
