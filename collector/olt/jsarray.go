package olt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HiOSO OLTs do not put ONU data in table cells: the page carries it as a JavaScript array
// literal inside a <script>, `var onutable=new Array('0/1:1','NA','E0:E8:E6:A0:69:09',…);`,
// one flat list whose row width the page states in `var lineNum=(onutable.length)/22;`.
// jsArray reads such a literal without a JavaScript engine.

// errNoArray says the script does not declare the array at all (a different page, a
// login page, garbage), as opposed to declaring it wrongly.
var errNoArray = errors.New("no such array")

// jsArray finds `name = new Array(…)` in script and returns its elements. Elements are
// single- or double-quoted strings with JavaScript escapes (\' \" \\ \n \t \r \xHH \uHHHH;
// any other escaped character stands for itself), or bare tokens such as numbers, taken
// as written. Commas and parentheses inside quotes are data; whitespace and newlines
// between elements are not. `new Array()` is an empty list; a trailing comma is allowed.
func jsArray(script, name string) ([]string, error) {
	start := findArrayStart(script, name)
	if start < 0 {
		return nil, fmt.Errorf("array %s: %w", name, errNoArray)
	}
	s := script[start:]
	// Sized once: the elements are at most one more than the commas (a HiOSO page's array
	// is thousands of elements, and growing the slice step by step showed in profiles).
	end := strings.IndexByte(s, ';')
	if end < 0 {
		end = len(s)
	}
	out := make([]string, 0, strings.Count(s[:end], ",")+1)
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return nil, fmt.Errorf("array %s: ends before its closing parenthesis (after %d elements)", name, len(out))
		}
		if s[i] == ')' {
			return out, nil
		}
		var (
			elem string
			err  error
		)
		if s[i] == '\'' || s[i] == '"' {
			elem, i, err = quoted(s, i)
			if err != nil {
				return nil, fmt.Errorf("array %s, element %d: %w", name, len(out), err)
			}
		} else {
			j := i
			for j < len(s) && s[j] != ',' && s[j] != ')' && !isSpace(s[j]) {
				if s[j] == '(' || s[j] == ';' || s[j] == '\n' {
					return nil, fmt.Errorf("array %s, element %d: unexpected %q", name, len(out), s[j])
				}
				j++
			}
			elem, i = s[i:j], j
		}
		out = append(out, elem)
		i = skipSpace(s, i)
		if i >= len(s) {
			return nil, fmt.Errorf("array %s: ends before its closing parenthesis (after %d elements)", name, len(out))
		}
		switch s[i] {
		case ',':
			i++
		case ')':
			return out, nil
		default:
			return nil, fmt.Errorf("array %s, after element %d: expected , or ) but found %q", name, len(out)-1, s[i])
		}
	}
}

// findArrayStart returns the offset just past `name = new Array(`, or -1. The name must
// stand alone (onutable, not myonutable).
func findArrayStart(script, name string) int {
	from := 0
	for {
		k := strings.Index(script[from:], name)
		if k < 0 {
			return -1
		}
		k += from
		from = k + len(name)
		if k > 0 && isIdent(script[k-1]) {
			continue
		}
		i := skipSpace(script, from)
		if i >= len(script) || script[i] != '=' {
			continue
		}
		i = skipSpace(script, i+1)
		if !strings.HasPrefix(script[i:], "new") {
			continue
		}
		i = skipSpace(script, i+3)
		if !strings.HasPrefix(script[i:], "Array") {
			continue
		}
		i = skipSpace(script, i+5)
		if i < len(script) && script[i] == '(' {
			return i + 1
		}
	}
}

// quoted reads the string literal starting at s[i] (a quote) and returns its value and
// the offset past the closing quote.
func quoted(s string, i int) (string, int, error) {
	q := s[i]
	i++
	start := i
	// Fast path: most elements have no escapes.
	for i < len(s) && s[i] != q && s[i] != '\\' && s[i] != '\n' {
		i++
	}
	if i < len(s) && s[i] == q {
		return s[start:i], i + 1, nil
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\n':
			return "", i, errors.New("string not closed before the end of the line")
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case '\n': // a line continuation
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			if i+n > len(s) {
				return "", i, fmt.Errorf(`\%c escape cut short`, e)
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil {
				return "", i, fmt.Errorf(`invalid \%c escape %q`, e, s[i:i+n])
			}
			b.WriteRune(rune(v))
			i += n
		default:
			b.WriteByte(e) // \' \" \\ and any other character stand for themselves
		}
	}
	return "", i, errors.New("string not closed")
}

// jsDivisor finds `var lineNum=(name.length)/W;` and returns W.
func jsDivisor(script, name string) (int, bool) {
	key := name + ".length"
	from := 0
	for {
		k := strings.Index(script[from:], key)
		if k < 0 {
			return 0, false
		}
		i := from + k + len(key)
		from = i
		i = skipSpace(script, i)
		if i < len(script) && script[i] == ')' {
			i = skipSpace(script, i+1)
		}
		if i >= len(script) || script[i] != '/' {
			continue
		}
		i = skipSpace(script, i+1)
		j := i
		for j < len(script) && script[j] >= '0' && script[j] <= '9' {
			j++
		}
		w, err := strconv.Atoi(script[i:j])
		if err != nil || w <= 0 {
			continue
		}
		return w, true
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}
