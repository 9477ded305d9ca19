package hostparse

import (
	"math"
	"strconv"
	"strings"
)

// ParseClock reads `date +%s.%N`: seconds since the epoch. BusyBox builds without
// nanosecond support print "%N" or "N" after the dot; the whole seconds are still right.
func ParseClock[T Text](b T) (float64, []Problem) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, []Problem{problem(Missing, 0, "no clock output")}
	}
	secs, frac, _ := strings.Cut(s, ".")
	whole, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || whole <= 0 {
		return 0, []Problem{problem(Malformed, 1, "clock %s", quote(s))}
	}
	v := float64(whole)
	if frac != "" && isDigits(frac) && len(frac) <= 9 {
		f, _ := strconv.ParseFloat("0."+frac, 64)
		v += f
	}
	return v, nil
}

// ParseUptime reads /proc/uptime's first field: seconds since boot.
func ParseUptime[T Text](b T) (float64, []Problem) {
	var buf [2]string
	fields := appendFields(buf[:0], string(b))
	if len(fields) == 0 {
		return 0, []Problem{problem(Missing, 0, "no uptime output")}
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 0) {
		return 0, []Problem{problem(Malformed, 1, "uptime %s", quote(fields[0]))}
	}
	return v, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
