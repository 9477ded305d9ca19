package hostparse

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
		ids := map[string]bool{}
		for _, c := range st.CPUs {
			if ids[c.ID] {
				t.Fatalf("cpu%s twice", c.ID)
			}
			ids[c.ID] = true
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

// FuzzMountsRoundTrip: a mount written as the kernel writes /proc/mounts (fields separated
// by one space; space, tab, newline and backslash in the device and mount point written as
// \ooo, nothing else escaped) is read back as it was.
func FuzzMountsRoundTrip(f *testing.F) {
	f.Add("/dev/sda1", "/mnt/usb disk", "ext4", true)
	f.Add("//nas/my  share", "/mnt/tab\tx", "cifs", false)
	f.Fuzz(func(t *testing.T, device, mountPoint, fstype string, readOnly bool) {
		if device == "" || mountPoint == "" || !isFSType(fstype) {
			return
		}
		options := "rw,relatime"
		if readOnly {
			options = "ro,relatime"
		}
		line := kernelEscape(device) + " " + kernelEscape(mountPoint) + " " + fstype + " " + options + " 0 0\n"
		mounts, problems := ParseMounts(line)
		want := []Mount{{Device: device, MountPoint: mountPoint, FSType: fstype, ReadOnly: readOnly}}
		if len(problems) != 0 || !reflect.DeepEqual(mounts, want) {
			t.Fatalf("%q read as %+v, %v", line, mounts, problems)
		}
	})
}

// isFSType: s is a filesystem type as the kernel names them (ext4, fuse.sshfs): printable
// ASCII without blanks, never escaped.
func isFSType(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '\\' {
			return false
		}
	}
	return s != ""
}

// kernelEscape writes s as the kernel's mangle() does for /proc/mounts.
func kernelEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzDFRoundTrip: a df line written as GNU df -PT and BusyBox df -P write them (columns
// padded with blanks, the mount point after one blank, nothing escaped) is read back as it
// was, blanks in the device and mount point included. Only a device or type holding a
// number of its own is left out: df gives no way to tell it from the number columns.
func FuzzDFRoundTrip(f *testing.F) {
	f.Add("/dev/sda1", "ext4", "/mnt/usb disk", uint64(1000), uint64(400), uint64(600), uint8(40), uint8(3), true, false)
	f.Add("//nas/my  share", "cifs", " lead", uint64(0), uint64(0), uint64(0), uint8(0), uint8(0), false, true)
	f.Fuzz(func(t *testing.T, device, fstype, mountPoint string, total, used, avail uint64, capacity, pad uint8, typed, inodes bool) {
		if !dfWritable(device) || !typed && fstype != "" || typed && (!isFSType(fstype) || !dfWritable(fstype)) {
			return
		}
		if strings.Contains(mountPoint, "\n") || strings.HasSuffix(mountPoint, "\r") || strings.Trim(mountPoint, " \t\v\f\r") == "" {
			return
		}
		blanks := strings.Repeat(" ", 1+int(pad%4))
		header, unit, kind := "Filesystem 1024-blocks Used Available Capacity Mounted on", 1024.0, DFBytes
		if inodes {
			header, unit, kind = "Filesystem Inodes IUsed IFree IUse% Mounted on", 1, DFInodes
		}
		line := device + blanks
		if typed {
			header = strings.Replace(header, "Filesystem", "Filesystem Type", 1)
			line += fstype + blanks
		}
		use := fmt.Sprint(capacity, "%")
		if capacity == 255 {
			use = "-" // GNU df's IUse% of a filesystem without inodes (btrfs: 0 0 0 -)
		}
		line += fmt.Sprint(total, blanks, used, blanks, avail, blanks, use, " ", mountPoint)
		entries, gotKind, problems := ParseDF(header + "\n" + line + "\n")
		want := []DFEntry{{Device: device, FSType: fstype, MountPoint: mountPoint,
			Total: float64(total) * unit, Used: float64(used) * unit, Avail: float64(avail) * unit}}
		if len(problems) != 0 || gotKind != kind || !reflect.DeepEqual(entries, want) {
			t.Fatalf("%q read as %+v, %v, %v", line, entries, gotKind, problems)
		}
	})
}

// dfWritable: s can be a df line's device or type: on one line, without blanks around it,
// and no word of it a number.
func dfWritable(s string) bool {
	if s == "" || strings.ContainsAny(s, "\n") || asciiSpace[s[0]] || asciiSpace[s[len(s)-1]] {
		return false
	}
	for _, c := range appendColumns(nil, s) {
		if _, err := strconv.ParseUint(s[c.start:c.end], 10, 64); err == nil {
			return false
		}
	}
	return true
}
