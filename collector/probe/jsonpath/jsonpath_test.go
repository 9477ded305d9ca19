package jsonpath

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

const doc = `{
  "data": {"users": {"today": 12, "week": "85", "month": 1.5e3}, "ok": true, "none": null},
  "items": [{"count": 7}, {"count": -2}],
  "stats": {"users-online": 4, "a.b": 9, "quote\"d": 3},
  "big": 12345678901234567890,
  "text": "many"
}`

func TestLookup(t *testing.T) {
	parsed, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path    string
		want    float64
		wantErr string
	}{
		{"data.users.today", 12, ""},
		{"data.users.week", 85, ""},
		{"data.users.month", 1500, ""},
		{"data.ok", 1, ""},
		{"items[0].count", 7, ""},
		{"items[1].count", -2, ""},
		{`stats["users-online"]`, 4, ""},
		{`stats.users-online`, 4, ""},
		{`stats["a.b"]`, 9, ""},
		{`stats["quote\"d"]`, 3, ""},
		{"big", 12345678901234567890, ""},
		{"data.users.year", 0, `data.users.year: data.users has no key "year"`},
		{"items[2].count", 0, "items[2].count: items has 2 items, no [2]"},
		{"items.count", 0, "items.count: items is an array, not an object"},
		{"data[0]", 0, "data[0]: data is an object, not an array"},
		{"data.none", 0, "data.none: the value is null, not a number"},
		{"data.users", 0, "data.users: the value is an object, not a number"},
		{"text", 0, `text: the string "many" is not a number`},
		{"text.x", 0, "text.x: text is a string, not an object"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p, err := Parse(tc.path)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := p.Lookup(parsed)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestLookupOnTopLevelArray(t *testing.T) {
	parsed, err := Decode([]byte(`[[1,2],[3,4]]`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("[1][0]")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Lookup(parsed); err != nil || got != 3 {
		t.Fatalf("got %v, %v; want 3", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"", "empty path"},
		{"a..b", `a key is missing after the dot at "..b"`},
		{"a.", `a key is missing after the dot at "."`},
		{".a", `a key is missing at ".a"`},
		{"a[", `unclosed [ in "["`},
		{"a[x]", `[x] is not an array index`},
		{"a[-1]", `[-1] is not an array index`},
		{"a[01]", `[01] is not an array index`},
		{`a["b]`, `unclosed quoted key`},
		{`a["b"x]`, `expected ] after the quoted key`},
		{`a]`, `unexpected character in key "a]"`},
		{strings.Repeat("a.", maxSteps) + "a", "more than 64 steps"},
	} {
		_, err := Parse(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}

func TestDecodeRejectsMalformedJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a": }`, `<html>`, `{"a":1} {"b":2}`} {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
			t.Errorf("Decode(%q): %v, want a not-valid-JSON error", in, err)
		}
	}
}

// FuzzPath checks that any path text and any document are handled without a panic, and that
// a path that parses finds what it names in a document built for it.
func FuzzPath(f *testing.F) {
	f.Add("data.users.today", doc)
	f.Add(`items[0]["a.b"]`, `{"items":[{"a.b":1}]}`)
	f.Add(`[3]`, `[1,2,3,"4"]`)
	f.Add(`a["\u00e9"]`, `{"a":{"é":true}}`)
	f.Fuzz(func(t *testing.T, path, document string) {
		p, err := Parse(path)
		if err != nil {
			return
		}
		if parsed, err := Decode([]byte(document)); err == nil {
			if v, err := p.Lookup(parsed); err == nil && math.IsNaN(v) {
				t.Errorf("%q in %q gave NaN", path, document)
			}
		}
		// Build the document the path describes, with 42 at its end, and find it again.
		var built any = json.Number("42")
		for i := len(p.steps) - 1; i >= 0; i-- {
			if s := p.steps[i]; s.isIdx {
				if s.index > 1000 {
					return
				}
				arr := make([]any, s.index+1)
				arr[s.index] = built
				built = arr
			} else {
				built = map[string]any{s.key: built}
			}
		}
		if v, err := p.Lookup(built); err != nil || v != 42 {
			t.Errorf("%q in the document built for it: %v, %v; want 42", path, v, err)
		}
	})
}
