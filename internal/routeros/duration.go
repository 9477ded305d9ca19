package routeros

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ParseDuration reads a duration in any form RouterOS writes one:
//
//	1w2d3h4m5s     units from weeks down to seconds
//	7ms523us       fractions of a second as ms, us and ns parts
//	0s             zero
//	01:02:03       HH:MM:SS (hours may exceed 24), optionally with .fraction
//	2d 01:02:03    weeks and days before a clock, with or without the space (2d01:02:03)
//	42             a bare number of seconds
//
// "none", "never" and the empty string mean the field has no value: ok is false and err is
// nil, so callers can tell "unlimited" from zero. Anything else that does not fit is an error.
func ParseDuration(s string) (d time.Duration, ok bool, err error) {
	switch s {
	case "", "none", "never":
		return 0, false, nil
	}
	d, err = parseDuration(s)
	if err != nil {
		return 0, false, fmt.Errorf("invalid RouterOS duration %q: %w", s, err)
	}
	return d, true, nil
}

// unitSizes are the units RouterOS writes, largest first; a duration names each at most
// once and in this order.
var unitSizes = [...]struct {
	name string
	size time.Duration
}{
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
	{"ms", time.Millisecond},
	{"us", time.Microsecond},
	{"ns", time.Nanosecond},
}

const (
	unitWeek = 0
	unitDay  = 1
)

var (
	errOverflow  = errors.New("too large")
	errSyntax    = errors.New("not a number followed by a unit (w, d, h, m, s, ms, us, ns) or HH:MM:SS")
	errUnitOrder = errors.New("units must appear once each, largest first")
	errClock     = errors.New("clock part must be HH:MM:SS with minutes and seconds below 60")
)

func parseDuration(s string) (time.Duration, error) {
	var total time.Duration
	next := 0 // index into unitSizes of the smallest unit still allowed
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			// RouterOS separates the day part from a clock with one space ("2d 01:02:03").
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return 0, errSyntax
			}
			i++
			continue
		}
		n, end, err := leadingNumber(s, i)
		if err != nil {
			return 0, err
		}
		if end < len(s) && s[end] == ':' {
			// A clock may only follow weeks and days.
			if next > unitDay+1 {
				return 0, errUnitOrder
			}
			clock, err := parseClock(s[i:])
			if err != nil {
				return 0, err
			}
			return addDuration(total, clock)
		}
		unitEnd := end
		for unitEnd < len(s) && s[unitEnd] >= 'a' && s[unitEnd] <= 'z' {
			unitEnd++
		}
		unit := s[end:unitEnd]
		if unit == "" {
			// A bare number is seconds, and only on its own.
			if i != 0 || end != len(s) {
				return 0, errSyntax
			}
			unit = "s"
		}
		u := unitIndex(unit)
		if u < 0 {
			return 0, errSyntax
		}
		if u < next {
			return 0, errUnitOrder
		}
		next = u + 1
		part, err := mulDuration(n, unitSizes[u].size)
		if err != nil {
			return 0, err
		}
		if total, err = addDuration(total, part); err != nil {
			return 0, err
		}
		i = unitEnd
	}
	if next == 0 {
		return 0, errSyntax
	}
	return total, nil
}

func unitIndex(name string) int {
	for i, u := range unitSizes {
		if u.name == name {
			return i
		}
	}
	return -1
}

// leadingNumber reads the decimal digits starting at s[i].
func leadingNumber(s string, i int) (n int64, end int, err error) {
	end = i
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		if n > (1<<63-1)/10 {
			return 0, 0, errOverflow
		}
		n = n*10 + int64(s[end]-'0')
		if n < 0 {
			return 0, 0, errOverflow
		}
		end++
	}
	if end == i {
		return 0, 0, errSyntax
	}
	return n, end, nil
}

// parseClock reads HH:MM:SS with an optional fraction of a second (.5, .123456789).
func parseClock(s string) (time.Duration, error) {
	hh, mm, ok1 := strings.Cut(s, ":")
	mm, ss, ok2 := strings.Cut(mm, ":")
	if !ok1 || !ok2 {
		return 0, errClock
	}
	ss, frac, hasFrac := strings.Cut(ss, ".")
	hours, err := digits(hh, 1, 19)
	if err != nil {
		return 0, err
	}
	minutes, err := digits(mm, 2, 2)
	if err != nil || minutes >= 60 {
		return 0, errClock
	}
	seconds, err := digits(ss, 2, 2)
	if err != nil || seconds >= 60 {
		return 0, errClock
	}
	var fraction time.Duration
	if hasFrac {
		f, err := digits(frac, 1, 9)
		if err != nil {
			return 0, errClock
		}
		for range 9 - len(frac) {
			f *= 10
		}
		fraction = time.Duration(f)
	}
	d, err := mulDuration(hours, time.Hour)
	if err != nil {
		return 0, err
	}
	return addDuration(d, time.Duration(minutes)*time.Minute+time.Duration(seconds)*time.Second+fraction)
}

// digits reads a string of between minLen and maxLen decimal digits.
func digits(s string, minLen, maxLen int) (int64, error) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, errClock
	}
	n, end, err := leadingNumber(s, 0)
	if err != nil {
		return 0, err
	}
	if end != len(s) {
		return 0, errClock
	}
	return n, nil
}

func mulDuration(n int64, unit time.Duration) (time.Duration, error) {
	if n > int64((1<<63-1)/unit) {
		return 0, errOverflow
	}
	return time.Duration(n) * unit, nil
}

func addDuration(a, b time.Duration) (time.Duration, error) {
	if a > (1<<63-1)-b {
		return 0, errOverflow
	}
	return a + b, nil
}

// FormatDuration writes d the way RouterOS does (1w2d3h4m5s, 7ms523us, 0s), so the value
// ronda-restore writes reads exactly like the router's own. ParseDuration reads it back.
// A negative duration (never a valid RouterOS value) is written with a leading minus sign,
// which ParseDuration rejects.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var buf [64]byte
	out := buf[:0]
	magnitude := uint64(d)
	if d < 0 {
		out = append(out, '-')
		magnitude = uint64(-(d + 1)) + 1 // -d overflows for the smallest Duration
	}
	for _, u := range unitSizes {
		size := uint64(u.size)
		if magnitude < size {
			continue
		}
		n := magnitude / size
		magnitude -= n * size
		out = appendUint(out, n)
		out = append(out, u.name...)
	}
	return string(out)
}

func appendUint(b []byte, n uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
