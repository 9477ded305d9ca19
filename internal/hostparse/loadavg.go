package hostparse

import (
	"math"
	"strconv"
)

// Load is the first three fields of /proc/loadavg.
type Load struct{ Load1, Load5, Load15 float64 }

// ParseLoadavg reads /proc/loadavg ("0.20 0.18 0.12 1/80 11206").
func ParseLoadavg[T Text](b T) (Load, []Problem) {
	var buf [5]string
	fields := appendFields(buf[:0], string(b))
	if len(fields) < 3 {
		return Load{}, []Problem{problem(Missing, 1, "loadavg has %d fields, want at least 3", len(fields))}
	}
	var v [3]float64
	for i := range v {
		f, err := strconv.ParseFloat(fields[i], 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return Load{}, []Problem{problem(Malformed, 1, "loadavg field %s", quote(fields[i]))}
		}
		v[i] = f
	}
	return Load{v[0], v[1], v[2]}, nil
}
