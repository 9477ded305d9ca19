package telegram

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Telegram's HTML parse mode is a small, strict subset of HTML: a message with an unknown
// tag, a stray '<' or '&', or a tag closed out of order is refused whole ("can't parse
// entities"). sanitize turns any text into that subset (values that were not escaped become
// text, unknown tags become text, unbalanced tags are closed), so one careless template can
// never make an alert undeliverable.

type tokenKind uint8

const (
	textToken tokenKind = iota
	openToken
	closeToken
	boundaryToken
)

// token is one unit of a message: a character (or entity) of text, an opening or closing
// tag, or an alert boundary (a preferred place to split).
type token struct {
	kind tokenKind
	// html is the token as written in the output: "a", "&lt;", `<a href="…">`, "</b>".
	html string
	// name is the tag's name (open and close tokens).
	name string
	// width is what the token counts towards Telegram's 4,096-character limit: UTF-16 code
	// units of the text after entity parsing; tags count nothing.
	width int
}

// Boundary marks the end of one alert in rendered text: the splitter cuts there first.
const Boundary = "\x1e"

// allowedTags are the tags Telegram's HTML mode accepts.
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// tokenize reads s as Telegram HTML, repairing what Telegram would refuse.
func tokenize(s string) []token {
	tokens := make([]token, 0, len(s))
	var stack []string
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case Boundary[0]:
			tokens = append(tokens, token{kind: boundaryToken})
			i++
			continue
		case '<':
			if t, n, ok := parseTag(s[i:]); ok {
				if t.kind == openToken && nestable(stack, t) {
					stack = append(stack, t.name)
					tokens = append(tokens, t)
					i += n
					continue
				}
				if t.kind == closeToken {
					// Close down to the matching open tag; a close with no open tag is dropped.
					if at := lastIndex(stack, t.name); at >= 0 {
						for len(stack) > at {
							name := stack[len(stack)-1]
							stack = stack[:len(stack)-1]
							tokens = append(tokens, token{kind: closeToken, name: name, html: "</" + name + ">"})
						}
					}
					i += n
					continue
				}
			}
			tokens = append(tokens, token{html: "&lt;", width: 1})
			i++
			continue
		case '>':
			tokens = append(tokens, token{html: "&gt;", width: 1})
			i++
			continue
		case '&':
			if html, r, n, ok := parseEntity(s[i:]); ok {
				tokens = append(tokens, token{html: html, width: utf16Len(r)})
				i += n
				continue
			}
			tokens = append(tokens, token{html: "&amp;", width: 1})
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			r = '\uFFFD'
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			continue // control characters have no place in a chat message
		}
		tokens = append(tokens, token{html: string(r), width: utf16Len(r)})
	}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		tokens = append(tokens, token{kind: closeToken, name: name, html: "</" + name + ">"})
	}
	return tokens
}

func utf16Len(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

func lastIndex(stack []string, name string) int {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i] == name {
			return i
		}
	}
	return -1
}

// nestable applies Telegram's nesting rules: nothing inside pre or code except code
// (with its language class) directly in pre; no link inside a link; no blockquote inside a
// blockquote.
func nestable(stack []string, t token) bool {
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		if top == "code" || (top == "pre" && t.name != "code") {
			return false
		}
	}
	if t.name == "code" && strings.Contains(t.html, "class=") && (len(stack) == 0 || stack[len(stack)-1] != "pre") {
		return false
	}
	if t.name == "pre" && lastIndex(stack, "pre") >= 0 {
		return false
	}
	if (t.name == "a" || t.name == "blockquote") && lastIndex(stack, t.name) >= 0 {
		return false
	}
	return true
}

// parseTag reads an allowed tag at the start of s and writes it back in canonical form.
// ok is false when s does not start with one: the '<' is then text.
func parseTag(s string) (t token, n int, ok bool) {
	end := strings.IndexByte(s[:min(len(s), 2048)], '>')
	if end < 0 {
		return t, 0, false
	}
	inner := s[1:end]
	if strings.ContainsAny(inner, "<\n") {
		return t, 0, false
	}
	if rest, closing := strings.CutPrefix(inner, "/"); closing {
		name := strings.ToLower(strings.TrimSpace(rest))
		if !allowedTags[name] {
			return t, 0, false
		}
		return token{kind: closeToken, name: name, html: "</" + name + ">"}, end + 1, true
	}
	name, attrText, _ := strings.Cut(inner, " ")
	name = strings.ToLower(name)
	if !allowedTags[name] {
		return t, 0, false
	}
	attrs, ok := parseAttrs(attrText)
	if !ok {
		return t, 0, false
	}
	var b strings.Builder
	b.WriteString("<" + name)
	attr := func(key string) {
		b.WriteString(" " + key + `="` + escapeAttr(attrs[key]) + `"`)
	}
	switch name {
	case "a":
		if attrs["href"] == "" {
			return t, 0, false
		}
		attr("href")
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return t, 0, false
		}
		attr("class")
	case "tg-emoji":
		if !isDigits(attrs["emoji-id"]) {
			return t, 0, false
		}
		attr("emoji-id")
	case "code":
		if cls, has := attrs["class"]; has {
			if !strings.HasPrefix(cls, "language-") || strings.ContainsAny(cls, ` "'<>&`) {
				return t, 0, false
			}
			attr("class")
		}
	case "blockquote":
		if _, has := attrs["expandable"]; has {
			b.WriteString(" expandable")
		}
	}
	b.WriteString(">")
	return token{kind: openToken, name: name, html: b.String()}, end + 1, true
}

// parseAttrs reads `key="value" key='value' key=value key`; entities in values are decoded.
func parseAttrs(s string) (map[string]string, bool) {
	attrs := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s == "/" {
			return attrs, true
		}
		i := strings.IndexAny(s, "= \t")
		if i < 0 {
			attrs[strings.ToLower(s)] = ""
			return attrs, true
		}
		key := strings.ToLower(s[:i])
		if key == "" {
			return nil, false
		}
		if s[i] != '=' {
			attrs[key] = ""
			s = s[i:]
			continue
		}
		s = s[i+1:]
		var value string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, false
			}
			value, s = s[1:1+end], s[end+2:]
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			value, s = s[:end], s[end:]
		}
		attrs[key] = unescape(value)
	}
}

func isDigits(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseEntity reads an entity Telegram accepts: &lt; &gt; &amp; &quot; or a numeric one.
func parseEntity(s string) (html string, r rune, n int, ok bool) {
	end := strings.IndexByte(s[:min(len(s), 12)], ';')
	if end < 2 {
		return "", 0, 0, false
	}
	name := s[1:end]
	switch name {
	case "lt":
		return "&lt;", '<', end + 1, true
	case "gt":
		return "&gt;", '>', end + 1, true
	case "amp":
		return "&amp;", '&', end + 1, true
	case "quot":
		return "&quot;", '"', end + 1, true
	}
	if name[0] != '#' {
		return "", 0, 0, false
	}
	var v uint64
	var err error
	if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
		v, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(name[1:], 10, 32)
	}
	r = rune(v)
	if err != nil || v == 0 || v > utf8.MaxRune || !utf8.ValidRune(r) || r < 0x20 && r != '\n' && r != '\t' {
		return "", 0, 0, false
	}
	return "&#" + strconv.FormatUint(v, 10) + ";", r, end + 1, true
}

// unescape decodes the entities parseEntity accepts; others stay as written.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if _, r, n, ok := parseEntity(s[i:]); ok {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// Escape makes a value safe to put in a Telegram HTML message, between tags or in an
// attribute.
func Escape(s string) string { return htmlEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD")) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", Boundary, "")

func escapeAttr(s string) string { return Escape(s) }
