// Package delivery holds what the outbox and every channel kind share: the job of sending
// one notification to one recipient, the channel interface, and the error that tells the
// outbox whether to retry, wait or give up.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

// Job is one notification for one recipient of one channel.
type Job struct {
	// ID is the stored item's id: stable across retries and restarts.
	ID uint64
	// Created is when the item was stored, stable across retries and restarts; a dead
	// letter replayed by hand gets a new one (it is run anew).
	Created   time.Time
	Recipient string
	Message   *payload.Message
	// Text, when set, is the message already rendered as Telegram HTML (a scheduled
	// report); channels send it instead of rendering Message.
	Text string
	// PartsSent counts the parts of a split message already delivered: a retry sends only
	// the rest, so no part arrives twice. Channels update it as parts go out.
	PartsSent int
	// MovedTo is set by a channel when the recipient has a new address (a Telegram group
	// upgraded to a supergroup); the outbox stores it so retries and later jobs use it.
	MovedTo string
	// Attempts counts the attempts made before this one (0 on the first).
	Attempts int
}

// Channel sends notifications to its recipients.
type Channel interface {
	Name() string
	Kind() string
	// Recipients are the addresses one notification is sent to (chat ids, numbers, one
	// entry for a command).
	Recipients() []string
	// Interval is the minimum time between two sends to recipient (the provider's rate limit).
	Interval(recipient string) time.Duration
	// Send delivers job. Its error should be an *Error saying how to go on; any other error
	// is retried.
	Send(ctx context.Context, job *Job) error
}

// Error is a failed send, classified.
type Error struct {
	// Reason is a short fixed word for metrics and the dead letter list: http_429,
	// http_400, timeout, connection, template, …
	Reason string
	// Permanent errors are not retried: the item goes to the dead letters.
	Permanent bool
	// RetryAfter is the provider's own wait before the next attempt (Retry-After,
	// Telegram's parameters.retry_after); zero lets the outbox choose its backoff.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent makes an error that is not retried.
func Permanent(reason string, err error) *Error {
	return &Error{Reason: reason, Permanent: true, Err: err}
}

// Temporary makes an error that is retried, after retryAfter when it is not zero.
func Temporary(reason string, retryAfter time.Duration, err error) *Error {
	return &Error{Reason: reason, RetryAfter: retryAfter, Err: err}
}

// Classify turns err into an *Error; an unclassified error is temporary.
func Classify(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Temporary("timeout", 0, err)
	}
	return Temporary("error", 0, err)
}

// HTTPStatus classifies an HTTP answer the way every provider here needs: 2xx is success
// (nil); 429 and 5xx are retried, after Retry-After when given; 408 is retried; other 4xx
// (400 bad request, 401/403 bad credentials, 404 unknown recipient) are permanent, since
// sending the same request again cannot succeed. detail is the provider's own message.
func HTTPStatus(resp *http.Response, detail string) *Error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	reason := "http_" + strconv.Itoa(code)
	err := fmt.Errorf("HTTP %d: %s", code, detail)
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return Temporary(reason, RetryAfter(resp.Header.Get("Retry-After"), time.Now()), err)
	default:
		return Permanent(reason, err)
	}
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. Zero when absent or unreadable.
func RetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if s, err := strconv.Atoi(value); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(value); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TimeoutChannel is implemented by channels that need longer than the outbox's
// send_timeout for one send (a command with its own timeout).
type TimeoutChannel interface {
	SendTimeout() time.Duration
}

// Sharded is implemented by channels whose "recipients" depend on the notification: a
// command channel spreads notifications over its concurrency slots by group, so one
// group's notifications still run in order while different groups run in parallel.
type Sharded interface {
	RecipientsFor(m *payload.Message) []string
}
