package telegram

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// checkTelegramHTML checks s the way Telegram's HTML parser does, with an independent HTML
// tokenizer: only allowed tags, properly nested and closed, only the entities Telegram
// knows, and at most limit characters of text (UTF-16 code units after entity parsing).
func checkTelegramHTML(s string, limit int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	// Entities: only &lt; &gt; &amp; &quot; and numeric ones.
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		end := strings.IndexByte(s[i:], ';')
		if end < 0 {
			return fmt.Errorf("raw '&' at byte %d", i)
		}
		name := s[i+1 : i+end]
		switch {
		case name == "lt", name == "gt", name == "amp", name == "quot":
		case strings.HasPrefix(name, "#") && len(name) > 1:
		default:
			return fmt.Errorf("entity &%s; is not one Telegram accepts", name)
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var stack []string
	text := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return z.Err()
			}
			if len(stack) > 0 {
				return fmt.Errorf("unclosed tags %v", stack)
			}
			if text == 0 {
				return fmt.Errorf("no text")
			}
			if text > limit {
				return fmt.Errorf("%d characters, limit %d", text, limit)
			}
			return nil
		case html.TextToken:
			raw := string(z.Raw())
			if strings.ContainsAny(raw, "<>") {
				return fmt.Errorf("raw < or > in text %q", raw)
			}
			text += len(utf16.Encode([]rune(html.UnescapeString(raw))))
		case html.StartTagToken:
			name, _ := z.TagName()
			if !allowedTags[string(name)] {
				return fmt.Errorf("tag <%s> is not allowed", name)
			}
			stack = append(stack, string(name))
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				return fmt.Errorf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		default:
			return fmt.Errorf("unexpected %v %q", tt, z.Raw())
		}
	}
}

// visibleText is the text a part shows, read with an independent HTML tokenizer: entities
// decoded, tags and attributes gone.
func visibleText(part string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(part))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.WriteString(html.UnescapeString(string(z.Raw())))
		}
	}
}

// checkKeepsText checks Split's promise about text: the parts, markers taken off, show the
// text of the repaired input in order, each character once. The only thing allowed to go is
// blank text where a part ends or the next begins (and a message that is only blank).
func checkKeepsText(in string, parts []string) error {
	var want strings.Builder
	for _, t := range tokenize(in) {
		if t.kind == textToken {
			want.WriteString(t.html)
		}
	}
	rest := html.UnescapeString(want.String())
	for i, p := range parts {
		if len(parts) > 1 {
			marker := "(" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + ") "
			var ok bool
			if p, ok = strings.CutPrefix(p, marker); !ok {
				return fmt.Errorf("part %d %.40q… does not start with %q", i+1, p, marker)
			}
		}
		text := strings.TrimLeftFunc(visibleText(p), unicode.IsSpace)
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if !strings.HasPrefix(rest, text) {
			return fmt.Errorf("part %d shows %q, but the text still to show is %q", i+1, text, rest)
		}
		rest = rest[len(text):]
	}
	if strings.TrimSpace(rest) != "" {
		return fmt.Errorf("text %q is in no part", rest)
	}
	return nil
}

func TestSplitShortMessageIsOnePartWithoutMarker(t *testing.T) {
	got := Split("<b>PON 1</b> &amp; ok\x1eSecond", MaxMessageLength)
	want := []string{"<b>PON 1</b> &amp; okSecond"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Split = %q, want %q", got, want)
	}
}

func TestSplitAtAlertBoundaries(t *testing.T) {
	alert := "<b>ONU down</b>\n" + strings.Repeat("x", 1500) + "\n\n"
	msg := alert + Boundary + alert + Boundary + alert + Boundary
	parts := Split(msg, MaxMessageLength)
	if len(parts) != 2 {
		t.Fatalf("got %d parts, want 2: %q", len(parts), parts)
	}
	// Two alerts fit in the first part; the cut is at the boundary, not inside the third.
	if !strings.HasPrefix(parts[0], "(1/2) <b>ONU down</b>") || strings.Count(parts[0], "ONU down") != 2 {
		t.Errorf("part 1 = %.80q… holds %d alerts, want 2", parts[0], strings.Count(parts[0], "ONU down"))
	}
	if !strings.HasPrefix(parts[1], "(2/2) <b>ONU down</b>\n") || strings.Count(parts[1], "ONU down") != 1 {
		t.Errorf("part 2 = %.80q…, want the third alert whole", parts[1])
	}
	for i, p := range parts {
		if err := checkTelegramHTML(p, MaxMessageLength); err != nil {
			t.Errorf("part %d: %v", i+1, err)
		}
	}
}

func TestSplitInsideTagReopensIt(t *testing.T) {
	msg := "<pre>" + strings.Repeat("line of log\n", 700) + "</pre>"
	parts := Split(msg, MaxMessageLength)
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	for i, p := range parts {
		if err := checkTelegramHTML(p, MaxMessageLength); err != nil {
			t.Errorf("part %d: %v", i+1, err)
		}
		if !strings.Contains(p, "<pre>") || !strings.HasSuffix(p, "</pre>") {
			t.Errorf("part %d lost its <pre>: %.40q…%q", i+1, p, p[len(p)-20:])
		}
		if strings.Contains(p, "line of\n") || strings.Contains(p, "\nof log") {
			t.Errorf("part %d was cut inside a line", i+1)
		}
	}
}

func TestSplitRepairsWhatTelegramRefuses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a < b & c > d", "a &lt; b &amp; c &gt; d"},
		{"<div>x</div>", "&lt;div&gt;x&lt;/div&gt;"},
		{"<b>bold <i>both</b> after", "<b>bold <i>both</i></b> after"},
		{"<b>unclosed", "<b>unclosed</b>"},
		{"stray</b>", "stray"},
		{`<a href="http://m.example/?q=1&amp;z=2">map</a>`, `<a href="http://m.example/?q=1&amp;z=2">map</a>`},
		{`<a href=x onclick="evil()">x</a>`, `<a href="x">x</a>`},
		{"<a>no href</a>", "&lt;a&gt;no href"},
		{"<pre><b>no bold in pre</b></pre>", "<pre>&lt;b&gt;no bold in pre</pre>"},
		{"&nbsp;&#128308;&#x1F7E2;&bogus;", "&amp;nbsp;&#128308;&#128994;&amp;bogus;"},
		{"bad\xffutf8\x00", "bad\uFFFDutf8"},
	}
	for _, tt := range tests {
		got := Split(tt.in, MaxMessageLength)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Split(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		if err := checkTelegramHTML(got[0], MaxMessageLength); err != nil {
			t.Errorf("Split(%q) = %q: %v", tt.in, got[0], err)
		}
	}
}

func TestSplitCountsUTF16(t *testing.T) {
	// 2,100 emoji are 4,200 UTF-16 units: two parts, although only 2,100 runes.
	parts := Split(strings.Repeat("🔴", 2100), MaxMessageLength)
	if len(parts) != 2 {
		t.Fatalf("got %d parts, want 2", len(parts))
	}
	for i, p := range parts {
		if err := checkTelegramHTML(p, MaxMessageLength); err != nil {
			t.Errorf("part %d: %v", i+1, err)
		}
	}
}

func TestSplitLosesNoText(t *testing.T) {
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "<b>alert %d</b> <i>%s</i>\n\n%s", i, strings.Repeat("word ", 40), Boundary)
	}
	parts := Split(b.String(), MaxMessageLength)
	joined := strings.Join(parts, "")
	for i := range 60 {
		if strings.Count(joined, fmt.Sprintf("<b>alert %d</b>", i)) != 1 {
			t.Errorf("alert %d appears %d times in the parts", i, strings.Count(joined, fmt.Sprintf("<b>alert %d</b>", i)))
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("<b>x</b>", 4096)
	f.Add("<pre><code class=\"language-go\">x</code></pre>&amp;", 50)
	f.Add(strings.Repeat("<i>ab cd\n</i>\x1e", 300), 100)
	f.Add("<a href='x'>y</a><span class=\"tg-spoiler\">s</span><blockquote expandable>q</blockquote>", 20)
	f.Fuzz(func(t *testing.T, in string, limit int) {
		if limit < 15 || limit > MaxMessageLength {
			limit = MaxMessageLength
		}
		parts := Split(in, limit)
		for i, p := range parts {
			if err := checkTelegramHTML(p, limit); err != nil {
				t.Fatalf("part %d %q of Split(%q, %d): %v", i+1, p, in, limit, err)
			}
		}
		if err := checkKeepsText(in, parts); err != nil {
			t.Fatalf("Split(%q, %d) = %q: %v", in, limit, parts, err)
		}
	})
}
