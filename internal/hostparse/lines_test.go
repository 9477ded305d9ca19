package hostparse

import (
	"slices"
	"strings"
	"testing"
)

// appendFields must split exactly as strings.Fields, which the parsers used before.
func TestAppendFieldsIsStringsFields(t *testing.T) {
	for _, s := range []string{
		"", " ", "cpu0 1 2 3", "  a\tb \v c\f\rd  ", "/dev/sda1 ext4 100 50 50 50% /mnt/my disk",
		"a\u00a0b c", "a\u2003b\u0085c", "x\xffy z", "trailing ",
	} {
		got := appendFields([]string{"kept"}, s)
		want := append([]string{"kept"}, strings.Fields(s)...)
		if !slices.Equal(got, want) {
			t.Errorf("appendFields(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendFields(f *testing.F) {
	f.Add("a b\tc")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendFields(nil, s), strings.Fields(s); !slices.Equal(got, want) {
			t.Fatalf("appendFields(%q) = %q, want %q", s, got, want)
		}
	})
}

// The precomputed names are what the general conversion gives.
func TestParenFieldsAreConverted(t *testing.T) {
	for key, name := range parenFields {
		if want := strings.ReplaceAll(strings.ReplaceAll(key, "(", "_"), ")", ""); name != want {
			t.Errorf("parenFields[%q] = %q, want %q", key, name, want)
		}
	}
}
