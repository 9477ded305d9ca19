// Package failure says why a scrape failed, from a small fixed set of reasons: the errors
// of the protocol packages (internal/routeros) and of every collector carry one. It is
// apart from the collector framework so that those packages, and ronda-restore through
// them, need nothing of the framework.
package failure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// Reason says, from a small fixed set, why a scrape failed. It is a label value on
// `<kind>_scrape_failure_reason` and `ronda_exporter_scrape_errors_total`, so the set must
// stay small and fixed: error text goes to the log, never into a label.
type Reason string

// The reasons a scrape can fail.
const (
	// Timeout: the deadline passed (the device stalled or is too slow).
	Timeout Reason = "timeout"
	// Connect: the device could not be reached (refused, no route, DNS, reset, closed).
	Connect Reason = "connect"
	// TLS: the TLS handshake or certificate verification failed.
	TLS Reason = "tls"
	// Auth: the device refused the credentials.
	Auth Reason = "auth"
	// Protocol: the device answered something that cannot be understood.
	Protocol Reason = "protocol"
	// Device: the device understood the request and answered with an error.
	Device Reason = "device"
	// Config: the target's configuration cannot be used (a missing password file).
	Config Reason = "config"
	// HostKey: the host's key does not match the one known for it (SSH).
	HostKey Reason = "hostkey"
	// Other: anything else.
	Other Reason = "other"
)

// Reasons lists the reasons every kind exports, in order. A kind with reasons of its own
// (SSH's hostkey) lists its set (collector.ReasonLister).
var Reasons = []Reason{
	Timeout, Connect, TLS, Auth,
	Protocol, Device, Config, Other,
}

// Error is a scrape error whose reason the collector knows.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Fail wraps err with the reason the scrape failed. A nil err stays nil.
func Fail(reason Reason, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Reason: reason, Err: err}
}

// Failf is Fail with a formatted error.
func Failf(reason Reason, format string, args ...any) error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// Classify works out why a scrape failed: the reason given with Fail wins; otherwise a
// passed deadline is a timeout (even when it shows as a closed connection, because the
// deadline is what closed it), TLS failures are tls, and network failures are connect.
func Classify(ctx context.Context, err error) Reason {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) || (ctx != nil && ctx.Err() != nil) {
		return Timeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return Timeout
	}
	if isTLSError(err) {
		return TLS
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return Connect
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return Connect
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return Connect
	}
	return Other
}

func isTLSError(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	return false
}
