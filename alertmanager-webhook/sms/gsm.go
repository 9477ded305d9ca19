package sms

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// GSM 03.38: the basic set costs one septet, the extension set two (escape + char). A text
// using only these is sent as GSM-7: 160 septets in one SMS, 153 per part of a longer one.
// Any other character switches the whole text to UCS-2: 70 UTF-16 units, 67 per part.
const (
	gsmBasic     = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "^{}\\[~]|€\f"
)

// Encoding of a text.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Length is what text costs in its encoding: septets for GSM-7, UTF-16 units for UCS-2.
func Length(text string) (length int, encoding string) {
	septets := 0
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtension, r):
			septets += 2
		default:
			return len(utf16.Encode([]rune(text))), UCS2
		}
	}
	return septets, GSM7
}

// Parts is how many SMS text takes.
func Parts(text string) int {
	n, enc := Length(text)
	single, multi := 160, 153
	if enc == UCS2 {
		single, multi = 70, 67
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// Clean prepares text for SMS: emoji and other pictographs dropped (they cost a switch to
// UCS-2, a third of the length, and many phones show boxes), typographic quotes and
// dashes made plain, runs of blank lines and spaces collapsed.
func Clean(text string) string {
	text = typographic.Replace(text)
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\n' || r == ' ':
			b.WriteRune(r)
		case isPictograph(r), unicode.Is(unicode.Mn, r), unicode.IsControl(r), r == '\u200d', r == '\ufe0f':
		default:
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

var typographic = strings.NewReplacer("‘", "'", "’", "'", "“", "\"", "”", "\"", "–", "-", "—", "-", "…", "...", "°", " ", "\u00a0", " ")

func isPictograph(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2B00 && r <= 0x2BFF || r >= 0xE000 && r <= 0xF8FF
}

// Fit cuts text so that it takes at most maxParts SMS, ending it with "..." when cut.
func Fit(text string, maxParts int) string {
	if Parts(text) <= maxParts {
		return text
	}
	r := []rune(text)
	lo, hi := 0, len(r)
	for lo < hi { // the longest prefix that fits with the ellipsis
		mid := (lo + hi + 1) / 2
		if Parts(strings.TrimSpace(string(r[:mid]))+"...") <= maxParts {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimSpace(string(r[:lo])) + "..."
}
