// Package jsonpath reads numbers out of JSON documents with a small path syntax:
// `data.users.today`, `items[0].count`, `stats["users-online"]`. It is what an HTTP probe
// uses to turn a JSON API's counters into probe_json_value series.
//
// The syntax is deliberately small (no wildcards, filters or recursion): one path names one
// number, so one configured value is always exactly one series.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxSteps bounds a path's length; real paths have a handful of steps.
const maxSteps = 64

// Path is a parsed path: a list of object keys and array indexes.
type Path struct {
	text  string
	steps []step
}

type step struct {
	key   string
	index int // used when isIndex
	isIdx bool
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// Parse reads a path. Keys are separated by dots; `[N]` indexes an array; `["key"]` names a
// key holding dots, brackets or spaces (Go string-literal escapes apply inside the quotes).
func Parse(text string) (Path, error) {
	p := Path{text: text}
	if text == "" {
		return p, errors.New("empty path")
	}
	rest := text
	first := true
	for rest != "" {
		if len(p.steps) == maxSteps {
			return p, fmt.Errorf("more than %d steps", maxSteps)
		}
		switch {
		case rest[0] == '[':
			s, n, err := parseBracket(rest)
			if err != nil {
				return p, err
			}
			p.steps = append(p.steps, s)
			rest = rest[n:]
		case rest[0] == '.' && !first:
			rest = rest[1:]
			if rest == "" || rest[0] == '.' || rest[0] == '[' {
				return p, fmt.Errorf("a key is missing after the dot at %q", text[len(text)-len(rest)-1:])
			}
			fallthrough
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			if key == "" {
				return p, fmt.Errorf("a key is missing at %q", rest)
			}
			if strings.ContainsAny(key, `]"`) {
				return p, fmt.Errorf("unexpected character in key %q (quote such keys: [\"%s\"])", key, key)
			}
			p.steps = append(p.steps, step{key: key})
			rest = rest[end:]
		}
		first = false
	}
	return p, nil
}

// parseBracket reads `[N]` or `["key"]` at the start of s and how many bytes it took.
func parseBracket(s string) (step, int, error) {
	if len(s) > 1 && s[1] == '"' {
		// Find the closing quote that is not escaped, then unquote like Go.
		for i := 2; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				if i+1 >= len(s) || s[i+1] != ']' {
					return step{}, 0, fmt.Errorf("expected ] after the quoted key in %q", s)
				}
				key, err := strconv.Unquote(s[1 : i+1])
				if err != nil {
					return step{}, 0, fmt.Errorf("invalid quoted key %s: %v", s[1:i+1], err)
				}
				return step{key: key}, i + 2, nil
			}
		}
		return step{}, 0, fmt.Errorf("unclosed quoted key in %q", s)
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return step{}, 0, fmt.Errorf("unclosed [ in %q", s)
	}
	digits := s[1:end]
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || digits == "" || (len(digits) > 1 && digits[0] == '0') || digits[0] == '+' {
		return step{}, 0, fmt.Errorf("[%s] is not an array index (a whole number from 0; quote object keys: [\"%s\"])", digits, digits)
	}
	return step{index: n, isIdx: true}, end + 1, nil
}

// Decode parses a JSON document for Lookup. Numbers keep their text, so large integers
// are not rounded before they need to be.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the response is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("the response is not valid JSON: more than one value")
	}
	return doc, nil
}

// Lookup finds the number at p in a document from Decode. A JSON number is taken as it is,
// true and false as 1 and 0, and a string holding a number (APIs often quote counters) as
// that number; anything else, or a path that does not exist, is an error saying where the
// path stopped.
func (p Path) Lookup(doc any) (float64, error) {
	cur := doc
	for i, s := range p.steps {
		switch {
		case s.isIdx:
			arr, ok := cur.([]any)
			if !ok {
				return 0, fmt.Errorf("%s: %s is %s, not an array", p.text, p.prefix(i), describe(cur))
			}
			if s.index >= len(arr) {
				return 0, fmt.Errorf("%s: %s has %d items, no [%d]", p.text, p.prefix(i), len(arr), s.index)
			}
			cur = arr[s.index]
		default:
			obj, ok := cur.(map[string]any)
			if !ok {
				return 0, fmt.Errorf("%s: %s is %s, not an object", p.text, p.prefix(i), describe(cur))
			}
			v, ok := obj[s.key]
			if !ok {
				return 0, fmt.Errorf("%s: %s has no key %q", p.text, p.prefix(i), s.key)
			}
			cur = v
		}
	}
	switch v := cur.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s: %v", p.text, err)
		}
		return f, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) {
			return 0, fmt.Errorf("%s: the string %q is not a number", p.text, truncate(v))
		}
		return f, nil
	}
	return 0, fmt.Errorf("%s: the value is %s, not a number", p.text, describe(cur))
}

// prefix is the path up to (not including) step i, for messages.
func (p Path) prefix(i int) string {
	if i == 0 {
		return "the document"
	}
	var b strings.Builder
	for j, s := range p.steps[:i] {
		switch {
		case s.isIdx:
			fmt.Fprintf(&b, "[%d]", s.index)
		case plainKey(s.key):
			if j > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			fmt.Fprintf(&b, "[%q]", s.key)
		}
	}
	return b.String()
}

func plainKey(k string) bool { return k != "" && !strings.ContainsAny(k, `.[]"`) }

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
