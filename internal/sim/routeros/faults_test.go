package routeros

import (
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/go-routeros/routeros/v3"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestFaultStall(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	// A go-routeros client with its own short deadline gives up: the router read the
	// command and never answered.
	nc := dialConn(t, r, ioTimeout)
	impatient, err := routeros.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	if err := impatient.Login("admin", ""); err != nil {
		t.Fatal(err)
	}
	r.SetFault(FaultStall)
	nc.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := impatient.Run("/system/identity/print"); !isTimeout(err) {
		t.Fatalf("stalled command: %v, want a timeout", err)
	}

	// Logging in is a command too: it stalls as well.
	stalled := newRawConn(t, r)
	stalled.nc.SetDeadline(time.Now().Add(300 * time.Millisecond))
	stalled.send("/login", "=name=admin", "=password=")
	if _, err := ReadSentence(stalled.br); !isTimeout(err) {
		t.Fatalf("stalled read: %v, want a timeout", err)
	}

	// A stalled command is answered once the fault is cleared.
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		reply, err := c.Run("/ip/hotspot/user/print", "=.proplist=name")
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{n: len(reply.Re)}
	}()
	select {
	case res := <-done:
		t.Fatalf("answered while stalled: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	r.SetFault(FaultNone)
	if res := <-done; res.err != nil || res.n != 4 {
		t.Fatalf("after clearing: %+v", res)
	}
}

func TestFaultDropMidReply(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	rc := newRawConn(t, r)
	rc.login(r)
	r.SetFault(FaultDropMidReply)

	if _, err := c.Run("/ip/hotspot/user/print"); err == nil {
		t.Fatal("client read a cut reply without error")
	}

	rc.send("/ip/hotspot/user/print")
	var complete int
	var err error
	for {
		var words []string
		if words, err = ReadSentence(rc.br); err != nil {
			break
		}
		if words[0] != "!re" {
			t.Fatalf("unexpected %q", words)
		}
		complete++
	}
	if complete == 0 || complete >= 4 || err != io.ErrUnexpectedEOF {
		t.Fatalf("%d whole sentences then %v; want some !re then a word cut short", complete, err)
	}
}

func TestFaultsThatCloseTheConnection(t *testing.T) {
	tests := []struct {
		fault Fault
		check func(t *testing.T, rc *rawConn)
	}{
		{FaultFatal, func(t *testing.T, rc *rawConn) {
			if got := rc.read(); !slices.Equal(got, []string{"!fatal", "session terminated on request"}) {
				t.Fatalf("got %q", got)
			}
		}},
		{FaultMalformedLength, func(t *testing.T, rc *rawConn) {
			if b, err := rc.br.ReadByte(); err != nil || b < 0xF8 {
				t.Fatalf("first byte %#x, %v; want a reserved control byte", b, err)
			}
			if _, err := io.Copy(io.Discard, rc.br); err != nil {
				t.Fatal(err)
			}
		}},
		{FaultGarbage, func(t *testing.T, rc *rawConn) {
			if words, err := ReadSentence(rc.br); err != io.ErrUnexpectedEOF {
				t.Fatalf("garbage decoded as %q, %v", words, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			r := startRouter(t, Options{})
			c := login(t, r)
			rc := newRawConn(t, r)
			rc.login(r)
			r.SetFault(tt.fault)

			// The real client gets an error, not a hang (its conn has a deadline).
			_, err := c.Run("/system/identity/print")
			if err == nil || isTimeout(err) {
				t.Fatalf("client error %v, want a prompt failure", err)
			}
			rc.send("/system/identity/print")
			tt.check(t, rc)
			rc.expectClosed()

			// Clearing the fault makes the router healthy again.
			r.SetFault(FaultNone)
			c2 := login(t, r)
			if _, err := c2.Run("/system/identity/print"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFaultNames(t *testing.T) {
	for f := FaultNone; f <= FaultGarbage; f++ {
		if got, ok := ParseFault(f.String()); !ok || got != f {
			t.Errorf("ParseFault(%q) = %v, %v", f.String(), got, ok)
		}
	}
	if _, ok := ParseFault("meltdown"); ok {
		t.Error("unknown fault accepted")
	}
}
