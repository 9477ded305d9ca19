// Package payload decodes and checks Alertmanager's webhook notifications (payload version 4).
//
// Unknown fields are accepted: Alertmanager adds fields over time (truncatedAlerts,
// notification_reason, routeLabels…) and a relay that refused them would lose alerts after an
// Alertmanager upgrade. What is checked is only what delivery relies on.
package payload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Message is one webhook notification: a group of alerts with what they have in common.
type Message struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a notification. EndsAt is the zero time (0001-01-01) while firing.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Statuses of notifications and alerts.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Firing says whether the alert is firing.
func (a *Alert) Firing() bool { return a.Status == StatusFiring }

// Decode reads one notification from r and checks it. Its errors are meant for the sender
// (Alertmanager's log, or a person with curl): they say what is wrong in the payload.
func Decode(r io.Reader) (*Message, error) {
	dec := json.NewDecoder(r)
	var m Message
	if err := dec.Decode(&m); err != nil {
		return nil, &DecodeError{Message: "not an Alertmanager webhook payload: " + describeJSONError(err), Err: err}
	}
	if dec.More() {
		return nil, errors.New("not an Alertmanager webhook payload: more than one JSON value in the body")
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// DecodeError is a body that could not be read as JSON. Err is the cause (a
// *http.MaxBytesError when the body was too large).
type DecodeError struct {
	Message string
	Err     error
}

func (e *DecodeError) Error() string { return e.Message }
func (e *DecodeError) Unwrap() error { return e.Err }

// Check says what is missing or wrong for delivery.
func (m *Message) Check() error {
	if m.Version != "" && m.Version != "4" {
		return fmt.Errorf("payload version %q is not supported (Alertmanager's webhook sends version 4)", m.Version)
	}
	if m.Receiver == "" {
		return errors.New(`"receiver" is missing`)
	}
	if m.Status != StatusFiring && m.Status != StatusResolved {
		return fmt.Errorf(`"status" must be "firing" or "resolved", got %q`, m.Status)
	}
	if len(m.Alerts) == 0 {
		return errors.New(`"alerts" is empty: a notification carries at least one alert`)
	}
	for i := range m.Alerts {
		a := &m.Alerts[i]
		if a.Status != StatusFiring && a.Status != StatusResolved {
			return fmt.Errorf(`alerts[%d].status must be "firing" or "resolved", got %q`, i, a.Status)
		}
		if len(a.Labels) == 0 {
			return fmt.Errorf("alerts[%d] has no labels", i)
		}
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return err.Error()
}

// UnquoteReceiver undoes the regex quoting Alertmanager applies to receiver names in webhook
// payloads (`team.sms` arrives as `team\.sms`): every backslash escapes the next character.
func UnquoteReceiver(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}

// DedupKey identifies a notification's content: the same group (receiver and groupKey) in the
// same state with the same alerts (fingerprint, status, startsAt, and endsAt once resolved). Alertmanager's retries and an HA pair's second copy carry
// exactly this content, so they share the key; a change of any alert (a new one, one
// resolved, a restart with a new startsAt) makes a new key. A repeat_interval reminder also
// has the same key: the store forgets keys after the dedup window, which is kept shorter than
// any sane repeat interval, so reminders still go out.
func (m *Message) DedupKey() string {
	parts := make([]string, 0, len(m.Alerts))
	for _, a := range m.Alerts {
		id := a.Fingerprint
		if id == "" {
			id = labelsKey(a.Labels)
		}
		// A firing alert's endsAt is each Alertmanager's own estimate (resolve_timeout after
		// it last heard of the alert), so two HA peers differ on it: only a resolved
		// alert's endsAt is part of its identity.
		end := ""
		if a.Status == StatusResolved {
			end = a.EndsAt.UTC().Format(time.RFC3339Nano)
		}
		parts = append(parts, id+"|"+a.Status+"|"+a.StartsAt.UTC().Format(time.RFC3339Nano)+"|"+end)
	}
	// Alertmanager sorts alerts, but an HA peer is not guaranteed to in every version.
	slices.Sort(parts)
	h := sha256.New()
	for _, s := range append([]string{UnquoteReceiver(m.Receiver), m.GroupKey, m.Status}, parts...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func labelsKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q,", k, labels[k])
	}
	return b.String()
}

// WithAlerts is a copy of m carrying only alerts; the status follows them (firing when any is).
func (m *Message) WithAlerts(alerts []Alert) *Message {
	c := *m
	c.Alerts = alerts
	c.Status = StatusResolved
	for _, a := range alerts {
		if a.Firing() {
			c.Status = StatusFiring
			break
		}
	}
	return &c
}
