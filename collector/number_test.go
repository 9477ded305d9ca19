package collector

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func mustDecimal(n uint64, places int, neg bool) Number {
	x, ok := Decimal(n, places, neg)
	if !ok {
		panic("not a decimal Number: " + strconv.FormatUint(n, 10))
	}
	return x
}

// decimalText is n×10^-places as text strconv reads.
func decimalText(n uint64, places int, neg bool) string {
	s := strconv.FormatUint(n, 10) + "e-" + strconv.Itoa(places)
	if neg {
		s = "-" + s
	}
	return s
}

// checkDecimal holds a decimal Number to strconv: its value is what ParseFloat reads from
// the decimal, and it is written as appendFloat (and expfmt) write that value.
func checkDecimal(t *testing.T, n uint64, places int, neg bool) {
	t.Helper()
	x, ok := Decimal(n, places, neg)
	if want := n < 1e15 && places >= 0 && places <= 22; ok != want {
		t.Fatalf("Decimal(%d, %d, %v): ok %v, want %v", n, places, neg, ok, want)
	}
	if !ok {
		return
	}
	want, err := strconv.ParseFloat(decimalText(n, places, neg), 64)
	if err != nil {
		t.Fatal(err)
	}
	if x.Float64() != want || math.Signbit(x.Float64()) != math.Signbit(want) {
		t.Fatalf("Decimal(%d, %d, %v) = %v, want %v", n, places, neg, x.Float64(), want)
	}
	if got, wantText := string(appendNumber(nil, x)), wantFloat(want); got != wantText {
		t.Fatalf("Decimal(%d, %d, %v) written %q, want %q", n, places, neg, got, wantText)
	}
	if got, wantText := string(appendNumber(nil, Float(want))), wantFloat(want); got != wantText {
		t.Fatalf("Float(%v) written %q, want %q", want, got, wantText)
	}
}

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		n      uint64
		places int
		neg    bool
		want   string
	}{
		{1706, 2, true, "-17.06"}, {4600, 2, false, "46"}, {330, 2, false, "3.3"},
		{1250, 5, false, "0.0125"}, // 12.50 mA in amperes
		{1, 4, false, "0.0001"}, {9, 5, false, "9e-05"}, {12345, 9, true, "-1.2345e-05"},
		{2500000, 0, false, "2.5e+06"}, {2500001, 0, false, "2.500001e+06"}, {999999, 0, false, "999999"},
		{9999995, 1, false, "999999.5"}, {10000000, 1, false, "1e+06"}, {123456789012345, 3, false, "1.23456789012345e+11"},
		{0, 2, true, "0"}, {0, 0, false, "0"}, {7, 22, false, "7e-22"}, {999999999999999, 22, false, "9.99999999999999e-08"},
		{5, 0, true, "-5"}, {400000, 5, false, "4"}, {100, 0, false, "100"},
	} {
		x := mustDecimal(tc.n, tc.places, tc.neg)
		if got := string(appendNumber(nil, x)); got != tc.want {
			t.Errorf("Decimal(%d, %d, %v) written %q, want %q", tc.n, tc.places, tc.neg, got, tc.want)
		}
		checkDecimal(t, tc.n, tc.places, tc.neg)
	}
	for _, tc := range []struct {
		n      uint64
		places int
	}{{1e15, 0}, {1, 23}, {1, -1}} {
		if _, ok := Decimal(tc.n, tc.places, false); ok {
			t.Errorf("Decimal(%d, %d) accepted: it cannot promise the shortest form", tc.n, tc.places)
		}
	}
}

// TestDecimalsLikeDevices: many decimals of every size and number of places.
func TestDecimalsLikeDevices(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		n := r.Uint64N(uint64(math.Pow10(r.IntN(15) + 1)))
		checkDecimal(t, n, r.IntN(23), r.IntN(2) == 0)
	}
}

func FuzzDecimal(f *testing.F) {
	for _, seed := range []struct {
		n      uint64
		places uint8
		neg    bool
	}{{1706, 2, true}, {4600, 2, false}, {1250, 5, false}, {2500000, 0, false}, {9, 5, false}, {999999999999999, 22, true}, {1e15, 3, false}} {
		f.Add(seed.n, seed.places, seed.neg)
	}
	f.Fuzz(func(t *testing.T, n uint64, places uint8, neg bool) {
		checkDecimal(t, n, int(places), neg)
		checkDecimal(t, n%1e15, int(places%23), neg)
	})
}

// BenchmarkAppendNumber: an ONU's readings written from the decimals they were read
// from, against the same values as floats.
func BenchmarkAppendNumber(b *testing.B) {
	decimals := []Number{mustDecimal(1706, 2, true), mustDecimal(2350, 2, true), mustDecimal(4550, 2, false),
		mustDecimal(330, 2, false), mustDecimal(1420, 5, false), mustDecimal(2500000, 0, false), mustDecimal(3, 0, false)}
	floats := make([]Number, len(decimals))
	for i, x := range decimals {
		floats[i] = Float(x.Float64())
	}
	buf := make([]byte, 0, 64)
	for name, values := range map[string][]Number{"decimal": decimals, "float": floats} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, v := range values {
					buf = appendNumber(buf[:0], v)
				}
			}
		})
	}
}

func TestDigitCount(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []uint64{0, 1, 9, 10, 99, 100, 999999, 1e6, 1e15 - 1, 1e19 - 1, 1e19, math.MaxUint64} {
		if got, want := digitCount(n), len(strconv.FormatUint(n, 10)); got != want {
			t.Errorf("digitCount(%d) = %d, want %d", n, got, want)
		}
	}
	for range 100_000 {
		n := r.Uint64() >> r.IntN(64)
		if got, want := digitCount(n), len(strconv.FormatUint(n, 10)); got != want {
			t.Fatalf("digitCount(%d) = %d, want %d", n, got, want)
		}
	}
}

// decimalGrammar is what ParseDecimal takes: a sign, digits and a point, nothing else.
var decimalGrammar = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// checkParseDecimal holds ParseDecimal to strconv: it takes what the grammar allows with
// up to 15 digits, reads the value strconv reads, and writes what appendFloat writes.
func checkParseDecimal(t *testing.T, s string) {
	t.Helper()
	x, ok := ParseDecimal(s)
	digits := 0
	for i := range len(s) {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if want := decimalGrammar.MatchString(s) && digits <= 15; ok != want {
		t.Fatalf("ParseDecimal(%q): ok %v, want %v", s, ok, want)
	}
	if !ok {
		return
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(x.Float64()) != math.Float64bits(want) {
		t.Fatalf("ParseDecimal(%q) = %v, strconv %v", s, x.Float64(), want)
	}
	// Shifted, it is what strconv reads with an exponent, and written as that float.
	shifted, ok := ParseDecimalShifted(s, 3)
	wantShifted, err := strconv.ParseFloat(s+"e-3", 64)
	if !ok || err != nil || math.Float64bits(shifted.Float64()) != math.Float64bits(wantShifted) || shifted.String() != wantFloat(wantShifted) {
		t.Fatalf("ParseDecimalShifted(%q, 3) = %v (%q), %v; strconv %v, %v", s, shifted.Float64(), shifted.String(), ok, wantShifted, err)
	}
	if got := x.String(); got != wantFloat(want) {
		t.Fatalf("ParseDecimal(%q) written %q, want %q", s, got, wantFloat(want))
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"-17.06", "-17.06"}, {"46.00", "46"}, {"3.30", "3.3"}, {"3600", "3600"}, {"5.", "5"},
		{"-0.00", "0"}, {"0.5", "0.5"}, {".5", "0.5"}, {"+12.5", "12.5"}, {"007", "7"},
		{"0.00005", "5e-05"}, {"2500000", "2.5e+06"}, {"999999.999999999", "999999.999999999"},
		{"-123456.12345678", "-123456.12345678"}, {"100.000", "100"},
	} {
		x, ok := ParseDecimal(tc.in)
		if !ok || x.String() != tc.want {
			t.Errorf("ParseDecimal(%q) = %q, %v; want %q", tc.in, x.String(), ok, tc.want)
		}
		checkParseDecimal(t, tc.in)
	}
	for _, s := range []string{"", "-", ".", "1e3", " 1", "1 ", "--1", "1.2.3", "nan", "0x10", "1234567890123456", "١٢"} {
		if x, ok := ParseDecimal(s); ok {
			t.Errorf("ParseDecimal(%q) = %v, want refused", s, x)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100_000 {
		whole := strconv.FormatUint(r.Uint64N(uint64(math.Pow10(r.IntN(8)))), 10)
		s := whole + "." + strconv.FormatUint(r.Uint64N(uint64(math.Pow10(r.IntN(8)))), 10)[1:] + strings.Repeat("0", r.IntN(3))
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		checkParseDecimal(t, s)
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"-17.06", "46.00", "3.30", "5.", ".5", "-0.00", "+12.5", "007", "0.00005", "2500000", "999999.999999999", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(checkParseDecimal)
}
