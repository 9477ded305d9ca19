package hostparse

import (
	"strings"
	"unicode/utf8"
)

// Text is what the parsers read: a string, or bytes, which they convert to a string once,
// so that what a parser keeps (labels, names) stays valid after the caller recycles them.
// The collector converts a scrape's whole output once and hands each parser its section
// as a substring: no copy per section, and what the results keep shares that one string.
type Text interface{ ~string | ~[]byte }

// eachLine calls fn with every line of s (without its newline, \r trimmed) and its 1-based
// number. A final line without a newline counts.
func eachLine(s string, fn func(n int, line string)) {
	n := 0
	for len(s) > 0 {
		n++
		line, rest, _ := strings.Cut(s, "\n")
		fn(n, strings.TrimSuffix(line, "\r"))
		s = rest
	}
}

// asciiSpace is strings.Fields' set of ASCII separators.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// appendFields appends the fields of s to dst, exactly as strings.Fields splits them, so a
// parser can reuse one slice for every line instead of allocating one per line.
func appendFields(dst []string, s string) []string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf { // Unicode spaces: strings.Fields' own slower path
			return append(dst, strings.Fields(s)...)
		}
	}
	start := -1
	for i := 0; i < len(s); i++ {
		if asciiSpace[s[i]] {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}
