package hostparse

import (
	"bytes"
	"reflect"
	"testing"
)

// The fuzz targets check that no input crashes a parser, that results stay within the
// limits, and that every value a parser returns is one the collector can export. Seeds
// are in testdata/fuzz: the fixtures of each parser. Each parser is also run on the input
// as a string (what the collector passes) and must read it exactly as it reads the bytes.

// agree fails when the results of a parser given bytes and given the same text as a
// string differ.
func agree(t *testing.T, fromBytes, fromString []any) {
	t.Helper()
	if !reflect.DeepEqual(fromBytes, fromString) {
		t.Fatalf("bytes and string read differently:\n%+v\n%+v", fromBytes, fromString)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		st, p := ParseStat(b)
		st2, p2 := ParseStat(string(b))
		agree(t, []any{st, p}, []any{st2, p2})
		if len(st.CPUs) > maxCPUs {
			t.Fatalf("%d cpus", len(st.CPUs))
		}
		for _, c := range st.CPUs {
			for _, v := range c.Seconds {
				if v < 0 {
					t.Fatalf("negative time %v", v)
				}
			}
		}
	})
}

func FuzzParseMeminfo(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, p := ParseMeminfo(b)
		fields2, p2 := ParseMeminfo(string(b))
		agree(t, []any{fields, p}, []any{fields2, p2})
		if len(fields) > maxMemFields {
			t.Fatalf("%d fields", len(fields))
		}
		for _, m := range fields {
			if !validMetricPart(m.Name) {
				t.Fatalf("invalid name %q", m.Name)
			}
		}
	})
}

func FuzzParseLoadavg(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		l, problems := ParseLoadavg(b)
		l2, p2 := ParseLoadavg(string(b))
		agree(t, []any{l, problems}, []any{l2, p2})
		if len(problems) == 0 && !(l.Load1 >= 0 && l.Load5 >= 0 && l.Load15 >= 0) {
			t.Fatalf("accepted %+v", l)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, p := ParseMounts(b)
		mounts2, p2 := ParseMounts(string(b))
		agree(t, []any{mounts, p}, []any{mounts2, p2})
		if len(mounts) > maxMounts {
			t.Fatalf("%d mounts", len(mounts))
		}
	})
}

func FuzzParseDF(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, kind, p := ParseDF(b)
		entries2, kind2, p2 := ParseDF(string(b))
		agree(t, []any{entries, kind, p}, []any{entries2, kind2, p2})
		if len(entries) > maxMounts {
			t.Fatalf("%d entries", len(entries))
		}
		for _, e := range entries {
			if e.Total < 0 || e.Used < 0 || e.Avail < 0 {
				t.Fatalf("negative %+v", e)
			}
			if e.MountPoint == "" || e.Device == "" || !bytes.Contains(b, []byte(e.MountPoint)) {
				t.Fatalf("mount point or device not read from the line: %+v", e)
			}
		}
	})
}

func FuzzParseUname(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		u, p := ParseUname(b)
		u2, p2 := ParseUname(string(b))
		agree(t, []any{u, p}, []any{u2, p2})
	})
}

func FuzzParseClock(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		v, p := ParseClock(b)
		v2, p2 := ParseClock(string(b))
		agree(t, []any{v, p}, []any{v2, p2})
		u, p := ParseUptime(b)
		u2, p2 := ParseUptime(string(b))
		agree(t, []any{u, p}, []any{u2, p2})
		if v, problems := ParseClock(b); len(problems) == 0 && !(v > 0) {
			t.Fatalf("clock accepted %v", v)
		}
		if v, problems := ParseUptime(b); len(problems) == 0 && !(v >= 0) {
			t.Fatalf("uptime accepted %v", v)
		}
	})
}

func FuzzParseSystemctlShow(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		units, p := ParseSystemctlShow(b)
		units2, p2 := ParseSystemctlShow(string(b))
		agree(t, []any{units, p}, []any{units2, p2})
		if len(units) > maxUnits {
			t.Fatalf("%d units", len(units))
		}
		for _, u := range units {
			if u.ID == "" {
				t.Fatal("unit without id")
			}
		}
	})
}

func FuzzCommandOutput(f *testing.F) {
	f.Fuzz(func(t *testing.T, out []byte, trailer string) {
		FirstNumber(out)
		sections, _ := Split(out, "@@x")
		if want := markerLines(out, "@@x "); len(sections) != len(want) {
			t.Fatalf("%d sections, want one per marker line: %v", len(sections), want)
		} else {
			for i, s := range sections {
				if s.Offset-want[i] < 0 || !bytes.HasPrefix(out[want[i]:s.Offset], []byte("@@x ")) {
					t.Fatalf("section %d at %d, marker line at %d", i, s.Offset, want[i])
				}
			}
		}
		for _, s := range sections {
			if got := out[s.Offset : s.Offset+len(s.Body)]; string(got) != string(s.Body) {
				t.Fatalf("%s: output at Offset is %q, body %q", s.Name, got, s.Body)
			}
			ParseCommandEnd(s.Args)
		}
		if end, problems := ParseCommandEnd(splitWords(trailer)); len(problems) == 0 && (end.Seconds < 0 || end.ExitCode < 0 || end.ExitCode > 255) {
			t.Fatalf("accepted %+v", end)
		}
	})
}

// markerLines is where each line starting with prefix starts, found line by line.
func markerLines(out []byte, prefix string) []int {
	var at []int
	for pos := 0; pos < len(out); {
		line, _, _ := bytes.Cut(out[pos:], []byte("\n"))
		if bytes.HasPrefix(line, []byte(prefix)) {
			at = append(at, pos)
		}
		pos += len(line) + 1
	}
	return at
}

func splitWords(s string) []string {
	var out []string
	word := ""
	for _, r := range s + " " {
		if r == ' ' {
			if word != "" {
				out = append(out, word)
			}
			word = ""
			continue
		}
		word += string(r)
	}
	return out
}
