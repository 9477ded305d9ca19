package olt

import (
	"strings"
	"testing"
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
		if got, ok := number(tc.in); ok != tc.ok || ok && got != tc.want {
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
