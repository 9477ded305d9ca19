package telegram

import (
	"strconv"
	"strings"
)

// MaxMessageLength is Telegram's limit on a message's text after entity parsing, in UTF-16
// code units (what Telegram calls characters).
const MaxMessageLength = 4096

// markerReserve is the room kept for a "(1234/1234) " marker in each part of a split message.
const markerReserve = 14

// break priorities: the splitter cuts at the best kind of place it has seen in a part.
const (
	breakAnywhere = iota
	breakSpace
	breakLine
	breakParagraph
	breakAlert
)

// Split turns rendered HTML into messages Telegram accepts: each valid Telegram HTML, at
// most limit characters of text, with "(1/3)" markers when there is more than one. It cuts
// at alert boundaries first, then at blank lines, line ends and spaces, and only inside a
// word when a single word is longer than a message. Tags open at a cut are closed at the end
// of the part and opened again at the start of the next, so formatting survives the cut.
func Split(html string, limit int) []string {
	if limit > MaxMessageLength || limit <= markerReserve {
		limit = MaxMessageLength
	}
	tokens := tokenize(html)
	total := 0
	for _, t := range tokens {
		total += t.width
	}
	if total <= limit {
		if part := render(nil, trimTokens(tokens)); part != "" {
			return []string{part}
		}
		return nil
	}
	budget := limit - markerReserve
	var parts []string
	var open []token // tags open where the current part starts
	for len(tokens) > 0 {
		tokens = skipSpace(tokens)
		if len(tokens) == 0 {
			break
		}
		cut := cutPoint(tokens, budget)
		part := render(open, trimTokens(tokens[:cut]))
		open = openAfter(open, tokens[:cut])
		tokens = tokens[cut:]
		if part != "" {
			parts = append(parts, part)
		}
	}
	if len(parts) > 1 {
		for i := range parts {
			parts[i] = "(" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + ") " + parts[i]
		}
	}
	return parts
}

// cutPoint is how many tokens go into the next part: as many as fit, ending at the best
// break available. It always takes at least one token so that splitting ends.
func cutPoint(tokens []token, budget int) int {
	width := 0
	best, bestPriority := 0, -1
	for i, t := range tokens {
		if t.kind == textToken && width+t.width > budget {
			if best == 0 {
				return max(i, 1)
			}
			return best
		}
		width += t.width
		p := -1
		switch {
		case t.kind == boundaryToken:
			p = breakAlert
		case t.kind == textToken && t.html == "\n":
			p = breakLine
			if i > 0 && tokens[i-1].html == "\n" {
				p = breakParagraph
			}
		case t.kind == textToken && (t.html == " " || t.html == "\t"):
			p = breakSpace
		case t.kind == textToken:
			p = breakAnywhere
		}
		// The cut goes after token i; a later break of the same kind fills the part better.
		if p >= bestPriority && p >= 0 {
			best, bestPriority = i+1, p
		}
	}
	return len(tokens)
}

// openAfter is the stack of open tags after tokens, starting from open.
func openAfter(open, tokens []token) []token {
	stack := append([]token(nil), open...)
	for _, t := range tokens {
		switch t.kind {
		case openToken:
			stack = append(stack, t)
		case closeToken:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == t.name {
					stack = stack[:i]
					break
				}
			}
		}
	}
	return stack
}

// render writes one part: the tags open at its start, its tokens, and closing tags for
// whatever is still open at its end. A part with no visible text is empty.
func render(open, tokens []token) string {
	visible := false
	for _, t := range tokens {
		if t.kind == textToken && strings.TrimSpace(t.html) != "" {
			visible = true
			break
		}
	}
	if !visible {
		return ""
	}
	var b strings.Builder
	for _, t := range open {
		b.WriteString(t.html)
	}
	for _, t := range tokens {
		b.WriteString(t.html)
	}
	for _, t := range slicesReverse(openAfter(open, tokens)) {
		b.WriteString("</" + t.name + ">")
	}
	return b.String()
}

func slicesReverse(ts []token) []token {
	for i, j := 0, len(ts)-1; i < j; i, j = i+1, j-1 {
		ts[i], ts[j] = ts[j], ts[i]
	}
	return ts
}

func isSpace(t token) bool {
	return t.kind == boundaryToken || t.kind == textToken && strings.TrimSpace(t.html) == ""
}

// skipSpace drops blank text (and boundaries) at the start of a part.
func skipSpace(tokens []token) []token {
	for len(tokens) > 0 && isSpace(tokens[0]) {
		tokens = tokens[1:]
	}
	return tokens
}

// trimTokens drops blank text at the end of a part (a trailing newline before a cut).
func trimTokens(tokens []token) []token {
	end := len(tokens)
	for end > 0 && isSpace(tokens[end-1]) {
		end--
	}
	// Closing tags after the trimmed space still belong to the part.
	out := tokens[:end:end]
	for _, t := range tokens[end:] {
		if t.kind != textToken && t.kind != boundaryToken {
			out = append(out, t)
		}
	}
	return out
}
