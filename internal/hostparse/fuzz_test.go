package hostparse

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets check that no input crashes a parser, that results stay within the
// limits, and that every value a parser returns is one the collector can export.

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseStat(f *testing.F) {
	seed(f, "debian12-stat.txt", "four-column-stat.txt")
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
	seed(f, "debian12-meminfo.txt")
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
	seed(f, "debian12-loadavg.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, problems := ParseLoadavg(b)
		if len(problems) == 0 && !(l.Load1 >= 0 && l.Load5 >= 0 && l.Load15 >= 0) {
			t.Fatalf("accepted %+v", l)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	seed(f, "debian12-mounts.txt", "busybox-mounts.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, _ := ParseMounts(b)
		if len(mounts) > maxMounts {
			t.Fatalf("%d mounts", len(mounts))
		}
	})
}

func FuzzParseDF(f *testing.F) {
	seed(f, "debian12-df-bytes.txt", "debian12-df-inodes.txt", "busybox-df-bytes.txt", "busybox-df-inodes.txt")
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
	seed(f, "debian12-uname.txt")
	f.Fuzz(func(t *testing.T, b []byte) { ParseUname(b) })
}

func FuzzParseClock(f *testing.F) {
	seed(f, "debian12-clock.txt", "busybox-clock.txt", "debian12-uptime.txt")
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
	seed(f, "el8-systemctl-show.txt", "debian12-systemctl-show.txt")
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
	f.Add([]byte("delay: 12.5s\n"), "0 1.00 2.50")
	f.Add([]byte("@@x cmd 0\nout\n@@x end 0 1 2\n"), "124 3 8")
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
