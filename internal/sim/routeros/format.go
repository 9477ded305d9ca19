package routeros

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// RouterOS 7 writes durations as 1w2d3h4m5s, with ms/us parts for fractions and 0s for zero.

// appendDuration appends d in RouterOS notation. Negative durations are written as 0s.
func appendDuration(dst []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(dst, "0s"...)
	}
	units := [...]struct {
		size time.Duration
		name string
	}{
		{7 * 24 * time.Hour, "w"}, {24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"},
		{time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"},
	}
	for _, u := range units {
		if d >= u.size {
			dst = strconv.AppendInt(dst, int64(d/u.size), 10)
			dst = append(dst, u.name...)
			d %= u.size
		}
	}
	return dst
}

// FormatDuration writes d the way RouterOS prints durations (1w2d3h4m5s, 0s).
func FormatDuration(d time.Duration) string { return string(appendDuration(nil, d)) }

var errBadDuration = errors.New("not a RouterOS duration")

// ParseDuration reads the duration notations RouterOS accepts and prints: 1w2d3h4m5s (with
// ms, us, ns parts), a bare number of seconds, HH:MM:SS, "Nd HH:MM:SS", and none/never/empty
// for zero.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "none", "never":
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if strings.Contains(s, ":") {
		return parseClockDuration(s)
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 {
			return 0, errBadDuration
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64)
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		var unit time.Duration
		switch s[:j] {
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		case "ms":
			unit = time.Millisecond
		case "us":
			unit = time.Microsecond
		case "ns":
			unit = time.Nanosecond
		default:
			return 0, errBadDuration
		}
		total += time.Duration(n) * unit
		s = s[j:]
	}
	return total, nil
}

// parseClockDuration reads HH:MM:SS and "Nd HH:MM:SS".
func parseClockDuration(s string) (time.Duration, error) {
	var days time.Duration
	if d, rest, ok := strings.Cut(s, "d "); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, errBadDuration
		}
		days, s = time.Duration(n)*24*time.Hour, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, errBadDuration
	}
	var total time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return 0, errBadDuration
		}
		total += time.Duration(n) * unit
	}
	return days + total, nil
}

// appendID appends a RouterOS item id (*1A).
func appendID(dst []byte, id uint32) []byte {
	const digits = "0123456789ABCDEF"
	var tmp [8]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[id&0xF]
		id >>= 4
		if id == 0 {
			break
		}
	}
	dst = append(dst, '*')
	return append(dst, tmp[i:]...)
}

// formatID returns a RouterOS item id (*1A).
func formatID(id uint32) string { return string(appendID(nil, id)) }

// parseID reads *1A.
func parseID(s string) (uint32, bool) {
	if len(s) < 2 || s[0] != '*' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 16, 32)
	return uint32(n), err == nil
}

// appendBool appends RouterOS's true/false.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
