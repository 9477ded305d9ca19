package olt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
)

// describe writes an ONU as one line, readings rounded, absent readings left out, so a
// table of expectations reads like the page.
func describe(o ONU) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%s %s name=%q mac=%s fw=%q auth=%q ctc=%q", o.PON, o.ID, o.State, o.Name, o.MAC, o.Firmware, o.Auth, o.CTCStatus)
	if o.OfflineReason != "" {
		fmt.Fprintf(&b, " reason=%s", o.OfflineReason)
	}
	for _, r := range []struct {
		name string
		v    collector.Number
	}{
		{"rx", o.RxPowerDBm}, {"tx", o.TxPowerDBm}, {"temp", o.TemperatureCelsius}, {"volt", o.VoltageVolts},
		{"bias", o.BiasCurrentAmperes}, {"dist", o.DistanceMeters}, {"online", o.OnlineSeconds},
		{"dereg", o.Deregistrations}, {"gasp", o.DyingGasp},
	} {
		if v := r.v.Float64(); !math.IsNaN(v) {
			fmt.Fprintf(&b, " %s=%.6g", r.name, v)
		}
	}
	return b.String()
}

func TestParseHiOSOFixtures(t *testing.T) {
	tests := []struct {
		file string
		pon  string // the overview page's PON, "" for the all-PON page
		pons []string
		want []string
	}{
		{"hioso-22.html", "", []string{"0/1", "0/2"}, []string{
			// 8190 TQ: 8190×1.6393 − 157 = 13268.87 > 157, so 13268.87 − 157 = 13111.87 m.
			`0/1:1 up name="Warung Bu Tini" mac=E0:E8:E6:A0:69:09 fw="V2.1.05" auth="activated" ctc="CtcNegDone" reason=onu_init rx=-17.06 tx=2.1 temp=46 volt=3.3 bias=0.0105 dist=13111.9 online=3600 dereg=2 gasp=0`,
			`0/1:2 down name="Jum'at Berkah, Blok C" mac=E0:E8:E6:A0:69:0A fw="V2.1.05" auth="activated" ctc="" reason=timeout online=0 dereg=7 gasp=0`,
			`0/1:3 pwrdown name="Pak Dédé" mac=E0:E8:E6:A0:69:0B fw="V2.1.05" auth="activated" ctc="" reason=other online=0 dereg=4 gasp=1`,
			// Every reading invalid: nan, all-ones DDM (6.55 V, 131.07 mA, 8.16 dBm), -inf. 100 TQ is under 157 m: 1 m.
			`0/2:1 loopdetected name="王家 \\ Wang" mac=E0:E8:E6:A0:6A:01 fw="V2.1.05" auth="activated" ctc="CtcNegDone" reason=olt_init dist=1 online=120 dereg=0 gasp=0`,
			// RX at the -40 dBm floor is no reading; auth 2 is Deactivate; 200 TQ: 327.86 − 157 = 170.86 > 157, so 13.86 m.
			`0/2:2 up name="Kost Melati" mac=E0:E8:E6:A0:6A:02 fw="V2.0.11" auth="deactivated" ctc="CtcInfo" reason=not_whitelisted tx=2.5 temp=72.5 volt=3.28 bias=0.012 dist=13.86 online=86400 dereg=1 gasp=0`,
			`0/2:3 up name="Toko (Maju)" mac=E0:E8:E6:A0:6A:03 fw="V2.0.11" auth="activated" ctc="RequestCfg" reason=blacklisted rx=-28.4 tx=2.4 volt=3.31 bias=0.009 dist=19357.6 online=86400 dereg=0 gasp=0`,
		}},
		{"hioso-16.html", "0/3", []string{"0/3"}, []string{
			`0/3:1 up name="Masjid Al-Ikhlas" mac=E0:E8:E6:B0:00:01 fw="V1.9.2" auth="activated" ctc="CtcNegDone" rx=-21.5 tx=2.2 temp=40.25 volt=3.29 bias=0.011 dist=1325.3`,
			`0/3:7 down name="Posyandu, Mawar" mac=E0:E8:E6:B0:00:07 fw="V1.9.2" auth="deactivated" ctc=""`,
		}},
		{"hioso-18.html", "", []string{"0/1", "0/2"}, []string{
			`0/1:4 up name="Rumah Pak Ahmad" mac=E0:E8:E6:C0:01:04 fw="V1.2" auth="activated" ctc="CtcNegDone" reason=onu_init rx=-19.9 tx=2.3 temp=44.1 volt=3.3 bias=0.01 dist=7882.5 online=7200 dereg=1`,
			`0/2:9 down name="Klinik Sehat" mac=E0:E8:E6:C0:02:09 fw="V1.2" auth="deactivated" ctc="" reason=timeout online=0 dereg=5`,
		}},
		{"hioso-13.html", "", []string{"0/1"}, []string{
			`0/1:1 up name="Sekolah SDN 3" mac=E0:E8:E6:D0:01:01 fw="V1.0" auth="activated" ctc="CtcNegDone" rx=-23.1 tx=2 temp=39 volt=3.31 bias=0.0095 dist=4603.9`,
			`0/1:2 down name="Kantor Desa" mac=E0:E8:E6:D0:01:02 fw="V1.0" auth="deactivated" ctc=""`,
		}},
		{"hioso-11.html", "", []string{"0/1"}, []string{
			`0/1:5 up name="Pos Kamling" mac=E0:E8:E6:E0:01:05 fw="" auth="activated" ctc="CtcNegDone" rx=-25 tx=2.1 temp=37.5 volt=3.3 dist=2964.6`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			page := fixture(t, tt.file)
			snap, err := parseHiOSO(page, tt.pon)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(snap.PONs, tt.pons) {
				t.Errorf("PONs %q, want %q", snap.PONs, tt.pons)
			}
			var got []string
			for _, o := range snap.ONUs {
				got = append(got, describe(o))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseHiOSOErrors(t *testing.T) {
	row := `'0/1:1','n','m','Up','f','c','p','5','v','1','10','40','3.3','10','2','-20','--','--','0','1','0','0'`
	tests := []struct {
		name, page, want string
	}{
		{"no script", `<html><body>Login</body></html>`, "no <script> with the ONU array"},
		{"script without the array", `<html><script>var x=1;</script></html>`, "no <script> with the ONU array"},
		{"no width", `<script>var onutable=new Array(` + row + `);</script>`, "does not state its row width"},
		{"unknown width", `<script>var onutable=new Array(` + row + `); var lineNum=(onutable.length)/21;</script>`, "unknown row width 21"},
		{"not whole rows", `<script>var onutable=new Array(` + row + `,'0/1:2'); var lineNum=(onutable.length)/22;</script>`, "23 elements are not whole rows of 22"},
		{"page cut inside the array", `<script>var onutable=new Array(` + row[:40], "ends before its closing parenthesis"},
		{"page cut inside a string", `<script>var onutable=new Array(` + row[:38], "string not closed"},
		{"bad id", `<script>var onutable=new Array('x'` + row[7:] + `); var lineNum=(onutable.length)/22;</script>`, `ONU id "x" is not PON:ONU`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseHiOSO([]byte(tt.page), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if r := collector.Classify(context.Background(), err); r != collector.ReasonProtocol {
				t.Errorf("reason %s, want protocol", r)
			}
		})
	}
	// An overview page for a PON without ONUs is a valid, empty PON.
	snap, err := parseHiOSO([]byte(`<script>var onutable=new Array(); var lineNum=(onutable.length)/16;</script>`), "0/4")
	if err != nil || len(snap.ONUs) != 0 || !slices.Equal(snap.PONs, []string{"0/4"}) {
		t.Errorf("empty PON: %+v, %v", snap, err)
	}
	_, err = parseHiOSO([]byte(`<html>login</html>`), "")
	if !errors.Is(err, errNoArray) {
		t.Errorf("a page without the array: %v does not say so", err)
	}
}

// TestReadings: each reading's value, and its text in the exposition (from the digits
// the OLT wrote, where it wrote a decimal: 46.00 °C is 46, 10.50 mA is 0.0105 A).
func TestReadings(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func(string) collector.Number
		in   string
		want float64 // NaN: omitted
		text string
	}{
		{"power", power, "-17.06", -17.06, "-17.06"},
		{"power dashes", power, "--", math.NaN(), "NaN"},
		{"power -inf", power, "-inf", math.NaN(), "NaN"},
		{"power nan", power, "nan", math.NaN(), "NaN"},
		{"power all ones", power, "8.16", math.NaN(), "NaN"},
		{"power floor", power, "-40.00", math.NaN(), "NaN"},
		{"power just above the floor", power, "-39.99", -39.99, "-39.99"},
		{"power in an exponent", power, "-1.75e1", -17.5, "-17.5"},
		{"voltage", voltage, "3.30", 3.3, "3.3"},
		{"voltage all ones", voltage, "6.55", math.NaN(), "NaN"},
		{"bias mA to A", biasAmperes, "10.50", 0.0105, "0.0105"},
		{"bias all ones", biasAmperes, "131.07", math.NaN(), "NaN"},
		{"temperature", temperature, "46.00", 46, "46"},
		{"temperature nan", temperature, "NaN", math.NaN(), "NaN"},
		{"temperature absurd", temperature, "-273", math.NaN(), "NaN"},
		{"count", count, "3600", 3600, "3600"},
		{"count of weeks", count, "2500000", 2500000, "2.5e+06"},
		{"count fraction", count, "1.5", math.NaN(), "NaN"},
		{"count negative", count, "-1", math.NaN(), "NaN"},
		{"distance", distanceFromRTT, "8190", 8190*1.6393 - 157 - 157, "13111.867"},
		{"distance short", distanceFromRTT, "150", 1, "1"},
		{"distance at the edge", distanceFromRTT, "0", 1, "1"},
		{"distance unknown", distanceFromRTT, "--", math.NaN(), "NaN"},
	} {
		x := tt.f(tt.in)
		got := x.Float64()
		if !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) && math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
		if x.String() != tt.text {
			t.Errorf("%s(%q) is written %q, want %q", tt.name, tt.in, x.String(), tt.text)
		}
	}
}

// FuzzParseHiOSO: no page crashes the parser; a page it accepts gives ONUs with a PON and
// an id, states from the fixed set, and readings that are finite or absent.
func FuzzParseHiOSO(f *testing.F) {
	for _, name := range []string{"hioso-22.html", "hioso-16.html", "hioso-18.html", "hioso-13.html", "hioso-11.html"} {
		page := fixture(f, name)
		f.Add(page)
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		snap, err := parseHiOSO(page, "0/1")
		want, wantErr := parseHiOSOWhole(page, "0/1")
		all, allErr := parseHiOSO(page, "") // an all-PON page: the PONs from the rows
		wantAll, wantAllErr := parseHiOSOWhole(page, "")
		if (allErr == nil) != (wantAllErr == nil) || fmt.Sprintf("%+v", all) != fmt.Sprintf("%+v", wantAll) {
			t.Fatalf("all-PON page, row by row: %+v, %v; whole array: %+v, %v", all, allErr, wantAll, wantAllErr)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("row by row: %v; whole array: %v", err, wantErr)
		}
		if err != nil {
			if collector.Classify(context.Background(), err) != collector.ReasonProtocol {
				t.Fatalf("error without the protocol reason: %v", err)
			}
			return
		}
		if g, w := fmt.Sprintf("%+v", snap), fmt.Sprintf("%+v", want); g != w {
			t.Fatalf("row by row:\n%s\nwhole array:\n%s", g, w)
		}
		// As the driver reads: into reused memory, the last read as prev, and the page's
		// memory reused afterwards. Nothing may change.
		buf, into := bytes.Clone(page), Snapshot{ONUs: make([]ONU, 3)}
		if err := readHiOSO(buf, "0/1", &into, snap.ONUs[min(1, len(snap.ONUs)):]); err != nil {
			t.Fatalf("into reused memory: %v", err)
		}
		spoil(buf)
		if g, w := fmt.Sprintf("%+v", into), fmt.Sprintf("%+v", *snap); g != w {
			t.Fatalf("into reused memory, the page spoiled after:\n%s\nwant\n%s", g, w)
		}
		for _, o := range snap.ONUs {
			if o.PON == "" || o.ID == "" || !slices.Contains(States, o.State) {
				t.Fatalf("bad ONU %+v", o)
			}
			for _, v := range []collector.Number{o.RxPowerDBm, o.TxPowerDBm, o.TemperatureCelsius, o.VoltageVolts, o.BiasCurrentAmperes, o.DistanceMeters, o.OnlineSeconds, o.Deregistrations, o.DyingGasp} {
				if math.IsInf(v.Float64(), 0) {
					t.Fatalf("infinite reading in %+v", o)
				}
			}
		}
	})
}

// parseHiOSOWhole is parseHiOSO as it was before it read the array row by row: every
// element first, then whole rows. FuzzParseHiOSO holds the two to the same result.
func parseHiOSOWhole(page []byte, pon string) (*Snapshot, error) {
	script, ok := findScript(page, hiosoArray)
	if !ok {
		var err error
		if script, err = findScriptDOM(page, hiosoArray); err != nil {
			return nil, err
		}
	}
	cells, err := jsArray(script, hiosoArray)
	if err != nil {
		return nil, err
	}
	width, ok := jsDivisor(script, hiosoArray)
	layout, known := hiosoLayouts[width]
	if !ok || !known || len(cells)%width != 0 {
		return nil, fmt.Errorf("width %d of %d elements", width, len(cells))
	}
	snap := &Snapshot{ONUs: make([]ONU, 0, len(cells)/width), States: HiOSOStates}
	if pon != "" {
		snap.PONs = []string{pon}
	}
	for r := 0; r+width <= len(cells); r += width {
		var onu ONU
		if err := layout.row(&onu, cells[r:r+width], pon, &noONU, ""); err != nil {
			return nil, err
		}
		if pon == "" && !slices.Contains(snap.PONs, onu.PON) {
			snap.PONs = append(snap.PONs, onu.PON)
		}
		snap.ONUs = append(snap.ONUs, onu)
	}
	return snap, nil
}

// TestHiOSOGB2312: a HiOSO page in GB2312 (declared in its <meta>) gives UTF-8 names.
func TestHiOSOGB2312(t *testing.T) {
	page := fixturePage(t, "hioso-16-gb2312.html")
	snap, err := parseHiOSO(page, "0/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.ONUs) != 1 || snap.ONUs[0].Name != "王家 小卖部" {
		t.Errorf("ONUs %+v", snap.ONUs)
	}
	// UTF-8 pages are used as they are.
	utf, _ := os.ReadFile(filepath.Join("testdata", "hioso-22.html"))
	if same, _ := toUTF8(utf, "text/html; charset=gb2312"); string(same) != string(utf) {
		t.Error("a UTF-8 page was re-decoded")
	}
}

// TestRowTrimsCells: cells are read without the spaces around them, ASCII or Unicode
// (U+00A0, U+3000), and cells without any keep every byte.
func TestRowTrimsCells(t *testing.T) {
	row := func(name, status, rx string) []string {
		return []string{"0/1:5", name, "E0:E8:E6:00:00:05", status, "V1", "0", "0", "5", "0", "1", "5000",
			"40", "3.3", "12", "2.1", rx, "", "", "1", "60", "0", "0"}
	}
	for _, tc := range []struct {
		name, status, rx string
		wantName, wantRx string
		wantState        State
	}{
		{"Budi", "Up", "-20.5", "Budi", "-20.5", StateUp},
		{" Budi\t", " Up ", " -20.5\r\n", "Budi", "-20.5", StateUp},
		{"\u00a0Budi\u00a0", "Down\u3000", "\u00a0-20.5", "Budi", "-20.5", StateDown},
		{"Toko \u00a0 Maju", "Up", "-20.5", "Toko \u00a0 Maju", "-20.5", StateUp},
		{"王家", "Up", "-20.5", "王家", "-20.5", StateUp},
		{"", "Up", "", "", "NaN", StateUp},
	} {
		var o ONU
		layout := hiosoLayouts[22]
		if err := layout.row(&o, row(tc.name, tc.status, tc.rx), "", &noONU, ""); err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		if o.Name != tc.wantName || o.State != tc.wantState || fmt.Sprint(o.RxPowerDBm) != tc.wantRx {
			t.Errorf("name %q, status %q, rx %q: got %q, %s, %v; want %q, %s, %s", tc.name, tc.status, tc.rx,
				o.Name, o.State, o.RxPowerDBm, tc.wantName, tc.wantState, tc.wantRx)
		}
	}
}
