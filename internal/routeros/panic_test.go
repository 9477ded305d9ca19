package routeros

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

// panicOnce is a session's connection whose next SetDeadline panics. It stands in for a bug
// anywhere in a command's exchange on the caller's goroutine (go-routeros parsing the reply,
// this package handling it): nothing a router sends is known to make go-routeros panic, and
// the library has no hook to make it.
type panicOnce struct {
	net.Conn
	armed atomic.Bool
}

const injectedPanic = "injected panic"

func (p *panicOnce) SetDeadline(t time.Time) error {
	if p.armed.CompareAndSwap(true, false) {
		panic(injectedPanic)
	}
	return p.Conn.SetDeadline(t)
}

func TestAPanicInACommandDropsTheSession(t *testing.T) {
	r := sim.NewRouter(sim.Options{Identity: "pasar", Username: "ronda", Password: "s3cret-Pa55"})
	if err := r.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	c := New(Config{Address: r.Addr(), Username: "ronda", Password: "s3cret-Pa55", BackoffMin: time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	identity := func() (string, error) {
		re, err := c.Print(ctx, "/system/identity", []string{"name"})
		if err != nil || len(re) != 1 {
			return "", err
		}
		return re[0].Map["name"], nil
	}

	if _, err := identity(); err != nil {
		t.Fatalf("first command: %v", err)
	}
	trap := &panicOnce{Conn: c.session.conn}
	trap.armed.Store(true)
	c.session.conn = trap

	func() {
		defer func() {
			// The panic must go on to the caller: the collector framework reports it.
			if p := recover(); p != injectedPanic {
				t.Errorf("recovered %v, want the command's panic passed on", p)
			}
		}()
		_, _ = identity()
	}()

	if name, err := identity(); err != nil || name != "pasar" {
		t.Fatalf("command after the panic: %q, %v", name, err)
	}
	if got := r.Logins(); got != 2 {
		t.Errorf("logins = %d, want 2: the session a panic interrupted must not be used again", got)
	}
}
