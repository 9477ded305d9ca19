package routeros

import (
	"strings"
	"unicode/utf8"
)

// ToUTF8 makes a string from the router valid UTF-8 without losing it. RouterOS stores
// whatever bytes the client sent, and names or comments typed through Winbox on a Windows
// box are often Windows-1252 (latin-1) rather than UTF-8. Valid UTF-8 runs are kept as they
// are; each byte that is not part of one is read as a Windows-1252 character, so "Caf\xe9"
// becomes "Café". The mapping is one-to-one per byte, so two names that differ only in such
// bytes stay distinct label values.
func ToUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	run := 0 // start of the valid run not yet copied
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size != 1 {
			i += size
			continue
		}
		b.WriteString(s[run:i])
		b.WriteRune(windows1252(s[i]))
		i++
		run = i
	}
	b.WriteString(s[run:])
	return b.String()
}

// windows1252 is the character a byte stands for in Windows-1252. The five bytes that code
// page leaves undefined map to the C1 control characters of the same value, as Windows
// itself does, so no byte is lost or merged with another.
func windows1252(b byte) rune {
	if b >= 0x80 && b <= 0x9f {
		return cp1252High[b-0x80]
	}
	return rune(b)
}

var cp1252High = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}
