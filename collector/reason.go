package collector

import (
	"context"

	"github.com/rondanet/ronda/collector/failure"
)

// Reason says, from a small fixed set, why a scrape failed (failure.Reason).
type Reason = failure.Reason

// Error is a scrape error whose reason the collector knows (failure.Error).
type Error = failure.Error

// The reasons a scrape can fail (see collector/failure).
const (
	ReasonTimeout  = failure.Timeout
	ReasonConnect  = failure.Connect
	ReasonTLS      = failure.TLS
	ReasonAuth     = failure.Auth
	ReasonProtocol = failure.Protocol
	ReasonDevice   = failure.Device
	ReasonConfig   = failure.Config
	ReasonHostKey  = failure.HostKey
	ReasonOther    = failure.Other
)

// Reasons lists the reasons every kind exports, in order (failure.Reasons).
var Reasons = failure.Reasons

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

// Fail wraps err with the reason the scrape failed. A nil err stays nil.
func Fail(reason Reason, err error) error { return failure.Fail(reason, err) }

// Failf is Fail with a formatted error.
func Failf(reason Reason, format string, args ...any) error {
	return failure.Failf(reason, format, args...)
}

// Classify works out why a scrape failed (failure.Classify).
func Classify(ctx context.Context, err error) Reason { return failure.Classify(ctx, err) }
