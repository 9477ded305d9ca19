package collector

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// wantFloat is what the text format needs for a sample value: strconv's shortest 'g', as
// expfmt writes it, except that negative zero is written 0 (appendFloat's choice: the
// text format cannot tell them apart anyway).
func wantFloat(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.IsInf(f, +1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func TestAppendFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{-17.06, "-17.06"}, {3.3, "3.3"}, {0.0142, "0.0142"}, {14.2e-3, "0.0142"},
		{0.0001, "0.0001"}, {0.00009, "9e-05"}, {999999.5, "999999.5"}, {1e6, "1e+06"},
		{1234567.5, "1.2345675e+06"}, {math.Nextafter(0.3, 1), "0.30000000000000004"}, {-0.5, "-0.5"},
		{1.5, "1.5"}, {12.000001, "12.000001"}, {0.12345678, "0.12345678"},
		{0.123456789, "0.123456789"}, {5562.8905, "5562.8905"}, {math.Copysign(0, -1), "0"}, {42, "42"},
		{2.5e6, "2.5e+06"}, {-1234567, "-1.234567e+06"}, {8.3e9, "8.3e+09"}, {999999999999999, "9.99999999999999e+14"},
		{1e15, "1e+15"}, {1234567890123456, "1.234567890123456e+15"},
	} {
		if got := string(appendFloat(nil, tc.in)); got != tc.want || got != wantFloat(tc.in) {
			t.Errorf("appendFloat(%v) = %q, want %q (strconv: %q)", tc.in, got, tc.want, wantFloat(tc.in))
		}
	}
}

// TestAppendFloatDecimals holds the decimal fast path to strconv on many decimals of the
// kind devices report, at every number of places it tries and one more.
func TestAppendFloatDecimals(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		places := r.IntN(10)
		n := r.Int64N(int64(math.Pow10(r.IntN(16) + 1)))
		f, err := strconv.ParseFloat(strconv.FormatInt(n, 10)+"e-"+strconv.Itoa(places), 64)
		if err != nil {
			t.Fatal(err)
		}
		if r.IntN(2) == 0 {
			f = -f
		}
		if got, want := string(appendFloat(nil, f)), wantFloat(f); got != want {
			t.Fatalf("appendFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{-17.06, 3.3, 0.0142, 1e-4, 999999.99, math.Nextafter(0.3, 1), 1e300, -5e-324} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if got, want := string(appendFloat(nil, v)), wantFloat(v); got != want {
			t.Fatalf("appendFloat(%v) = %q, want %q", v, got, want)
		}
		// The same bits as a short decimal: the values the fast path is for.
		d := float64(int64(bits%2_000_000_000)-1_000_000_000) / decimalPow10[bits>>60%9]
		if got, want := string(appendFloat(nil, d)), wantFloat(d); got != want {
			t.Fatalf("appendFloat(%v) = %q, want %q", d, got, want)
		}
		// And such a decimal takes the fast path, unless it is whole or out of its range.
		if a := math.Abs(d); a >= 1e-4 && a < 1e6 && a != math.Trunc(a) {
			if _, ok := appendShortDecimal(nil, d); !ok {
				t.Fatalf("appendShortDecimal(%v) left it to strconv", d)
			}
		}
	})
}

// BenchmarkAppendFloat: the readings of an ONU, written by appendFloat and, for
// comparison, by strconv alone.
func BenchmarkAppendFloat(b *testing.B) {
	values := []float64{-17.06, -23.5, 2.31, 3.3, 0.0142, 45.5, 5562.8905}
	buf := make([]byte, 0, 64)
	b.Run("ronda", func(b *testing.B) {
		for b.Loop() {
			for _, v := range values {
				buf = appendFloat(buf[:0], v)
			}
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for b.Loop() {
			for _, v := range values {
				buf = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
			}
		}
	})
}

// TestShortDecimalsTakeTheFastPath: the readings devices report are written by
// appendShortDecimal, not left to strconv, and as strconv writes them.
func TestShortDecimalsTakeTheFastPath(t *testing.T) {
	for _, v := range []float64{-17.06, 3.3, 0.0142, 1e-4, -0.00012345, 45.5, 5562.8905, 999999.99, 0.1, 123456.12345678} {
		got, ok := appendShortDecimal(nil, v)
		if !ok {
			t.Errorf("appendShortDecimal(%v) left it to strconv", v)
			continue
		}
		if want := wantFloat(v); string(got) != want {
			t.Errorf("appendShortDecimal(%v) = %q, want %q", v, got, want)
		}
	}
}
