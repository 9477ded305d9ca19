package failure

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestClassify: the reason given with Fail wins through any wrapping; otherwise what the
// error is decides, and a passed deadline is a timeout whatever it looks like.
func TestClassify(t *testing.T) {
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tt := range []struct {
		name string
		ctx  context.Context
		err  error
		want Reason
	}{
		{"no error", nil, nil, ""},
		{"given, wrapped", nil, fmt.Errorf("scrape: %w", Fail(Auth, errors.New("bad password"))), Auth},
		{"given wins over the deadline", expired, Failf(Device, "trap"), Device},
		{"deadline", nil, fmt.Errorf("read: %w", context.DeadlineExceeded), Timeout},
		{"closed by the deadline", expired, io.EOF, Timeout},
		{"refused", nil, refused, Connect},
		{"DNS", nil, &net.DNSError{Err: "no such host", Name: "router.invalid"}, Connect},
		{"reset", nil, fmt.Errorf("read: %w", syscall.ECONNRESET), Connect},
		{"cut short", nil, io.ErrUnexpectedEOF, Connect},
		{"certificate", nil, fmt.Errorf("handshake: %w", x509.UnknownAuthorityError{}), TLS},
		{"anything else", nil, errors.New("odd"), Other},
	} {
		if got := Classify(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: Classify = %q, want %q", tt.name, got, tt.want)
		}
	}
	if Fail(Auth, nil) != nil {
		t.Error("Fail of a nil error is not nil")
	}
}
