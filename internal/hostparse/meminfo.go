package hostparse

import (
	"strconv"
	"strings"
)

// MemField is one line of /proc/meminfo.
type MemField struct {
	// Name is the field as node_exporter names it: "Active(anon)" becomes "Active_anon".
	Name string
	// Value is in bytes when Bytes is set (the line said kB), otherwise a plain count
	// (HugePages_Total).
	Value float64
	Bytes bool
}

// maxMemFields bounds the fields read: each becomes a metric family, so a host printing
// garbage must not be able to create thousands (a current kernel prints about 60).
const maxMemFields = 200

// ParseMeminfo reads /proc/meminfo the way node_exporter does: "Name:   123 kB".
func ParseMeminfo(b []byte) ([]MemField, []Problem) {
	var fields []MemField
	var problems []Problem
	seen := map[string]bool{}
	full := false // the limit was reached and reported
	eachLine(b, func(n int, line string) {
		if strings.TrimSpace(line) == "" {
			return
		}
		key, rest, ok := strings.Cut(line, ":")
		// "   123 kB" or "   123": cut by hand, this runs for 60 lines every scrape.
		value, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		unit = strings.TrimSpace(unit)
		if !ok || value == "" || (unit != "" && unit != "kB") {
			problems = append(problems, problem(Malformed, n, "meminfo line %s", quote(line)))
			return
		}
		parts := []string{value}
		if unit != "" {
			parts = append(parts, unit)
		}
		name := memFieldName(key)
		if !validMetricPart(name) {
			problems = append(problems, problem(Malformed, n, "meminfo field name %s", quote(key)))
			return
		}
		v, err := strconv.ParseUint(parts[0], 10, 64)
		if err != nil {
			problems = append(problems, problem(Malformed, n, "meminfo value %s", quote(parts[0])))
			return
		}
		if seen[name] {
			problems = append(problems, problem(Malformed, n, "meminfo field %s repeated", name))
			return
		}
		if len(fields) >= maxMemFields {
			if !full {
				problems = append(problems, problem(TooMany, n, "more than %d meminfo fields", maxMemFields))
				full = true
			}
			return
		}
		seen[name] = true
		f := MemField{Name: name, Value: float64(v)}
		if len(parts) == 2 {
			f.Value *= 1024
			f.Bytes = true
		}
		fields = append(fields, f)
	})
	if len(fields) == 0 {
		problems = append(problems, problem(Missing, 0, "no meminfo fields"))
	}
	return fields, problems
}

// memFieldName turns "Active(anon)" into "Active_anon", as node_exporter does.
func memFieldName(key string) string {
	key = strings.TrimSpace(key)
	if !strings.Contains(key, "(") {
		return key
	}
	key = strings.ReplaceAll(key, "(", "_")
	return strings.ReplaceAll(key, ")", "")
}

// validMetricPart reports whether s can be part of a metric name.
func validMetricPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
