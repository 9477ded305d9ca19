package hostparse

import "strings"

// eachLine calls fn with every line of b (without its newline, \r trimmed) and its 1-based
// number. A final line without a newline counts.
func eachLine(b []byte, fn func(n int, line string)) {
	s := string(b)
	n := 0
	for len(s) > 0 {
		n++
		line, rest, _ := strings.Cut(s, "\n")
		fn(n, strings.TrimSuffix(line, "\r"))
		s = rest
	}
}
