package routeros_test

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/routeros"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/testtool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testUser     = "ronda"
	testPassword = "s3cret-Pa55"
	// slack is what a failing call may take past its deadline: enough for a loaded CI
	// machine (tests share two CPUs with -race), small against the stalls it guards against.
	slack = 2 * time.Second
)

// startRouter runs a simulated router on loopback for the test.
func startRouter(t *testing.T, opts sim.Options) *sim.Router {
	t.Helper()
	if opts.Username == "" {
		opts.Username, opts.Password = testUser, testPassword
	}
	r := sim.NewRouter(opts)
	if err := r.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// newConn returns a Conn to addr with a tiny backoff, closed when the test ends, and the
// buffer its log goes to.
func newConn(t *testing.T, addr, password string) (*routeros.Conn, *testtool.LogBuffer) {
	t.Helper()
	logs := &testtool.LogBuffer{}
	c := routeros.New(routeros.Config{
		Address:    addr,
		Username:   testUser,
		Password:   password,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BackoffMin: time.Millisecond,
		BackoffMax: 5 * time.Millisecond,
	})
	t.Cleanup(func() {
		_ = c.Close()
		if strings.Contains(logs.String(), testPassword) {
			t.Errorf("the password appears in the log:\n%s", logs)
		}
	})
	return c, logs
}

func identity(ctx context.Context, c *routeros.Conn) (string, error) {
	re, err := c.Print(ctx, "/system/identity", []string{"name"})
	if err != nil {
		return "", err
	}
	if len(re) != 1 {
		return "", errors.New("no identity")
	}
	return re[0].Map["name"], nil
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually retries identity until it succeeds (the backoff is a few milliseconds).
func eventually(t *testing.T, c *routeros.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = identity(withTimeout(t, 2*time.Second), c); err == nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the connection did not recover: %v", err)
}

func TestOneLoginAcrossManyCommands(t *testing.T) {
	r := startRouter(t, sim.Options{Identity: "pasar"})
	c, logs := newConn(t, r.Addr(), testPassword)
	for i := range 25 {
		name, err := identity(withTimeout(t, 5*time.Second), c)
		if err != nil || name != "pasar" {
			t.Fatalf("command %d: identity = %q, %v", i, name, err)
		}
	}
	if got := r.Logins(); got != 1 {
		t.Errorf("router saw %d logins over 25 commands, want 1", got)
	}
	if !strings.Contains(logs.String(), "logged in") {
		t.Errorf("the login was not logged:\n%s", logs)
	}
}

func TestLegacyLogin(t *testing.T) {
	r := startRouter(t, sim.Options{LegacyLogin: true})
	c, _ := newConn(t, r.Addr(), testPassword)
	if _, err := identity(withTimeout(t, 5*time.Second), c); err != nil {
		t.Fatalf("identity over a pre-6.43 login: %v", err)
	}
}

func TestReconnectsAfterPowerLoss(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c, _ := newConn(t, r.Addr(), testPassword)
	if _, err := identity(withTimeout(t, 5*time.Second), c); err != nil {
		t.Fatal(err)
	}
	r.PowerLoss()
	// The router dropped the idle session; the very next command must still succeed.
	if _, err := identity(withTimeout(t, 5*time.Second), c); err != nil {
		t.Fatalf("first command after the power loss: %v", err)
	}
	if got := r.Logins(); got != 2 {
		t.Errorf("logins = %d, want 2 (one before the power loss, one after)", got)
	}
}

func TestRouterDownThenBack(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c, _ := newConn(t, r.Addr(), testPassword)
	r.PowerOff()
	_, err := identity(withTimeout(t, 5*time.Second), c)
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonConnect {
		t.Fatalf("identity on a powered-off router: reason %q (%v), want connect", reason, err)
	}
	r.PowerOn()
	eventually(t, c)
}

func TestClosedPortFailsWithConnect(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	c, _ := newConn(t, addr, testPassword)
	ctx := withTimeout(t, 2*time.Second)
	_, err = identity(ctx, c)
	if reason := collector.Classify(ctx, err); reason != collector.ReasonConnect {
		t.Fatalf("reason %q (%v), want connect", reason, err)
	}
}

func TestBackoffFailsFastAndKeepsTheReason(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c := routeros.New(routeros.Config{Address: addr, Username: testUser, Password: testPassword, BackoffMin: time.Hour})
	t.Cleanup(func() { _ = c.Close() })

	if _, err := identity(withTimeout(t, 2*time.Second), c); err == nil {
		t.Fatal("identity on a closed port succeeded")
	}
	// Something listens now, but the Conn must not dial before its backoff has passed.
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s was taken meanwhile: %v", addr, err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if nc, err := l.Accept(); err == nil {
			accepted <- struct{}{}
			_ = nc.Close()
		}
	}()
	_, err = identity(withTimeout(t, 2*time.Second), c)
	var backoff *routeros.BackoffError
	if !errors.As(err, &backoff) {
		t.Fatalf("second call: %v, want a *BackoffError", err)
	}
	if !strings.Contains(err.Error(), "not reconnecting") {
		t.Errorf("backoff error %q does not say it is backing off", err)
	}
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonConnect {
		t.Errorf("backoff error reason %q, want connect (from the last failure)", reason)
	}
	select {
	case <-accepted:
		t.Error("the Conn dialled while backing off")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestHangUpBeforeReplyBacksOff: a router that takes the login, then hangs up on every
// command before a byte of reply. The retry on a fresh session is tried once; after that
// the Conn backs off like after any failure, rather than logging in (a line in the
// router's log each time) on every scrape.
func TestHangUpBeforeReplyBacksOff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	logins := 0
	var served sync.WaitGroup
	served.Go(func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			served.Go(func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					words, err := sim.ReadSentence(br)
					if err != nil || len(words) == 0 || words[0] != "/login" {
						return // hang up without a byte of reply
					}
					mu.Lock()
					logins++
					mu.Unlock()
					if _, err := nc.Write(sim.EncodeSentence("!done")); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() { _ = l.Close(); served.Wait() })

	c := routeros.New(routeros.Config{Address: l.Addr().String(), Username: testUser, Password: testPassword, BackoffMin: time.Hour, BackoffMax: time.Hour})
	t.Cleanup(func() { _ = c.Close() })
	for range 10 {
		if _, err := identity(withTimeout(t, 2*time.Second), c); err == nil {
			t.Fatal("identity succeeded on a router that hangs up")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if logins != 1 {
		t.Errorf("10 failed commands with a 1h backoff logged in %d times, want 1", logins)
	}
}

func TestWrongPasswordIsAuth(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c, logs := newConn(t, r.Addr(), "not-the-password")
	ctx := withTimeout(t, 5*time.Second)
	_, err := identity(ctx, c)
	if reason := collector.Classify(ctx, err); reason != collector.ReasonAuth {
		t.Fatalf("reason %q (%v), want auth", reason, err)
	}
	if strings.Contains(err.Error(), "not-the-password") || strings.Contains(logs.String(), "not-the-password") {
		t.Errorf("the password leaked: error %q, log:\n%s", err, logs)
	}
	if !strings.Contains(err.Error(), "invalid user name or password") {
		t.Errorf("error %q does not pass on the router's reason", err)
	}
}

func TestTrapKeepsTheSession(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c, _ := newConn(t, r.Addr(), testPassword)
	ctx := withTimeout(t, 5*time.Second)
	_, err := c.Print(ctx, "/no/such/menu", []string{"name"})
	var trap *routeros.TrapError
	if !errors.As(err, &trap) {
		t.Fatalf("print of a missing menu: %v, want a *TrapError", err)
	}
	if reason := collector.Classify(ctx, err); reason != collector.ReasonDevice {
		t.Errorf("reason %q, want device", reason)
	}
	if !routeros.IsNoSuchCommand(err) {
		t.Errorf("IsNoSuchCommand(%v) = false", err)
	}
	if _, err := identity(ctx, c); err != nil {
		t.Fatalf("command after a trap: %v", err)
	}
	if got := r.Logins(); got != 1 {
		t.Errorf("logins = %d, want 1: a trap must not drop the session", got)
	}
}

func TestCountOnly(t *testing.T) {
	r := startRouter(t, sim.Options{})
	for _, name := range []string{"a", "b", "c"} {
		if err := r.AddUser(sim.User{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := newConn(t, r.Addr(), testPassword)
	n, err := c.CountOnly(withTimeout(t, 5*time.Second), "/ip/hotspot/user")
	if err != nil || n != 3 {
		t.Fatalf("CountOnly = %d, %v; want 3", n, err)
	}
}

func TestFaultsFailWithTheirReasonWithinTheDeadline(t *testing.T) {
	tests := []struct {
		fault sim.Fault
		want  collector.Reason
	}{
		{sim.FaultStall, collector.ReasonTimeout},
		{sim.FaultGarbage, collector.ReasonProtocol},
		{sim.FaultMalformedLength, collector.ReasonProtocol},
		{sim.FaultFatal, collector.ReasonDevice},
		{sim.FaultDropMidReply, collector.ReasonConnect},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			r := startRouter(t, sim.Options{})
			c, _ := newConn(t, r.Addr(), testPassword)
			if _, err := identity(withTimeout(t, 5*time.Second), c); err != nil {
				t.Fatal(err)
			}
			r.SetFault(tt.fault)
			const deadline = 300 * time.Millisecond
			ctx := withTimeout(t, deadline)
			start := time.Now()
			_, err := identity(ctx, c)
			took := time.Since(start)
			if err == nil {
				t.Fatalf("identity succeeded under fault %s", tt.fault)
			}
			if reason := collector.Classify(ctx, err); reason != tt.want {
				t.Errorf("reason %q (%v), want %q", reason, err, tt.want)
			}
			t.Logf("failed after %v: %v", took, err)
			if took > deadline+slack {
				t.Errorf("took %v, past the %v deadline", took, deadline)
			}
			r.SetFault(sim.FaultNone)
			eventually(t, c)
		})
	}
}

// TestFaultOnFreshConnection covers faults met during login rather than mid-session.
func TestFaultOnFreshConnection(t *testing.T) {
	for _, fault := range []sim.Fault{sim.FaultStall, sim.FaultGarbage, sim.FaultFatal} {
		t.Run(fault.String(), func(t *testing.T) {
			r := startRouter(t, sim.Options{})
			r.SetFault(fault)
			c, _ := newConn(t, r.Addr(), testPassword)
			const deadline = 300 * time.Millisecond
			ctx := withTimeout(t, deadline)
			start := time.Now()
			if _, err := identity(ctx, c); err == nil {
				t.Fatal("identity succeeded")
			} else if reason := collector.Classify(ctx, err); reason == collector.ReasonAuth || reason == collector.ReasonOther {
				t.Errorf("reason %q (%v): a broken router is not a credentials or unknown problem", reason, err)
			}
			if took := time.Since(start); took > deadline+slack {
				t.Errorf("took %v, past the %v deadline", took, deadline)
			}
			r.SetFault(sim.FaultNone)
			eventually(t, c)
		})
	}
}

func TestWaitingForTheTurnGivesUpAtTheDeadline(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c, _ := newConn(t, r.Addr(), testPassword)
	if _, err := identity(withTimeout(t, 5*time.Second), c); err != nil {
		t.Fatal(err)
	}
	r.SetFault(sim.FaultStall)
	stalled := make(chan error, 1)
	holder := withTimeout(t, 30*time.Second)
	go func() {
		_, err := identity(holder, c)
		stalled <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it take the turn

	ctx := withTimeout(t, 100*time.Millisecond)
	start := time.Now()
	_, err := identity(ctx, c)
	if reason := collector.Classify(ctx, err); reason != collector.ReasonTimeout {
		t.Errorf("waiting caller: reason %q (%v), want timeout", reason, err)
	}
	if took := time.Since(start); took > 100*time.Millisecond+slack {
		t.Errorf("waiting caller took %v to give up on a 100ms deadline", took)
	}
	r.SetFault(sim.FaultNone) // the stalled command now gets its answer
	if err := <-stalled; err != nil {
		t.Errorf("the command holding the turn: %v", err)
	}
}

func TestCloseInterruptsACommandInFlight(t *testing.T) {
	r := startRouter(t, sim.Options{})
	r.SetFault(sim.FaultStall)
	c := routeros.New(routeros.Config{Address: r.Addr(), Username: testUser, Password: testPassword})
	done := make(chan error, 1)
	go func() {
		_, err := identity(withTimeout(t, 30*time.Second), c)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	_ = c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, routeros.ErrClosed) {
			t.Errorf("interrupted command: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt the stalled command")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %v", took)
	}
	if _, err := identity(withTimeout(t, time.Second), c); !errors.Is(err, routeros.ErrClosed) {
		t.Errorf("command after Close: %v, want ErrClosed", err)
	}
}
