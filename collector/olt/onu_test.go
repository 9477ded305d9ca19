package olt

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
)

// number reads bare decimals and refuses every way OLTs write "no reading", in any case,
// without asking invalidText first.
func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"-17.06", -17.06, true}, {" 46.00 ", 46, true}, {"0", 0, true}, {"3.3e1", 33, true},
		{"12abc", 0, false}, {"1e400", 0, false},
	} {
		if got, ok := number(tc.in); ok != tc.ok || ok && got.Float64() != tc.want {
			t.Errorf("number(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, w := range []string{"", "--", "-", "na", "n/a", "null", "nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"} {
		for _, s := range []string{w, strings.ToUpper(w), " " + w + " "} {
			if !invalidText(strings.TrimSpace(s)) {
				t.Fatalf("invalidText(%q) is false: the list here is out of date", s)
			}
			if v, ok := number(s); ok {
				t.Errorf("number(%q) = %v, want no reading", s, v)
			}
		}
	}
}

// parseFloatShifted is what decimal must agree with: strconv on s with "e-shift" added.
func parseFloatShifted(s string, shift int) (float64, error) {
	if shift > 0 {
		s += "e-" + strconv.Itoa(shift)
	}
	return strconv.ParseFloat(s, 64)
}

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		in    string
		shift int
		want  float64
		ok    bool
	}{
		{"-17.06", 0, -17.06, true}, {"+3.30", 0, 3.3, true}, {"14.20", 3, 0.0142, true},
		{"45", 0, 45, true}, {"5.", 0, 5, true}, {".5", 0, 0.5, true}, {"-0", 0, 0, true},
		{"123456789012345", 0, 123456789012345, true}, {"0.000000000000001", 3, 1e-18, true},
		{"1234567890123456", 0, 0, false}, // 16 digits: left to strconv
		{"", 0, 0, false}, {"-", 0, 0, false}, {".", 0, 0, false}, {"1.2.3", 0, 0, false},
		{" 1", 0, 0, false}, {"1e3", 0, 0, false}, {"--", 0, 0, false}, {"0x10", 0, 0, false},
		{"1_000", 0, 0, false}, {"inf", 0, 0, false},
	} {
		x, ok := decimal(tc.in, tc.shift)
		got := x.Float64()
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("decimal(%q, %d) = %v, %v; want %v, %v", tc.in, tc.shift, got, ok, tc.want, tc.ok)
		}
		if ok {
			if want, err := parseFloatShifted(tc.in, tc.shift); err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("decimal(%q, %d) = %v, strconv says %v, %v", tc.in, tc.shift, got, want, err)
			}
		}
	}
}

// FuzzDecimal: whatever decimal accepts, strconv reads to the very same float64 (sign of
// zero included), with and without the shift bias currents use.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"-17.06", "3.30", "14.20", "45", "--", "1e3", ".5", "999999999999999", "0.0000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, shift := range []int{0, 3} {
			x, ok := decimal(s, shift)
			if !ok {
				continue
			}
			want, err := parseFloatShifted(s, shift)
			if got := x.Float64(); err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("decimal(%q, %d) = %v, strconv says %v, %v", s, shift, got, want, err)
			}
			// And it is written as that float is.
			if x.String() != collector.Float(want).String() {
				t.Fatalf("decimal(%q, %d) is written %q, its float %q", s, shift, x.String(), collector.Float(want).String())
			}
		}
		// number with the fast path agrees with number without it.
		got, ok := number(s)
		want, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		wantOK := err == nil && !math.IsNaN(want) && !math.IsInf(want, 0)
		if ok != wantOK || ok && math.Float64bits(got.Float64()) != math.Float64bits(want) {
			t.Fatalf("number(%q) = %v, %v; strconv says %v, %v", s, got, ok, want, err)
		}
		// And it is written as that float is, whether its digits were kept or not.
		if ok && got.String() != collector.Float(want).String() {
			t.Fatalf("number(%q) is written %q, its float %q", s, got.String(), collector.Float(want).String())
		}
	})
}
