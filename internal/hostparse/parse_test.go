package hostparse

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func reasons(problems []Problem) []Reason {
	var out []Reason
	for _, p := range problems {
		out = append(out, p.Reason)
	}
	return out
}

func TestSplit(t *testing.T) {
	out := "Welcome to host\n@@r1 stat\ncpu0 1 2 3 4\n@@r1 cmd 0\nfake\n@@r2 stat\n@@r1 end 0 0 1.5 1.75\n@@r1x not a marker\n@@r1 done"
	sections, preamble := Split([]byte(out), "@@r1")
	if string(preamble) != "Welcome to host\n" {
		t.Errorf("preamble %q", preamble)
	}
	want := []Section{
		{Name: "stat", Args: []string{}, Body: []byte("cpu0 1 2 3 4\n"), Offset: 26},
		{Name: "cmd", Args: []string{"0"}, Body: []byte("fake\n@@r2 stat\n"), Offset: 50},
		{Name: "end", Args: []string{"0", "0", "1.5", "1.75"}, Body: []byte("@@r1x not a marker\n"), Offset: 87},
		{Name: "done", Args: []string{}, Body: []byte(""), Offset: 115},
	}
	if !reflect.DeepEqual(sections, want) {
		t.Errorf("sections\n got %+v\nwant %+v", sections, want)
	}
	for _, s := range sections { // what the collector relies on to take bodies from a string
		if got := out[s.Offset : s.Offset+len(s.Body)]; got != string(s.Body) {
			t.Errorf("%s: output at Offset is %q, body %q", s.Name, got, s.Body)
		}
	}
}

func TestParseStat(t *testing.T) {
	st, problems := ParseStat(fixture(t, "debian12-stat.txt"))
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	if len(st.CPUs) != 2 || st.CPUs[0].ID != "0" || st.CPUs[1].ID != "1" {
		t.Fatalf("cpus %+v", st.CPUs)
	}
	// cpu0 73756 0 14589 253916 194 0 96 107 0 0
	if want := [8]float64{737.56, 0, 145.89, 2539.16, 1.94, 0, 0.96, 1.07}; st.CPUs[0].Seconds != want {
		t.Errorf("cpu0 %v, want %v", st.CPUs[0].Seconds, want)
	}
	if st.BootTime != 1795507623 {
		t.Errorf("btime %d", st.BootTime)
	}

	old, problems := ParseStat(fixture(t, "four-column-stat.txt"))
	if len(problems) != 0 || len(old.CPUs) != 1 || old.CPUs[0].Seconds[3] != 0.4 || old.CPUs[0].Seconds[4] != 0 {
		t.Errorf("four columns: %+v %v", old, problems)
	}

	for _, tc := range []struct {
		name, in string
		cpus     int
		want     []Reason
	}{
		{"empty", "", 0, []Reason{Missing, Missing}},
		{"bad number", "cpu0 1 x 3 4\ncpu1 1 2 3 4\nbtime 5\n", 1, []Reason{Malformed}},
		{"negative", "cpu0 -1 2 3 4\nbtime 5\n", 0, []Reason{Malformed, Missing}},
		{"too few columns", "cpu0 1 2 3\nbtime 5\n", 0, []Reason{Malformed, Missing}},
		{"too many columns", "cpu0 1 2 3 4 5 6 7 8 9 10 11\nbtime 5\n", 0, []Reason{Malformed, Missing}},
		{"bad cpu name", "cpuX 1 2 3 4\ncpu0 1 2 3 4\nbtime 5\n", 1, []Reason{Malformed}},
		{"bad btime", "cpu0 1 2 3 4\nbtime soon\n", 1, []Reason{Malformed}},
		{"crlf", "cpu0 1 2 3 4\r\nbtime 5\r\n", 1, nil},
		// Each CPU once, in ascending order, as the kernel lists them: a repeat would be
		// exported twice, which Prometheus refuses.
		{"cpu repeated", "cpu0 1 2 3 4\ncpu1 1 2 3 4\ncpu0 5 6 7 8\nbtime 5\n", 2, []Reason{Malformed}},
		{"cpu out of order", "cpu1 1 2 3 4\ncpu01 1 2 3 4\ncpu3 1 2 3 4\nbtime 5\n", 2, []Reason{Malformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, problems := ParseStat([]byte(tc.in))
			if len(st.CPUs) != tc.cpus || !reflect.DeepEqual(reasons(problems), tc.want) {
				t.Errorf("got %d cpus, problems %v; want %d, %v", len(st.CPUs), problems, tc.cpus, tc.want)
			}
		})
	}
}

func TestParseMeminfo(t *testing.T) {
	fields, problems := ParseMeminfo(fixture(t, "debian12-meminfo.txt"))
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	if len(fields) != 54 {
		t.Errorf("%d fields, want every one of the 54 lines", len(fields))
	}
	got := map[string]MemField{}
	for _, f := range fields {
		got[f.Name] = f
	}
	for _, want := range []MemField{
		{Name: "MemTotal", Value: 24684084 * 1024, Bytes: true},
		{Name: "Active_anon", Value: 1536 * 1024, Bytes: true},
		{Name: "HugePages_Total", Value: 0, Bytes: false},
	} {
		if got[want.Name] != want {
			t.Errorf("%s = %+v, want %+v", want.Name, got[want.Name], want)
		}
	}

	for _, tc := range []struct {
		name, in string
		fields   int
		want     []Reason
	}{
		{"empty", "", 0, []Reason{Missing}},
		{"no colon", "MemTotal 5 kB\nMemFree: 1 kB\n", 1, []Reason{Malformed}},
		{"other unit", "MemTotal: 5 MB\nMemFree: 1 kB\n", 1, []Reason{Malformed}},
		{"bad name", "Mem Total: 5 kB\nMemFree: 1 kB\n", 1, []Reason{Malformed}},
		{"bad value", "MemTotal: 5.5 kB\nMemFree: 1 kB\n", 1, []Reason{Malformed}},
		{"repeated", "MemFree: 5 kB\nMemFree: 1 kB\n", 1, []Reason{Malformed}},
		{"too many", strings.Repeat("X", 0) + manyMemFields(maxMemFields+5), maxMemFields, []Reason{TooMany}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields, problems := ParseMeminfo([]byte(tc.in))
			if len(fields) != tc.fields || !reflect.DeepEqual(reasons(problems), tc.want) {
				t.Errorf("got %d fields, problems %v; want %d, %v", len(fields), problems, tc.fields, tc.want)
			}
		})
	}
}

func manyMemFields(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("Field")
		b.WriteString(strings.Repeat("x", i%50))
		b.WriteString(string(rune('a' + i/50)))
		b.WriteString(": 1 kB\n")
	}
	return b.String()
}

func TestParseLoadavg(t *testing.T) {
	l, problems := ParseLoadavg(fixture(t, "debian12-loadavg.txt"))
	if len(problems) != 0 || l != (Load{0.18, 0.47, 0.98}) {
		t.Errorf("got %+v %v", l, problems)
	}
	for _, in := range []string{"", "0.1 0.2", "0.1 NaN 0.3", "0.1 -1 0.3", "a b c", "0.1 +Inf 2"} {
		if _, problems := ParseLoadavg([]byte(in)); len(problems) != 1 {
			t.Errorf("%q: problems %v, want one", in, problems)
		}
	}
}

func TestParseMounts(t *testing.T) {
	mounts, problems := ParseMounts(fixture(t, "busybox-mounts.txt"))
	if len(problems) != 0 || len(mounts) != 8 {
		t.Fatalf("%d mounts, problems %v", len(mounts), problems)
	}
	if want := (Mount{Device: "/dev/root", MountPoint: "/", FSType: "squashfs", ReadOnly: true}); mounts[0] != want {
		t.Errorf("first %+v", mounts[0])
	}
	if want := (Mount{Device: "/dev/sda1", MountPoint: "/mnt/usb disk", FSType: "vfat"}); mounts[7] != want {
		t.Errorf("escaped %+v", mounts[7])
	}
	if _, problems := ParseMounts([]byte("a b c\n")); !reflect.DeepEqual(reasons(problems), []Reason{Malformed, Missing}) {
		t.Errorf("short line: %v", problems)
	}
	for in, want := range map[string]string{`a\040b`: "a b", `a\\b`: `a\\b`, `a\04`: `a\04`, `\134x`: `\x`, `x\09`: `x\09`} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescape %q = %q, want %q", in, got, want)
		}
	}
}

func TestParseDF(t *testing.T) {
	for _, tc := range []struct {
		file  string
		kind  DFKind
		n     int
		first DFEntry
		last  DFEntry
	}{
		{"debian12-df-bytes.txt", DFBytes, 5,
			DFEntry{"devtmpfs", "devtmpfs", "/dev", 12630487040, 0, 12630487040},
			DFEntry{"tmpfs", "tmpfs", "/sys/fs/cgroup", 12638248960, 0, 12638248960}},
		{"debian12-df-inodes.txt", DFInodes, 5,
			DFEntry{"devtmpfs", "devtmpfs", "/dev", 3083615, 114, 3083501},
			DFEntry{"tmpfs", "tmpfs", "/sys/fs/cgroup", 3085510, 11, 3085499}},
		{"busybox-df-bytes.txt", DFBytes, 6,
			DFEntry{"/dev/root", "", "/", 507904 * 1024, 340812 * 1024, 156724 * 1024},
			DFEntry{"/dev/sda1", "", "/mnt/usb disk", 61505516 * 1024, 12345678 * 1024, 49159838 * 1024}},
		{"busybox-df-inodes.txt", DFInodes, 3,
			DFEntry{"/dev/root", "", "/", 3008, 1810, 1198},
			DFEntry{"tmpfs", "", "/tmp", 15300, 19, 15281}},
		// Captured from BusyBox v1.35.0 (Debian 12's busybox package): it understands the
		// script's first choice, df -PT -B1 ("1-blocks"), and says Capacity, not Use%.
		{"busybox135-df-PT-B1.txt", DFBytes, 4,
			DFEntry{"devtmpfs", "devtmpfs", "/dev", 12630487040, 0, 12630487040},
			DFEntry{"tmpfs", "tmpfs", "/dev/shm", 25276502016, 0, 25276502016}},
		{"busybox135-df-PTi.txt", DFInodes, 4,
			DFEntry{"devtmpfs", "devtmpfs", "/dev", 3083615, 114, 3083501},
			DFEntry{"tmpfs", "tmpfs", "/dev/shm", 3085510, 1, 3085509}},
		{"busybox135-df-P.txt", DFBytes, 4,
			DFEntry{"devtmpfs", "", "/dev", 12334460 * 1024, 0, 12334460 * 1024},
			DFEntry{"tmpfs", "", "/dev/shm", 24684084 * 1024, 0, 24684084 * 1024}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			entries, kind, problems := ParseDF(fixture(t, tc.file))
			if len(problems) != 0 || kind != tc.kind || len(entries) != tc.n {
				t.Fatalf("kind %v, %d entries, problems %v", kind, len(entries), problems)
			}
			if entries[0] != tc.first || entries[len(entries)-1] != tc.last {
				t.Errorf("first %+v\nlast %+v", entries[0], entries[len(entries)-1])
			}
		})
	}
	for _, tc := range []struct {
		name, in string
		n        int
		want     []Reason
	}{
		{"empty", "", 0, []Reason{Missing}},
		{"no header", "/dev/sda1 1 2 3 4% /\n", 0, []Reason{Malformed}},
		{"odd block size", "Filesystem 0-blocks Used Available Capacity Mounted on\n/dev/sda1 1 2 3 4% /\n", 0, []Reason{Malformed}},
		{"dash inodes", "Filesystem Type Inodes IUsed IFree IUse% Mounted on\nfat vfat - - - - /boot\nx ext4 1 1 0 100% /\n", 1, []Reason{Malformed}},
		{"short line", "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1 2 3 4%\n", 0, []Reason{Malformed}},
		{"no percent", "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1 2 3 4 /\n", 0, []Reason{Malformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, _, problems := ParseDF([]byte(tc.in))
			if len(entries) != tc.n || !reflect.DeepEqual(reasons(problems), tc.want) {
				t.Errorf("got %d, problems %v; want %d, %v", len(entries), problems, tc.n, tc.want)
			}
		})
	}
}

// TestParseDFKeepsMountPointsAsWritten: df does not escape mount points or devices, so
// their spaces cannot be told from column padding by splitting on blanks. The fixtures were
// captured (LC_ALL=C, GNU coreutils 9.1 and BusyBox 1.35) from tmpfs mounts with odd names,
// one on a device whose name holds two spaces; odd-mounts.txt is their /proc/mounts. GNU df
// writes control characters as '?', BusyBox as they are (a newline splits its line).
func TestParseDFKeepsMountPointsAsWritten(t *testing.T) {
	gnu := []string{"/", "/mnt/odd/a  b", "/mnt/odd/tab?x", "/mnt/odd/nl?y", "/mnt/odd/ lead", "/mnt/odd/trail ", `/mnt/odd/back\slash`, "/mnt/odd/usb disk"}
	for _, tc := range []struct {
		file     string
		points   []string
		problems []Reason
	}{
		{"odd-df-bytes.txt", gnu, nil},
		{"odd-df-inodes.txt", gnu, nil},
		{"busybox135-odd-df-P.txt", []string{"/", "/mnt/odd/a  b", "/mnt/odd/tab\tx", "/mnt/odd/nl", "/mnt/odd/ lead", "/mnt/odd/trail ", `/mnt/odd/back\slash`, "/mnt/odd/usb disk"},
			[]Reason{Malformed}}, // the "y" after the newline
	} {
		t.Run(tc.file, func(t *testing.T) {
			entries, _, problems := ParseDF(fixture(t, tc.file))
			var points []string
			for _, e := range entries {
				points = append(points, e.MountPoint)
			}
			if !reflect.DeepEqual(points, tc.points) || !reflect.DeepEqual(reasons(problems), tc.problems) {
				t.Errorf("mount points %q, problems %v\nwant %q, %v", points, problems, tc.points, tc.problems)
			}
			if last := entries[len(entries)-1]; last.Device != "//nas/my  share" || last.Total == 0 {
				t.Errorf("last entry %+v", last)
			}
		})
	}
}

// TestParseMountsKeepsBlanksTheKernelDoesNotEscape: the kernel separates /proc/mounts'
// fields with a space and escapes only space, tab, newline and backslash (\ooo); any
// other blank is written as it is and belongs to the path: a no-break or ideographic space
// in a USB disk's label (udisks mounts it under /media/USER/LABEL), a form feed.
func TestParseMountsKeepsBlanksTheKernelDoesNotEscape(t *testing.T) {
	for _, tc := range []struct{ name, mountPoint string }{
		{"ideographic space", "/media/ops/数据\u3000备份"},
		{"no-break space", "/media/ops/USB\u00a0DISK"},
		{"next line", "/mnt/a\u0085b"},
		{"form feed", "/mnt/a\fb"},
		{"vertical tab", "/mnt/a\vb"},
		{"carriage return", "/mnt/a\rb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mounts, problems := ParseMounts("/dev/sdb1 " + tc.mountPoint + " vfat ro,relatime 0 0\n")
			want := []Mount{{Device: "/dev/sdb1", MountPoint: tc.mountPoint, FSType: "vfat", ReadOnly: true}}
			if len(problems) != 0 || !reflect.DeepEqual(mounts, want) {
				t.Errorf("read as %+v, %v", mounts, problems)
			}
		})
	}
}

func TestParseUname(t *testing.T) {
	u, problems := ParseUname(fixture(t, "debian12-uname.txt"))
	want := Uname{Sysname: "Linux", Nodename: "web-1", Release: "6.1.0-27-amd64",
		Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)", Machine: "x86_64", Domainname: "(none)"}
	if len(problems) != 0 || u != want {
		t.Errorf("got %+v %v", u, problems)
	}
	if _, problems := ParseUname([]byte("garbage\nmachine=x\n")); !reflect.DeepEqual(reasons(problems), []Reason{Malformed, Missing}) {
		t.Errorf("problems %v", problems)
	}
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1732438907.123456789\n", 1732438907.123456789, true},
		{"1732438907.%N\n", 1732438907, true},
		{"1732438907.N\n", 1732438907, true},
		{"1732438907\n", 1732438907, true},
		{"", 0, false},
		{"-5.0", 0, false},
		{"soon", 0, false},
	} {
		got, problems := ParseClock([]byte(tc.in))
		if got != tc.want || (len(problems) == 0) != tc.ok {
			t.Errorf("%q: %v %v", tc.in, got, problems)
		}
	}
	if got, problems := ParseClock(fixture(t, "busybox-clock.txt")); got != 1732438907 || problems != nil {
		t.Errorf("busybox clock %v %v", got, problems)
	}
	if got, problems := ParseUptime([]byte("350735.47 234388.90\n")); got != 350735.47 || problems != nil {
		t.Errorf("uptime %v %v", got, problems)
	}
	if _, problems := ParseUptime([]byte("NaN 1\n")); len(problems) != 1 {
		t.Errorf("NaN uptime accepted")
	}
}

func TestParseSystemctlShow(t *testing.T) {
	units, problems := ParseSystemctlShow(fixture(t, "el8-systemctl-show.txt"))
	want := []Unit{
		{ID: "sshd.service", LoadState: "loaded", ActiveState: "active", SubState: "running", Type: "notify", HasRestarts: true, ActiveEnterMonotonic: 7645231},
		{ID: "postfix.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", Type: "forking", NRestarts: 3, HasRestarts: true, ActiveEnterMonotonic: 8120311},
		{ID: "crond.timer", LoadState: "not-found", ActiveState: "inactive", SubState: "dead"},
	}
	if len(problems) != 0 || !reflect.DeepEqual(units, want) {
		t.Errorf("el8:\n got %+v\nwant %+v\n%v", units, want, problems)
	}
	units, problems = ParseSystemctlShow(fixture(t, "debian12-systemctl-show.txt"))
	if len(problems) != 0 || len(units) != 3 || units[1].ID != "postgresql@15-main.service" || units[1].ActiveState != "inactive" || units[2].Type != "" {
		t.Errorf("debian12: %+v %v", units, problems)
	}
	units, problems = ParseSystemctlShow([]byte("ActiveState=active\n\nId=a.service\nNRestarts=x\nbroken\nActiveEnterTimestampMonotonic=-1\n"))
	if len(units) != 1 || !reflect.DeepEqual(reasons(problems), []Reason{Missing, Malformed, Malformed, Malformed}) {
		t.Errorf("broken: %+v %v", units, problems)
	}
}

func TestFirstNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"42\n", 42, true},
		{"delay: 12.5s\n", 12.5, true},
		{"queue=-3 items", -3, true},
		{"1e3 messages", 1000, true},
		{"v2.0 ok", 2.0, true},
		{".5", 0.5, true},
		{"none\n", 0, false},
		{"", 0, false},
		{"1e999", 0, false},
	} {
		got, problems := FirstNumber([]byte(tc.in))
		if got != tc.want || (len(problems) == 0) != tc.ok {
			t.Errorf("%q: %v %v", tc.in, got, problems)
		}
	}
}

func TestParseCommandEnd(t *testing.T) {
	end, problems := ParseCommandEnd([]string{"124", "100.25", "105.30"})
	if len(problems) != 0 || end.ExitCode != 124 || end.Seconds < 5.049 || end.Seconds > 5.051 {
		t.Errorf("got %+v %v", end, problems)
	}
	for _, args := range [][]string{{"0"}, {"x", "1", "2"}, {"256", "1", "2"}, {"0", "2", "1"}, {"0", "a", "1"}} {
		if _, problems := ParseCommandEnd(args); len(problems) != 1 {
			t.Errorf("%q accepted", args)
		}
	}
}
