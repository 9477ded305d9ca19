// Package phone normalises phone numbers the way Indonesian gateways want them: digits
// only, with the country code and without the trunk 0 (0812-3456-7890 → 6281234567890).
package phone

import (
	"fmt"
	"strings"
)

// Normalize writes number with countryCode instead of a leading 0; "+" and separators
// (spaces, dashes, dots, brackets) are dropped. Anything else is an error.
func Normalize(number, countryCode string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(number) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", fmt.Errorf("%q is not a phone number", number)
		}
	}
	n := b.String()
	if strings.HasPrefix(n, "0") {
		n = countryCode + strings.TrimLeft(n, "0")
	}
	if len(n) < 8 || len(n) > 15 { // E.164 allows at most 15 digits
		return "", fmt.Errorf("%q is not a phone number (%d digits)", number, len(n))
	}
	return n, nil
}
