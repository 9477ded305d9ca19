package olt

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The page rendered into reused memory (appendPage) must serve the bytes the first
// renderer served (referencePage, below): the collector's golden tests and fixtures were
// made from those.

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// pagePopulation is the default population plus the names and glitches a page must
// escape and show: quotes, backslashes, a newline, "</script>", every glitch, an ONU up
// since the clock's future.
func pagePopulation(now time.Time) []*ONU {
	onus := Populate(1, 4, 64, now)
	odd := []string{`O'Brien \ Sons`, "two\nlines", "</script><b>", `\'`, "", "Śrī 王家 ✓"}
	for i, name := range odd {
		onus[i*7].Name = name
	}
	onus[1].Glitch, onus[2].Glitch, onus[4].Glitch = GlitchNaN, GlitchAllOnes, GlitchFloor
	onus[5].Since = now.Add(time.Hour)
	onus[8].Status, onus[8].Reason, onus[8].Deregs = StatusLoopDetected, 3, 1234567
	onus[10].Firmware, onus[10].MAC = "V'2", `E0\E8`
	onus[12].Temp, onus[12].RxPower = -0.004, -0.005
	return onus
}

func TestAppendPageIsTheReferencePage(t *testing.T) {
	base := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	onus := pagePopulation(base)
	buf := make([]byte, 0, 10) // grows, then is reused as the server reuses it
	for _, now := range []time.Time{base, base.Add(17 * time.Second), base.Add(1234 * time.Hour), base.Add(-48 * time.Hour)} {
		for _, width := range []int{22, 16} {
			for _, set := range [][]*ONU{onus, onus[64:128], onus[:1], nil} {
				var want strings.Builder
				referencePage(&want, set, width, now)
				buf = appendPage(buf[:0], set, width, now)
				if got := string(buf); got != want.String() {
					t.Fatalf("width %d, %d ONUs, %s: page differs from the reference at byte %d\n got %.200q\nwant %.200q",
						width, len(set), now, firstDiff(got, want.String()), got[firstDiff(got, want.String()):], want.String()[firstDiff(got, want.String()):])
				}
			}
		}
		for _, o := range onus {
			if got, want := fields(o, now), referenceFields(o, now); got != want {
				t.Fatalf("fields(%s) at %s:\n got %q\nwant %q", o.Key(), now, got, want)
			}
		}
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestServedPagesAreTheReference serves pages from many requests at once (the pooled
// buffers are shared between them) and after the ONUs change, and compares each body
// with the reference rendering of the same state.
func TestServedPagesAreTheReference(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	o := New(Options{Username: "admin", Password: "pw", PONs: 4, ONUs: pagePopulation(now), Clock: fixedClock{now}})
	if err := o.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })

	want := func(path string) string {
		o.mu.Lock()
		defer o.mu.Unlock()
		var b strings.Builder
		if pon, ok := strings.CutPrefix(path, "/onuOverview.asp?oltponno=0/"); ok {
			n, _ := strconv.Atoi(pon)
			var on []*ONU
			for _, u := range o.onus {
				if u.PON == n {
					on = append(on, u)
				}
			}
			referencePage(&b, on, 16, now)
		} else {
			referencePage(&b, o.onus, 22, now)
		}
		return b.String()
	}
	paths := []string{"/onuAllPonOnuList.asp", "/onuOverview.asp?oltponno=0/1", "/onuOverview.asp?oltponno=0/3", "/onuOverview.asp?oltponno=0/4"}
	check := func(round string) {
		var wg sync.WaitGroup
		for i := range 12 {
			path := paths[i%len(paths)]
			wg.Go(func() {
				code, got := get(t, o, "GET", path, "admin", "pw")
				if w := want(path); code != http.StatusOK || got != w {
					t.Errorf("%s: GET %s: %d, body differs from the reference at byte %d of %d", round, path, code, firstDiff(got, w), len(w))
				}
			})
		}
		wg.Wait()
	}
	check("initial")

	down, pwr, name, glitch, rx := StatusDown, StatusPwrDown, "Kios 'Baru'\\", GlitchNaN, -31.5
	changes := []struct {
		pon, id int
		c       ONUChange
	}{
		{1, 1, ONUChange{Status: &down}},
		{2, 10, ONUChange{Status: &pwr}},
		{3, 3, ONUChange{Name: &name, RxPower: &rx}},
		{4, 64, ONUChange{Glitch: &glitch}},
	}
	for _, ch := range changes {
		if err := o.ChangeONU(ch.pon, ch.id, ch.c); err != nil {
			t.Fatal(err)
		}
	}
	check("after changes")
}

// TestAppendPageMakesNoGarbage: a page rendered into a buffer with room allocates nothing
// (the simulator shares its process with the exporter in benchmarks and tests).
func TestAppendPageMakesNoGarbage(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	onus := pagePopulation(now)
	buf := appendPage(nil, onus, 22, now)
	if n := testing.AllocsPerRun(20, func() { buf = appendPage(buf[:0], onus, 22, now) }); n != 0 {
		t.Errorf("appendPage into a buffer with room: %v allocations, want 0", n)
	}
}

// referencePage is the page as the simulator first rendered it (a strings.Builder, a
// string per column), kept to hold appendPage to the same bytes.
func referencePage(b *strings.Builder, onus []*ONU, width int, now time.Time) {
	b.WriteString(pageHead)
	b.WriteString("var onutable=new Array(\n")
	for i, o := range onus {
		row := referenceFields(o, now)
		for j, f := range row[:width] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\'')
			referenceJSEscape(b, f)
			b.WriteByte('\'')
		}
		if i < len(onus)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString("\n);\nvar lineNum=(onutable.length)/")
	b.WriteString(strconv.Itoa(width))
	b.WriteString(";\n")
	b.WriteString(strings.ReplaceAll(pageTail, "%W%", strconv.Itoa(width)))
}

// referenceFields is an ONU's 22 columns in HiOSO's order.
func referenceFields(o *ONU, now time.Time) [22]string {
	var f [22]string
	f[0] = o.Key()
	f[1] = o.Name
	f[2] = o.MAC
	f[3] = string(o.Status)
	f[4] = o.Firmware
	f[5] = "0x6504"
	f[6] = "1"
	f[7], f[8] = "0", "--"
	auth := "1"
	if !o.Active {
		auth = "2"
	}
	f[9] = auth
	for i := 10; i <= 15; i++ {
		f[i] = "--"
	}
	f[16], f[17] = "--", "--"
	up := now.Sub(o.Since)
	if up < 0 {
		up = 0
	}
	if o.online() {
		f[7], f[8] = "5", "0x21"
		f[10] = strconv.Itoa(o.RTT)
		d := o.Drift(now)
		f[11] = referenceFixed(o.Temp + d)
		f[12] = referenceFixed(o.Voltage)
		f[13] = referenceFixed(o.BiasMA + d)
		f[14] = referenceFixed(o.TxPower + d/3)
		f[15] = referenceFixed(o.RxPower + d)
		switch o.Glitch {
		case GlitchAllOnes:
			f[12], f[13], f[14], f[15] = "6.55", "131.07", "8.16", "8.16"
		case GlitchNaN:
			f[11], f[15] = "nan", "-inf"
		case GlitchFloor:
			f[15] = "-40.00"
		}
		f[16] = o.Since.UTC().Format("2006/01/02 15:04:05")
		f[19] = strconv.Itoa(int(up.Seconds()))
	} else {
		f[17] = o.Since.UTC().Format("2006/01/02 15:04:05")
		f[19] = "0"
	}
	f[18] = strconv.Itoa(o.Reason)
	f[20] = strconv.Itoa(o.Deregs)
	f[21] = "0"
	if o.DyingGasp {
		f[21] = "1"
	}
	return f
}

func referenceFixed(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// referenceJSEscape writes s as the inside of a single-quoted JavaScript string.
func referenceJSEscape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '<': // keep "</script>" in a name from ending the script
			b.WriteString(`\x3c`)
		default:
			b.WriteByte(c)
		}
	}
}
