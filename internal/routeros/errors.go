package routeros

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/go-routeros/routeros/v3"

	"github.com/rondanet/ronda/collector/failure"
)

// ErrClosed is returned by calls on a Conn after Close.
var ErrClosed = errors.New("routeros: connection closed")

// TrapError is a !trap reply: the router refused one command (missing menu, bad argument,
// no permission). The session stays usable.
type TrapError struct {
	Command  string
	Message  string
	Category string // "" when the router gave none; see FIELD-NOTES for the values
}

func (e *TrapError) Error() string {
	if e.Category != "" {
		return fmt.Sprintf("%s: router refused the command: %s (category %s)", e.Command, e.Message, e.Category)
	}
	return fmt.Sprintf("%s: router refused the command: %s", e.Command, e.Message)
}

// IsNoSuchCommand reports whether err is the router saying a menu or command does not exist
// (category 0, "no such command" or "no such command prefix"), as a router without the
// hotspot package answers /ip/hotspot prints.
func IsNoSuchCommand(err error) bool {
	trap, ok := errors.AsType[*TrapError](err)
	if !ok {
		return false
	}
	return strings.HasPrefix(trap.Message, "no such command") && (trap.Category == "" || trap.Category == "0")
}

// BackoffError is returned without touching the network while the Conn waits before
// dialling again. It wraps the error that started the wait, so its reason stays visible.
type BackoffError struct {
	Address string
	Wait    time.Duration // left before the next attempt
	Last    error
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("not reconnecting to %s for another %s after: %v", e.Address, e.Wait.Round(time.Millisecond), e.Last)
}

func (e *BackoffError) Unwrap() error { return e.Last }

// invalidWordPrefix starts the error go-routeros returns for a reply word it cannot parse
// (it has no error type for it); !fatal's bare reason word also ends up here.
const invalidWordPrefix = "invalid RouterOS sentence word"

// classify wraps an error from dialling, logging in or running a command with the reason a
// scrape failed. what says what was being done ("login", the command).
func classify(ctx context.Context, what string, err error, guard *frameGuard) error {
	if guard != nil {
		if ferr, ok := errors.AsType[*FramingError](err); ok {
			return failure.Fail(failure.Protocol, fmt.Errorf("%s: %w", what, ferr))
		}
		if reason, ok := guard.Fatal(); ok {
			return failure.Failf(failure.Device, "%s: router ended the session with !fatal: %s", what, ToUTF8(reason))
		}
	}
	if dev, ok := errors.AsType[*routeros.DeviceError](err); ok {
		if dev.Sentence.Word == "!fatal" {
			return failure.Failf(failure.Device, "%s: router ended the session with !fatal: %s", what, ToUTF8(dev.Sentence.Map["message"]))
		}
		return failure.Fail(failure.Device, trapError(what, dev))
	}
	if ctx.Err() != nil || isTimeout(err) {
		return failure.Fail(failure.Timeout, fmt.Errorf("%s: no answer within the deadline: %w", what, err))
	}
	if _, ok := errors.AsType[*routeros.UnknownReplyError](err); ok {
		return failure.Fail(failure.Protocol, fmt.Errorf("%s: %w", what, err))
	}
	if strings.HasPrefix(err.Error(), invalidWordPrefix) {
		return failure.Fail(failure.Protocol, fmt.Errorf("%s: %w", what, err))
	}
	if isConnectionGone(err) {
		return failure.Fail(failure.Connect, fmt.Errorf("%s: connection lost: %w", what, err))
	}
	return failure.Fail(failure.Other, fmt.Errorf("%s: %w", what, err))
}

func trapError(what string, dev *routeros.DeviceError) *TrapError {
	return &TrapError{
		Command:  what,
		Message:  ToUTF8(dev.Sentence.Map["message"]),
		Category: ToUTF8(dev.Sentence.Map["category"]),
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// isConnectionGone reports errors that mean the router (or something on the way) closed
// or reset the connection.
func isConnectionGone(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	_, ok := errors.AsType[*net.OpError](err)
	return ok
}
