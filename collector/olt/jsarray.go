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
	r, err := newArrayReader(script, name)
	if err != nil {
		return nil, err
	}
	// Sized once: a HiOSO page's array is thousands of elements, and growing the slice
	// step by step showed in profiles.
	out := make([]string, 0, r.sizeHint())
	for {
		elem, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, elem)
	}
}

// arrayReader reads the elements of an array literal one at a time (jsArray's rules), so a
// page's rows can be read without holding all their elements at once.
type arrayReader struct {
	s    string // the script from just past `new Array(`
	i    int    // where the next element starts, or -1 once the list has ended
	name string
	n    int // elements read so far
}

func newArrayReader(script, name string) (*arrayReader, error) {
	start := findArrayStart(script, name)
	if start < 0 {
		return nil, fmt.Errorf("array %s: %w", name, errNoArray)
	}
	return &arrayReader{s: script[start:], name: name}, nil
}

// sizeHint is at least the number of elements: one more than the commas before the first
// semicolon (which may end the statement, or be inside a string and end nothing).
func (r *arrayReader) sizeHint() int {
	end := strings.IndexByte(r.s, ';')
	if end < 0 {
		end = len(r.s)
	}
	return strings.Count(r.s[:end], ",") + 1
}

// quotedStop marks the bytes next's fast path stops at: the closing quote, and what the
// general path must read (an escape, a line break). One lookup per byte of the page's
// busiest loop instead of three comparisons.
var quotedStop = [256]bool{'\'': true, '\\': true, '\n': true}

// drain reads the rest of the list and returns its error, if any.
func (r *arrayReader) drain() error {
	for {
		_, more, err := r.next()
		if err != nil || !more {
			return err
		}
	}
}

// nextRow reads the next len(cells) elements into cells and returns how many it read: all
// of them, or fewer when the list ends first (0: it had ended); err is next's. Elements as
// OLTs write them, 'text', after optional whitespace (the line break between rows), are
// read in one loop here; anything else goes through next. FuzzNextRowAgainstNext holds
// it to next.
func (r *arrayReader) nextRow(cells []string) (int, error) {
	s, i, n, fast := r.s, r.i, 0, 0
	for n < len(cells) {
		// i is -1 once the list has ended: uint(-1) is past any string.
		k := i
		if uint(k) < uint(len(s)) && s[k] != '\'' && isSpace(s[k]) {
			k = skipSpace(s, k) // the line break between two rows
		}
		if uint(k) < uint(len(s)) && s[k] == '\'' {
			j := k + 1
			for j < len(s) && !quotedStop[s[j]] {
				j++
			}
			if j+1 < len(s) && s[j+1] == ',' && s[j] == '\'' {
				cells[n] = s[k+1 : j]
				n, fast, i = n+1, fast+1, j+2
				continue
			}
		}
		r.i, r.n, fast = i, r.n+fast, 0
		elem, more, err := r.next()
		if err != nil || !more {
			return n, err
		}
		cells[n] = elem
		n, i = n+1, r.i
	}
	r.i, r.n = i, r.n+fast
	return n, nil
}

// next returns the next element; ok is false once the closing parenthesis is read.
func (r *arrayReader) next() (elem string, ok bool, err error) {
	s, i := r.s, r.i
	if i < 0 {
		return "", false, nil
	}
	// Fast path: what OLTs write, 'text' without escapes, straight after the comma.
	if i < len(s) && s[i] == '\'' {
		j := i + 1
		for j < len(s) && !quotedStop[s[j]] {
			j++
		}
		if j+1 < len(s) && s[j] == '\'' && s[j+1] == ',' {
			r.i, r.n = j+2, r.n+1
			return s[i+1 : j], true, nil
		}
	}
	i = skipSpace(s, i)
	if i >= len(s) {
		return "", false, fmt.Errorf("array %s: ends before its closing parenthesis (after %d elements)", r.name, r.n)
	}
	if s[i] == ')' {
		r.i = -1
		return "", false, nil
	}
	if s[i] == '\'' || s[i] == '"' {
		elem, i, err = quoted(s, i)
		if err != nil {
			return "", false, fmt.Errorf("array %s, element %d: %w", r.name, r.n, err)
		}
	} else {
		j := i
		for j < len(s) && s[j] != ',' && s[j] != ')' && !isSpace(s[j]) {
			if s[j] == '(' || s[j] == ';' || s[j] == '\n' {
				return "", false, fmt.Errorf("array %s, element %d: unexpected %q", r.name, r.n, s[j])
			}
			j++
		}
		elem, i = s[i:j], j
	}
	r.n++
	i = skipSpace(s, i)
	if i >= len(s) {
		return "", false, fmt.Errorf("array %s: ends before its closing parenthesis (after %d elements)", r.name, r.n)
	}
	switch s[i] {
	case ',':
		r.i = i + 1
	case ')':
		r.i = -1 // the list ends after this element
	default:
		return "", false, fmt.Errorf("array %s, after element %d: expected , or ) but found %q", r.name, r.n-1, s[i])
	}
	return elem, true, nil
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
