package hostparse

import "testing"

// The fuzz targets check that no input crashes a parser, that results stay within the
// limits, and that every value a parser returns is one the collector can export. Seeds
// are in testdata/fuzz: the fixtures of each parser.

func FuzzParseStat(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		st, _ := ParseStat(b)
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
		fields, _ := ParseMeminfo(b)
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
		if len(problems) == 0 && !(l.Load1 >= 0 && l.Load5 >= 0 && l.Load15 >= 0) {
			t.Fatalf("accepted %+v", l)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, _ := ParseMounts(b)
		if len(mounts) > maxMounts {
			t.Fatalf("%d mounts", len(mounts))
		}
	})
}

func FuzzParseDF(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _, _ := ParseDF(b)
		if len(entries) > maxMounts {
			t.Fatalf("%d entries", len(entries))
		}
		for _, e := range entries {
			if e.Total < 0 || e.Used < 0 || e.Avail < 0 {
				t.Fatalf("negative %+v", e)
			}
		}
	})
}

func FuzzParseUname(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) { ParseUname(b) })
}

func FuzzParseClock(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
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
		units, _ := ParseSystemctlShow(b)
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
		for _, s := range sections {
			ParseCommandEnd(s.Args)
		}
		if end, problems := ParseCommandEnd(splitWords(trailer)); len(problems) == 0 && (end.Seconds < 0 || end.ExitCode < 0 || end.ExitCode > 255) {
			t.Fatalf("accepted %+v", end)
		}
	})
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
