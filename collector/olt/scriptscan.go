package olt

import (
	"bytes"
	"strings"
	"unsafe"
)

// findScript is the fast way to the <script> holding the ONU array: a scan of the page's
// bytes that follows HTML's tokenizing rules only as far as a plain page needs them (tags
// and their quoted attributes, the raw text of script, style, title and textarea), instead
// of parsing the whole page into goquery's DOM. A HiOSO page is one long script (the
// array is most of its 50 KB), so the DOM was most of the cost of reading it.
//
// It returns ok false when the page holds anything whose meaning it would have to guess
// (comments, <!-- inside a script, other raw-text elements, foreign content, NUL bytes, a
// script left open, or no script with needle at all): the caller then asks goquery, which
// parses like a browser. On the pages it accepts it returns what goquery's Text of the
// first script containing needle returns; FuzzFindScriptAgreesWithGoquery checks that.
func findScript(page []byte, needle string) (script string, ok bool) {
	if bytes.IndexByte(page, 0) >= 0 {
		return "", false // the HTML parser replaces NUL in places; not worth copying
	}
	i := 0
	for {
		j := bytes.IndexByte(page[i:], '<')
		if j < 0 {
			return "", false
		}
		i += j
		if i+1 >= len(page) {
			return "", false
		}
		switch c := page[i+1]; {
		case isLetter(c): // a start tag
			nameEnd := tagNameEnd(page, i+1)
			end := tagEnd(page, nameEnd)
			if end < 0 {
				return "", false
			}
			switch name := strings.ToLower(string(page[i+1 : nameEnd])); name {
			case "script", "style", "title", "textarea":
				contentEnd, after := rawTextEnd(page, end, name)
				if after < 0 {
					return "", false
				}
				if name != "script" {
					i = after
					continue
				}
				content := page[end:contentEnd]
				if bytes.Contains(content, []byte("<!--")) {
					return "", false // script data escaped states: leave them to the parser
				}
				if bytes.Contains(content, []byte(needle)) {
					return newlines(content), true
				}
				i = after
			case "iframe", "noembed", "noframes", "noscript", "xmp", "plaintext",
				"svg", "math", "template", "frameset":
				return "", false
			default:
				i = end
			}
		case c == '/' && i+2 < len(page) && isLetter(page[i+2]): // an end tag
			end := tagEnd(page, tagNameEnd(page, i+2))
			if end < 0 {
				return "", false
			}
			i = end
		case c == '!' && hasPrefixFold(page[i+2:], "doctype"):
			k := bytes.IndexByte(page[i:], '>')
			if k < 0 {
				return "", false
			}
			i += k + 1
		case c == '!', c == '?', c == '/':
			return "", false // comments and bogus comments
		default:
			i++ // a '<' in text
		}
	}
}

// tagNameEnd returns the end of the tag name starting at i.
func tagNameEnd(page []byte, i int) int {
	for i < len(page) && !isHTMLSpace(page[i]) && page[i] != '/' && page[i] != '>' {
		i++
	}
	return i
}

// tagEnd reads a tag's attributes from i (just past its name) the way the HTML tokenizer
// does, quotes included, and returns the offset past its '>', or -1 if the page ends first.
func tagEnd(page []byte, i int) int {
	for {
		i = skipHTMLSpace(page, i)
		if i >= len(page) {
			return -1
		}
		if page[i] == '>' {
			return i + 1
		}
		// The attribute's name: its first byte is taken whatever it is (even '='), except
		// a '/', which the value step below consumes.
		if page[i] != '/' {
			i++
			for i < len(page) && page[i] != '=' && page[i] != '/' && page[i] != '>' && !isHTMLSpace(page[i]) {
				i++
			}
		}
		i = skipHTMLSpace(page, i)
		if i >= len(page) {
			return -1
		}
		if page[i] == '/' {
			i++
			continue
		}
		if page[i] != '=' {
			continue
		}
		i = skipHTMLSpace(page, i+1)
		if i >= len(page) {
			return -1
		}
		switch q := page[i]; q {
		case '>':
		case '\'', '"':
			k := bytes.IndexByte(page[i+1:], q)
			if k < 0 {
				return -1
			}
			i += k + 2
		default:
			for i < len(page) && page[i] != '>' && !isHTMLSpace(page[i]) {
				i++
			}
		}
	}
}

// rawTextEnd finds the end tag of the raw-text element name whose content starts at i:
// `</name` in any case, followed by a space, '/' or '>'. It returns where the content ends
// and the offset past the end tag, or -1 for after when there is none.
func rawTextEnd(page []byte, i int, name string) (contentEnd, after int) {
	for k := i; ; {
		j := bytes.Index(page[k:], []byte("</"))
		if j < 0 {
			return 0, -1
		}
		k += j
		n := k + 2 + len(name)
		if n < len(page) && hasPrefixFold(page[k+2:], name) {
			if c := page[n]; isHTMLSpace(c) || c == '/' || c == '>' {
				end := tagEnd(page, n)
				if end < 0 {
					return 0, -1
				}
				return k, end
			}
		}
		k += 2
	}
}

// newlines turns the script's bytes into the text the HTML tokenizer gives: CRLF and lone
// CR become LF. Without CR (what OLTs send) the text is b's memory itself, not a copy of
// the ~50 KB script: valid only while the page is, so whatever the caller keeps of it must
// be copied (readHiOSO's keep; TestReadHiOSOKeepsNothingOfThePage).
func newlines(b []byte) string {
	if bytes.IndexByte(b, '\r') < 0 {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isHTMLSpace is HTML's whitespace as the tokenizer reads it (no vertical tab).
func isHTMLSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

func skipHTMLSpace(page []byte, i int) int {
	for i < len(page) && isHTMLSpace(page[i]) {
		i++
	}
	return i
}
