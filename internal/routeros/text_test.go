package routeros

import (
	"testing"
	"unicode/utf8"
)

func TestToUTF8(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "voucher-123", "voucher-123"},
		{"valid UTF-8 kept", "Café ☕ 日本", "Café ☕ 日本"},
		{"latin-1 e acute", "Caf\xe9", "Café"},
		{"latin-1 inside valid text", "Jos\xe9 \xd1o\xf1o ☕", "José Ñoño ☕"},
		{"windows-1252 euro and quotes", "\x80 \x93hi\x94", "€ “hi”"},
		{"undefined 1252 bytes become C1 controls", "\x81\x8d\x8f\x90\x9d", "\u0081\u008d\u008f\u0090\u009d"},
		{"truncated UTF-8 sequence", "ab\xe2\x98", "abâ˜"},
		{"lone continuation byte", "\xa9x", "©x"},
		{"0xff", "\xff", "ÿ"},
		{"encoded replacement character kept", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ToUTF8(tt.in)
			if got != tt.want {
				t.Errorf("ToUTF8(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("ToUTF8(%q) = %q is not valid UTF-8", tt.in, got)
			}
		})
	}
}

// TestToUTF8KeepsValidStringsWithoutCopying guards the fast path every label value takes.
func TestToUTF8KeepsValidStringsWithoutCopying(t *testing.T) {
	in := "user-01"
	allocs := testing.AllocsPerRun(100, func() { _ = ToUTF8(in) })
	if allocs != 0 {
		t.Errorf("ToUTF8 of a valid string allocated %v times, want 0", allocs)
	}
}

// invalidBytes lists the offsets of the bytes ToUTF8 has to map.
func invalidBytes(s string) []int {
	var out []int
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, i)
		}
		i += size
	}
	return out
}

func FuzzToUTF8(f *testing.F) {
	for _, seed := range []string{"", "Caf\xe9", "Café", "\x80\x81\xff", "ab\xe2\x98", "\xf0\x9f\x98", "日本\xfe"} {
		f.Add(seed, uint(0), byte(0xe9))
	}
	f.Fuzz(func(t *testing.T, s string, pick uint, replacement byte) {
		got := ToUTF8(s)
		if !utf8.ValidString(got) {
			t.Fatalf("ToUTF8(%q) = %q is not valid UTF-8", s, got)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("ToUTF8 changed valid input %q to %q", s, got)
		}
		// Change one invalid byte into another byte that is invalid at the same place: the
		// two names differ only in invalid bytes and must stay distinct.
		bad := invalidBytes(s)
		if len(bad) == 0 {
			return
		}
		at := bad[pick%uint(len(bad))]
		if replacement == s[at] {
			return
		}
		other := s[:at] + string([]byte{replacement}) + s[at+1:]
		if !sameInts(invalidBytes(other), bad) {
			return // the change altered which bytes are valid; not the property under test
		}
		if ToUTF8(other) == got {
			t.Fatalf("ToUTF8(%q) and ToUTF8(%q) are both %q", s, other, got)
		}
	})
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
