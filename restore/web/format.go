package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// humanDuration writes d the way an operator reads it on a phone: "1d 2h 3m 4s", largest
// unit first, zero units left out, whole seconds (the history is only as exact as one
// scrape interval). Durations under a second but not zero read "<1s" so a real loss never
// shows as nothing.
func humanDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign = "-"
		d = -d
	}
	if d < time.Second {
		return sign + "<1s"
	}
	s := int64(d / time.Second)
	parts := make([]string, 0, 4)
	for _, u := range []struct {
		secs   int64
		suffix string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if n := s / u.secs; n > 0 {
			parts = append(parts, strconv.FormatInt(n, 10)+u.suffix)
			s -= n * u.secs
		}
	}
	return sign + strings.Join(parts, " ")
}

// selection is what links and forms carry: the restore point's identity (the time of the
// scrape the plan reads and, for an abrupt reboot, the boot time after it) and the
// operator's planning choices. Nothing else of a point or a plan travels through the
// browser; the server finds the point again from these and re-plans.
type selection struct {
	At   time.Time
	Boot time.Time // zero for a time the operator chose
	// Force includes users whose limit changed since the reboot.
	Force bool
	// MaxGap accepts a point whose gap Prometheus did not see the router fail in
	// (restore.PlanOptions.MaxGap); zero is the Service's default.
	MaxGap time.Duration
}

// maxGapLimit bounds max_gap: a point unseen for more than a day is not one to trust.
const maxGapLimit = 24 * time.Hour

// stampLayout is RFC 3339 in UTC with milliseconds: exact for Prometheus timestamps
// and still readable in a URL.
const stampLayout = "2006-01-02T15:04:05.000Z07:00"

func formatStamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// values encodes the selection as query parameters (the choices only when made).
func (s selection) values() url.Values {
	v := url.Values{"at": {formatStamp(s.At)}}
	if !s.Boot.IsZero() {
		v.Set("boot", formatStamp(s.Boot))
	}
	if s.Force {
		v.Set("force", "1")
	}
	if s.MaxGap > 0 {
		v.Set("max_gap", strconv.FormatInt(int64((s.MaxGap+time.Second-1)/time.Second), 10))
	}
	return v
}

// errBadInput marks a request whose parameters are wrong (400), as opposed to a failure of
// Prometheus or the router.
var errBadInput = errors.New("bad request")

// parseSelection reads a selection from a form. "at" is either an exact RFC 3339 stamp
// (links made by this page) or a local date and time typed into the page's datetime-local
// field ("2026-11-24T13:05", seconds optional), read in loc.
func parseSelection(form url.Values, loc *time.Location) (selection, error) {
	var id selection
	id.Force = formBool(form, "force")
	if g := form.Get("max_gap"); g != "" {
		secs, err := strconv.ParseInt(g, 10, 64)
		if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxGapLimit {
			return id, fmt.Errorf("%w: max_gap=%q: give whole seconds from 1 to %d", errBadInput, g, int64(maxGapLimit/time.Second))
		}
		id.MaxGap = time.Duration(secs) * time.Second
	}
	at, err := parseTime(form.Get("at"), loc)
	if err != nil {
		return id, fmt.Errorf("%w: restore point time: %w", errBadInput, err)
	}
	// Links carry milliseconds, Prometheus's resolution: a finer time would not survive them.
	id.At = at.Truncate(time.Millisecond)
	if b := form.Get("boot"); b != "" {
		boot, err := time.Parse(time.RFC3339Nano, b)
		boot = boot.Truncate(time.Millisecond)
		if err != nil {
			return id, fmt.Errorf("%w: boot time %q is not an RFC 3339 time", errBadInput, b)
		}
		if !boot.After(id.At) {
			return id, fmt.Errorf("%w: boot time %s is not after the restore point %s", errBadInput, b, form.Get("at"))
		}
		id.Boot = boot
	}
	return id, nil
}

// parseTime accepts an RFC 3339 stamp or a datetime-local value in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("no time given")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return checkYear(t, s)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return checkYear(t, s)
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a date and time (2026-11-24T13:05) nor an RFC 3339 time", s)
}

// checkYear keeps times where Prometheus can have data (the year in UTC, as links carry
// it): a year-0 or year-9999 time is a typing mistake, and would overflow durations
// computed from it.
func checkYear(t time.Time, s string) (time.Time, error) {
	if y := t.UTC().Year(); y < 2000 || y > 2200 {
		return time.Time{}, fmt.Errorf("%q: year %d is out of range", s, y)
	}
	return t, nil
}

func pathEscape(s string) string { return url.PathEscape(s) }

func formBool(form url.Values, key string) bool {
	v := form[key]
	return len(v) > 0 && (v[0] == "1" || v[0] == "on" || v[0] == "true")
}
