package routeros

import (
	"bufio"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/go-routeros/routeros/v3"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTime is where every ManualClock in these tests starts.
var testTime = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

const ioTimeout = 5 * time.Second

// startRouter returns a listening router that is closed when the test ends.
func startRouter(t *testing.T, opts Options) *Router {
	t.Helper()
	r := NewRouter(opts)
	if err := r.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// dialConn opens a TCP connection with a deadline: go-routeros ignores contexts in sync
// mode, so the deadline on the conn is what bounds every test.
func dialConn(t testing.TB, r *Router, timeout time.Duration) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", r.Addr(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(timeout))
	t.Cleanup(func() { nc.Close() })
	return nc
}

// newClient returns a go-routeros client, not logged in.
func newClient(t testing.TB, r *Router) *routeros.Client {
	t.Helper()
	c, err := routeros.NewClient(dialConn(t, r, ioTimeout))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login returns a go-routeros client logged in with the router's credentials.
func login(t testing.TB, r *Router) *routeros.Client {
	t.Helper()
	c := newClient(t, r)
	if err := c.Login(r.opts.Username, r.opts.Password); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// rawConn speaks the wire protocol byte by byte, for what go-routeros cannot express.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func newRawConn(t *testing.T, r *Router) *rawConn {
	nc := dialConn(t, r, ioTimeout)
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (rc *rawConn) send(words ...string) {
	rc.t.Helper()
	if _, err := rc.nc.Write(EncodeSentence(words...)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) read() []string {
	rc.t.Helper()
	words, err := ReadSentence(rc.br)
	if err != nil {
		rc.t.Fatalf("reading a sentence: %v", err)
	}
	return words
}

// readReply reads sentences up to and including !done (or a !fatal).
func (rc *rawConn) readReply() [][]string {
	rc.t.Helper()
	var out [][]string
	for {
		s := rc.read()
		out = append(out, s)
		if len(s) > 0 && (s[0] == "!done" || s[0] == "!fatal") {
			return out
		}
	}
}

func (rc *rawConn) login(r *Router) {
	rc.t.Helper()
	rc.send("/login", "=name="+r.opts.Username, "=password="+r.opts.Password)
	if got := rc.readReply(); len(got) != 1 || got[0][0] != "!done" {
		rc.t.Fatalf("login reply %q", got)
	}
}

// expectClosed checks the peer closed the connection (and sent nothing more).
func (rc *rawConn) expectClosed() {
	rc.t.Helper()
	words, err := ReadSentence(rc.br)
	if err == nil {
		rc.t.Fatalf("connection still open, got %q", words)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		rc.t.Fatalf("connection not closed: %v", err)
	}
}

// deviceError unwraps the !trap or !fatal sentence from a go-routeros error.
func deviceError(t *testing.T, err error) *routeros.DeviceError {
	t.Helper()
	var de *routeros.DeviceError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a device error", err, err)
	}
	return de
}
