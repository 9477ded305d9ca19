package restore

import (
	"errors"
	"fmt"

	"github.com/rondanet/ronda/collector/failure"
	"github.com/rondanet/ronda/internal/promapi"
)

// Failure classifies why an operation did not complete, so a caller (the CLI's exit code, a
// webhook driving it) can tell what is worth retrying.
type Failure int

const (
	// Refused: bad input, or a history that cannot be trusted (Prometheus refused, warned
	// of partial data, series missing, a gap that cannot be bridged). Retrying as is will
	// not help.
	Refused Failure = 1
	// Incomplete: some writes failed, or another ronda-restore held the lock. Retry.
	Incomplete Failure = 2
	// Unreachable: the router or Prometheus could not be reached. Retry later.
	Unreachable Failure = 3
)

func (f Failure) String() string {
	switch f {
	case Refused:
		return "refused"
	case Incomplete:
		return "incomplete"
	case Unreachable:
		return "unreachable"
	}
	return fmt.Sprintf("failure(%d)", int(f))
}

// Error is an error with its Failure class.
type Error struct {
	Failure Failure
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// FailureOf is the class of err: the Failure of an *Error in its chain, else Refused.
func FailureOf(err error) Failure {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Failure
	}
	return Refused
}

// ErrLocked is returned by Apply while another process holds the ledger's lock.
var ErrLocked = errors.New("another ronda-restore is applying a restore (the ledger's lock is held)")

func refused(format string, args ...any) error {
	return &Error{Failure: Refused, Err: fmt.Errorf(format, args...)}
}

// promFailure classes an error from a Prometheus query.
func promFailure(err error) error {
	if qe, ok := errors.AsType[*promapi.Error](err); ok && qe.Unreachable {
		return &Error{Failure: Unreachable, Err: err}
	}
	return &Error{Failure: Refused, Err: err}
}

// routerFailure classes an error from a router command: wrong credentials, TLS trouble
// or a refused command need the operator; anything else is the router being away.
func routerFailure(router string, err error) error {
	err = fmt.Errorf("router %s: %w", router, err)
	if ce, ok := errors.AsType[*failure.Error](err); ok {
		switch ce.Reason {
		case failure.Auth, failure.TLS, failure.Config, failure.Device:
			return &Error{Failure: Refused, Err: err}
		}
	}
	return &Error{Failure: Unreachable, Err: err}
}
