package collector

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
	// ReasonTimeout: the deadline passed (the device stalled or is too slow).
	ReasonTimeout Reason = "timeout"
	// ReasonConnect: the device could not be reached (refused, no route, DNS, reset, closed).
	ReasonConnect Reason = "connect"
	// ReasonTLS: the TLS handshake or certificate verification failed.
	ReasonTLS Reason = "tls"
	// ReasonAuth: the device refused the credentials.
	ReasonAuth Reason = "auth"
	// ReasonProtocol: the device answered something that cannot be understood.
	ReasonProtocol Reason = "protocol"
	// ReasonDevice: the device understood the request and answered with an error.
	ReasonDevice Reason = "device"
	// ReasonConfig: the target's configuration cannot be used (a missing password file).
	ReasonConfig Reason = "config"
	// ReasonHostKey: the host's key does not match the one known for it (SSH).
	ReasonHostKey Reason = "hostkey"
	// ReasonOther: anything else.
	ReasonOther Reason = "other"
)

// Reasons lists the reasons every kind exports, in order. A kind with reasons of its own
// (SSH's hostkey) lists its set by implementing ReasonLister.
var Reasons = []Reason{
	ReasonTimeout, ReasonConnect, ReasonTLS, ReasonAuth,
	ReasonProtocol, ReasonDevice, ReasonConfig, ReasonOther,
}

// ReasonLister is implemented by a Collector whose failures have reasons beyond Reasons.
// Its `<kind>_scrape_failure_reason` and error counters cover exactly the listed reasons;
// a failure with a reason not listed counts as other.
type ReasonLister interface {
	Reasons() []Reason
}

// reasonsOf is the reason set a collector exports.
func reasonsOf(c Collector) []Reason {
	if l, ok := c.(ReasonLister); ok {
		return l.Reasons()
	}
	return Reasons
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
		return ReasonTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return ReasonTimeout
	}
	if isTLSError(err) {
		return ReasonTLS
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return ReasonConnect
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return ReasonConnect
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return ReasonConnect
	}
	return ReasonOther
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
