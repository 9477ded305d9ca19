package phone

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"081234567890":      "6281234567890",
		"0812-3456-7890":    "6281234567890",
		"+62 812 3456 7890": "6281234567890",
		"6281234567890":     "6281234567890",
		"(021) 555-1234":    "62215551234",
	} {
		got, err := Normalize(in, "62")
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0812abc", "12", "08123456789012345678", "62+812"} {
		if got, err := Normalize(bad, "62"); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}
