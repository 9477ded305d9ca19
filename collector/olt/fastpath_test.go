package olt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rondanet/ronda/collector"
	sim "github.com/rondanet/ronda/internal/sim/olt"
)

// The fast paths of the HiOSO read (nextRow, row's readings) against the general paths
// they stand for (next, reference_test.go's copy of the read before them).

// simPage is the simulator's all-PON page of BenchmarkParseHiOSO's first OLT.
func simPage(tb testing.TB) []byte {
	tb.Helper()
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	o := sim.New(sim.Options{Username: "admin", Password: "pw", PONs: 4, ONUs: sim.Populate(0, 4, 64, now), Clock: fixedClock(now)})
	if err := o.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	defer o.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, o.URL()+hiosoAllPONs, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.SetBasicAuth("admin", "pw")
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s: %v", resp.Status, err)
	}
	return page
}

// sameONU says whether a and b are the same ONU bit for bit (NaNs' bits included).
func sameONU(a, b *ONU) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		switch fa.Kind() {
		case reflect.Float64:
			if math.Float64bits(fa.Float()) != math.Float64bits(fb.Float()) {
				return false
			}
		case reflect.String:
			if fa.String() != fb.String() {
				return false
			}
		case reflect.Struct: // a collector.Number: the same value (bits), however read
			na, nb := fa.Interface().(collector.Number), fb.Interface().(collector.Number)
			if math.Float64bits(na.Float64()) != math.Float64bits(nb.Float64()) {
				return false
			}
		default:
			panic("ONU field of kind " + fa.Kind().String())
		}
	}
	return true
}

// sameSnapshot says whether two reads agree bit for bit.
func sameSnapshot(a, b *Snapshot) bool {
	if fmt.Sprint(a.PONs, a.States) != fmt.Sprint(b.PONs, b.States) || len(a.ONUs) != len(b.ONUs) {
		return false
	}
	for i := range a.ONUs {
		if !sameONU(&a.ONUs[i], &b.ONUs[i]) {
			return false
		}
	}
	return true
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	ctx := context.Background()
	return a.Error() == b.Error() && collector.Classify(ctx, a) == collector.Classify(ctx, b)
}

// FuzzReadHiOSOAgainstReference: a page read with the fast paths gives what the read
// before them gave (reference_test.go): the same ONUs bit for bit, the same PONs, the
// same error; into fresh and into reused memory, with and without the last read as prev,
// the page's memory spoiled afterwards.
func FuzzReadHiOSOAgainstReference(f *testing.F) {
	for _, name := range hiosoFixtures {
		page := fixture(f, name)
		f.Add(page)
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		for _, pon := range []string{"0/1", ""} {
			var got, want Snapshot
			err := readHiOSO(bytes.Clone(page), pon, &got, nil)
			wantErr := refReadHiOSO(bytes.Clone(page), pon, &want, nil)
			if !sameError(err, wantErr) || !sameSnapshot(&got, &want) {
				t.Fatalf("pon %q: fast paths %+v, %v; reference %+v, %v", pon, got, err, want, wantErr)
			}
			// Again, into reused memory with the read as prev (and shifted by one).
			for _, prev := range [][]ONU{want.ONUs, want.ONUs[min(1, len(want.ONUs)):]} {
				buf := bytes.Clone(page)
				again := Snapshot{ONUs: make([]ONU, 2, 5), PONs: []string{"x"}}
				again.ONUs[0].Name = "dirty"
				err := readHiOSO(buf, pon, &again, prev)
				spoil(buf)
				if !sameError(err, wantErr) || !sameSnapshot(&again, &want) {
					t.Fatalf("pon %q, reused memory: fast paths %+v, %v; reference %+v, %v", pon, again, err, want, wantErr)
				}
			}
		}
	})
}

// FuzzNextRowAgainstNext: nextRow reads the same elements as next one at a time, rows of
// any width, and stops with the same error at the same place.
func FuzzNextRowAgainstNext(f *testing.F) {
	f.Add("var onutable=new Array('0/1:1','NA','E0:E8:E6:A0:69:09','Up');", uint8(2))
	f.Add("var onutable=new Array(\n'a','b',\n'c','d'\n);", uint8(2))
	f.Add(`var onutable=new Array('Jum\'at, \x3c','\u00e9',1,'x' ,'y');`, uint8(3))
	f.Add("var onutable=new Array('a','b\n','c');", uint8(1))
	f.Add("var onutable=new Array('a','b',", uint8(4))
	f.Fuzz(func(t *testing.T, script string, w uint8) {
		width := int(w%25) + 1
		fast, err1 := newArrayReader(script, hiosoArray)
		slow, err2 := newArrayReader(script, hiosoArray)
		if err1 != nil || err2 != nil {
			return
		}
		cells, want := make([]string, width), make([]string, width)
		for {
			n, err := fast.nextRow(cells)
			m, wantErr := 0, error(nil)
			for ; m < width; m++ {
				elem, more, err := slow.next()
				if err != nil {
					wantErr = err
					break
				}
				if !more {
					break
				}
				want[m] = elem
			}
			if n != m || !sameError(err, wantErr) || fmt.Sprintf("%q", cells[:n]) != fmt.Sprintf("%q", want[:m]) ||
				fast.i != slow.i || fast.n != slow.n {
				t.Fatalf("nextRow: %d %q, %v (at %d, %d read); next: %d %q, %v (at %d, %d read)",
					n, cells[:n], err, fast.i, fast.n, m, want[:m], wantErr, slow.i, slow.n)
			}
			if err != nil || n < width {
				return
			}
		}
	})
}

// FuzzRowAgainstReference: row reads any cells as the row before its fast paths did, for
// every layout, into an ONU that held another one; it keeps nothing of the cells' memory,
// and shares a string with prev exactly where the reference does.
func FuzzRowAgainstReference(f *testing.F) {
	f.Add(uint8(0), "0/1:1|Warung Bu Tini|E0:E8:E6:A0:69:09|Up|V2.1.05|0x6504|1|5|0x21|1|8190|46.00|3.30|10.50|2.10|-17.06|2026/11/20 07:12:03|2026/11/20 07:10:44|2|3600|2|0",
		"0/1:1|Warung Bu Tini|E0:E8:E6:A0:69:09|Up|V2.1.05", "0/1")
	f.Add(uint8(0), "0/2:1|王家 \\ Wang|E0:E8:E6:A0:6A:01|LoopDetected|V2.1.05|0x6504|1|5|0x21|1|100|nan|6.55|131.07|8.16|-inf|--|--|3|120|0|0", "", "")
	f.Add(uint8(0), " 0/2:2 |\u00a0x|m|Down\u3000|f|c|7|3|v|2| 200 |+72.50|3.28e0|12.00|2.50|-40.00|t|t|5|86400.0|-0|1", "0/2:2|x", "0/2")
	f.Add(uint8(3), "0/1:1|Sekolah|E0:E8:E6:D0:01:01|Up|V1.0|CtcNegDone|Activated|2810|39.00|3.31|9.50|2.00|-23.10", "", "0/1")
	f.Add(uint8(4), "7|Pos|m|up|--|unauthorized|1e3|37.5|3.3|2.1|-25", "", "")
	f.Fuzz(func(t *testing.T, w uint8, text, prevText, before string) {
		widths := []int{22, 18, 16, 13, 11}
		width := widths[int(w)%len(widths)]
		layout := hiosoLayouts[width]
		cells := make([]string, width)
		copy(cells, strings.Split(text, "|"))
		var prev ONU
		if p := strings.Split(prevText, "|"); len(p) >= 5 {
			prev = ONU{ID: p[0], Name: p[1], MAC: p[2], Firmware: p[3], CTCStatus: p[4]}
			prev.PON, prev.ID, _ = strings.Cut(p[0], ":")
		}
		var want ONU
		wantErr := refRow(&layout, &want, cells, "0/9", &prev, before)
		got := ONU{PON: "p", ID: "i", Name: "n", MAC: "m", Firmware: "f", Auth: "a", CTCStatus: "c",
			State: StateLOS, OfflineReason: ReasonBlacklisted, RxPowerDBm: collector.Float(1), TxPowerDBm: collector.Float(2),
			TemperatureCelsius: collector.Float(3), VoltageVolts: collector.Float(4), BiasCurrentAmperes: collector.Float(5),
			DistanceMeters: collector.Float(6), OnlineSeconds: collector.Float(7), Deregistrations: collector.Float(8),
			DyingGasp: collector.Float(9)}
		err := layout.row(&got, cells, "0/9", &prev, before)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("error %v, reference %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !sameONU(&got, &want) {
			t.Fatalf("got\n%+v\nreference\n%+v", got, want)
		}
		lo := uintptr(unsafe.Pointer(unsafe.StringData(text)))
		data := func(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }
		for _, s := range [][3]string{{got.PON, want.PON, prev.PON}, {got.ID, want.ID, prev.ID},
			{got.Name, want.Name, prev.Name}, {got.MAC, want.MAC, prev.MAC},
			{got.Firmware, want.Firmware, prev.Firmware}, {got.CTCStatus, want.CTCStatus, prev.CTCStatus}} {
			if s[0] != "" && data(s[0]) >= lo && data(s[0]) < lo+uintptr(len(text)) {
				t.Fatalf("%q is kept in the cells' memory", s[0])
			}
			if s[0] != "" && (data(s[0]) == data(s[2])) != (data(s[1]) == data(s[2])) {
				t.Fatalf("%q: shared with prev %v, reference %v", s[0], data(s[0]) == data(s[2]), data(s[1]) == data(s[2]))
			}
		}
	})
}

// FuzzReadingsAgainstReference: each reading gives the very float64 (or NaN) it gave
// before its fast paths; bias in amperes from one parse of the text, not two.
func FuzzReadingsAgainstReference(f *testing.F) {
	for _, s := range []string{"-17.06", "3.30", "14.20", "131.07", "131.069", "45", "8190", "--", "1e3", ".5",
		"-0", "+0.0", "999999999999999", "1234567890123456", "0.0000001", " 12 ", "nan", "-inf", "3600", "1.5", "00000000000000001.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range []struct {
			name      string
			got, want func(string) float64
		}{
			{"power", float(power), refPower}, {"voltage", float(voltage), refVoltage},
			{"biasAmperes", float(biasAmperes), refBiasAmperes}, {"temperature", float(temperature), refTemperature},
			{"count", float(count), refCount}, {"distanceFromRTT", float(distanceFromRTT), refDistanceFromRTT},
			{"number", func(s string) float64 {
				v, ok := number(s)
				if !ok {
					return nan
				}
				return v.Float64()
			}, func(s string) float64 {
				v, ok := refNumber(s)
				if !ok {
					return nan
				}
				return v
			}},
		} {
			if g, w := r.got(s), r.want(s); math.Float64bits(g) != math.Float64bits(w) {
				t.Fatalf("%s(%q) = %v (%#x), reference %v (%#x)", r.name, s, g, math.Float64bits(g), w, math.Float64bits(w))
			}
		}
		// A reading kept as the OLT's digits is written as its float would be.
		for _, read := range []func(string) collector.Number{power, voltage, biasAmperes, temperature, count, distanceFromRTT} {
			if x := read(s); x.String() != collector.Float(x.Float64()).String() {
				t.Fatalf("%q is written %q, its float %q", s, x.String(), collector.Float(x.Float64()).String())
			}
		}
	})
}

// TestSimPageAgainstReference: the simulator's page, the one the benchmarks read, reads
// as before (too large a seed to fuzz from).
func TestSimPageAgainstReference(t *testing.T) {
	page := simPage(t)
	var got, want Snapshot
	if err := readHiOSO(bytes.Clone(page), "", &got, nil); err != nil {
		t.Fatal(err)
	}
	if err := refReadHiOSO(bytes.Clone(page), "", &want, nil); err != nil {
		t.Fatal(err)
	}
	if len(got.ONUs) != 256 || !sameSnapshot(&got, &want) {
		t.Fatalf("%d ONUs; differ from the reference: %v", len(got.ONUs), !sameSnapshot(&got, &want))
	}
}

// BenchmarkHiOSORows is the tokenizer alone over the simulator's page: every row's cells.
func BenchmarkHiOSORows(b *testing.B) {
	page := simPage(b)
	script, ok := findScript(page, hiosoArray)
	if !ok {
		b.Fatal("no script")
	}
	var cells [22]string
	for b.Loop() {
		r, err := newArrayReader(script, hiosoArray)
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := r.nextRow(cells[:])
			if err != nil {
				b.Fatal(err)
			}
			if n < len(cells) {
				break
			}
		}
	}
}

// float is a reading's value alone, for comparing with the reference's floats.
func float(read func(string) collector.Number) func(string) float64 {
	return func(s string) float64 { return read(s).Float64() }
}
