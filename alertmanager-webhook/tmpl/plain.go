package tmpl

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SplitPlain splits text rendered for a plain channel (WhatsApp) into messages of at most
// limit runes, cutting at alert boundaries first, then at line ends, then anywhere; parts
// carry "(1/3) " markers when there is more than one. Boundaries are removed.
func SplitPlain(text string, limit int) []string {
	const reserve = 12 // "(123/123) "
	whole := strings.TrimSpace(strings.ReplaceAll(text, Boundary, ""))
	if utf8.RuneCountInString(whole) <= limit {
		if whole == "" {
			return nil
		}
		return []string{whole}
	}
	budget := max(limit-reserve, 1)
	var parts []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
	}
	for _, block := range strings.Split(text, Boundary) {
		if utf8.RuneCountInString(cur.String())+utf8.RuneCountInString(block) <= budget {
			cur.WriteString(block)
			continue
		}
		flush()
		for utf8.RuneCountInString(block) > budget {
			r := []rune(block)
			cut := budget
			if nl := strings.LastIndex(string(r[:budget]), "\n"); nl > 0 {
				cut = utf8.RuneCountInString(string(r[:budget])[:nl]) + 1
			}
			parts = append(parts, strings.TrimSpace(string(r[:cut])))
			block = string(r[cut:])
		}
		cur.WriteString(block)
	}
	flush()
	if len(parts) > 1 {
		for i := range parts {
			parts[i] = "(" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + ") " + parts[i]
		}
	}
	return parts
}
