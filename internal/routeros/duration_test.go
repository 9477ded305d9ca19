package routeros

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const (
		day  = 24 * time.Hour
		week = 7 * day
	)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0s", 0},
		{"5s", 5 * time.Second},
		{"1w2d3h4m5s", week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"3h", 3 * time.Hour},
		{"4m", 4 * time.Minute},
		{"1d", day},
		{"30m10s", 30*time.Minute + 10*time.Second},
		{"7ms523us", 7*time.Millisecond + 523*time.Microsecond},
		{"1s500ms", 1500 * time.Millisecond},
		{"12ns", 12},
		{"1m1ms", time.Minute + time.Millisecond},
		{"4m5s7ms523us100ns", 4*time.Minute + 5*time.Second + 7*time.Millisecond + 523*time.Microsecond + 100},
		{"00:00:00", 0},
		{"01:02:03", time.Hour + 2*time.Minute + 3*time.Second},
		{"123:00:05", 123*time.Hour + 5*time.Second},
		{"00:00:01.5", 1500 * time.Millisecond},
		{"00:00:01.000000007", time.Second + 7},
		{"2d 01:02:03", 2*day + time.Hour + 2*time.Minute + 3*time.Second},
		{"2d01:02:03", 2*day + time.Hour + 2*time.Minute + 3*time.Second},
		{"1w 2d 00:00:09", week + 2*day + 9*time.Second},
		{"1w2d00:00:09", week + 2*day + 9*time.Second},
		{"1w 00:10:00", week + 10*time.Minute},
		{"42", 42 * time.Second},
		{"15250w", 15250 * week},
	}
	for _, tt := range tests {
		got, ok, err := ParseDuration(tt.in)
		if err != nil || !ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, %v; want %v, true, nil", tt.in, got, ok, err, tt.want)
		}
	}
}

func TestParseDurationNoValue(t *testing.T) {
	for _, in := range []string{"", "none", "never"} {
		got, ok, err := ParseDuration(in)
		if err != nil || ok || got != 0 {
			t.Errorf("ParseDuration(%q) = %v, %v, %v; want 0, false, nil", in, got, ok, err)
		}
	}
}

func TestParseDurationRejectsGarbage(t *testing.T) {
	for _, in := range []string{
		"s",
		"abc", "5x", "5 s", " 5s", "5s ", "5s  5m", "1s1s", "5s3m", "1ms1s", "-5s", "+5s", "1.5s",
		"1h01:02:03", "01:02", "1:2:3", "01:60:00", "01:00:60", "01:02:03:04", "01:02:03.",
		"01:02:03.1234567890", "2d 01:02", "5s 01:02:03", "d", "1d2", "1D", "5sec", "5mins",
		"99999999999999999999s", "15251w", "9223372036854775807ns1w", "2562047h47m16s854775808ns",
		"None", "NEVER", "unlimited", "\x00", "1w\n",
	} {
		got, ok, err := ParseDuration(in)
		if err == nil {
			t.Errorf("ParseDuration(%q) = %v, %v, nil; want an error", in, got, ok)
			continue
		}
		if ok {
			t.Errorf("ParseDuration(%q) returned an error and ok=true", in)
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("ParseDuration(%q) error %q does not quote the input", in, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{time.Second, "1s"},
		{90 * time.Minute, "1h30m"},
		{8*24*time.Hour + 3*time.Second, "1w1d3s"},
		{7*time.Millisecond + 523*time.Microsecond, "7ms523us"},
		{1, "1ns"},
		{-time.Second, "-1s"},
		{1<<63 - 1, "15250w1d23h47m16s854ms775us807ns"},
		{-1 << 63, "-15250w1d23h47m16s854ms775us808ns"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzParseDuration.
	f.Add("1w2d3h4m5s")
	f.Fuzz(func(t *testing.T, s string) {
		d, ok, err := ParseDuration(s)
		if err != nil {
			if ok || d != 0 {
				t.Fatalf("ParseDuration(%q) = %v, %v with error %v", s, d, ok, err)
			}
			return
		}
		if !ok {
			if s != "" && s != "none" && s != "never" {
				t.Fatalf("ParseDuration(%q) reported no value", s)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		formatted := FormatDuration(d)
		back, ok, err := ParseDuration(formatted)
		if err != nil || !ok || back != d {
			t.Fatalf("ParseDuration(%q) = %v, formatted %q, which parses as %v, %v, %v", s, d, formatted, back, ok, err)
		}
	})
}

func FuzzFormatDuration(f *testing.F) {
	for _, seed := range []int64{0, 1, 1000, int64(time.Hour), 1<<63 - 1} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if n < 0 {
			n = -(n + 1)
		}
		d := time.Duration(n)
		s := FormatDuration(d)
		back, ok, err := ParseDuration(s)
		if err != nil || !ok || back != d {
			t.Fatalf("FormatDuration(%v) = %q, which parses as %v, %v, %v", d, s, back, ok, err)
		}
	})
}
