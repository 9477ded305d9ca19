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
func ParseMeminfo[T Text](b T) ([]MemField, []Problem) {
	text := string(b) // one copy, or none for a string
	// One field a line: sized once, never grown line by line.
	fields := make([]MemField, 0, min(strings.Count(text, "\n")+1, maxMemFields))
	var problems []Problem
	var seen nameSet
	full := false // the limit was reached and reported
	eachLine(text, func(n int, line string) {
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
		name := memFieldName(key)
		if !validMetricPart(name) {
			problems = append(problems, problem(Malformed, n, "meminfo field name %s", quote(key)))
			return
		}
		v, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			problems = append(problems, problem(Malformed, n, "meminfo value %s", quote(value)))
			return
		}
		if seen.has(name, fields) {
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
		seen.add(name, len(fields))
		f := MemField{Name: name, Value: float64(v)}
		if unit != "" {
			f.Value *= 1024
			f.Bytes = true
		}
		fields = append(fields, f)
	})
	if len(fields) == 0 {
		fields = nil
		problems = append(problems, problem(Missing, 0, "no meminfo fields"))
	}
	return fields, problems
}

// parenFields are the names with parentheses every kernel prints, converted once.
var parenFields = map[string]string{
	"Active(anon)": "Active_anon", "Inactive(anon)": "Inactive_anon",
	"Active(file)": "Active_file", "Inactive(file)": "Inactive_file",
}

// memFieldName turns "Active(anon)" into "Active_anon", as node_exporter does.
func memFieldName(key string) string {
	key = strings.TrimSpace(key)
	if !strings.Contains(key, "(") {
		return key
	}
	if name, ok := parenFields[key]; ok {
		return name
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

// nameSet finds the fields already read by name without a map: an open-addressing table
// of indexes into the fields (plus one; 0 is empty), on the stack, twice as large as
// maxMemFields so probes stay short.
type nameSet [512]uint16

func nameHash(name string) uint32 {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h
}

// has reports whether fields holds name.
func (t *nameSet) has(name string, fields []MemField) bool {
	for i := nameHash(name) % uint32(len(t)); t[i] != 0; i = (i + 1) % uint32(len(t)) {
		if fields[t[i]-1].Name == name {
			return true
		}
	}
	return false
}

// add records that fields[index] is name.
func (t *nameSet) add(name string, index int) {
	i := nameHash(name) % uint32(len(t))
	for t[i] != 0 {
		i = (i + 1) % uint32(len(t))
	}
	t[i] = uint16(index + 1)
}
