package hostparse

import (
	"bytes"
)

// Section is one part of the script's output: the lines between its marker line and the
// next marker.
type Section struct {
	// Name is the first word after the marker (stat, meminfo, df, cmd, end, …).
	Name string
	// Args are the words after the name (a df section's unit, a command's index and exit code).
	Args []string
	// Body is the section's text, each line ending in a newline.
	Body []byte
	// Offset is where Body starts in the output, so that a caller holding the output as a
	// string can take the body from it without a copy.
	Offset int
}

// Split cuts output into sections at lines starting with marker followed by a space. The
// script prints a marker holding a nonce chosen per scrape, so a command's output cannot
// fake a section. Text before the first marker (a login banner, a shell's motd) is
// returned as preamble and otherwise ignored. Bodies are slices of output, not copies.
func Split(output []byte, marker string) (sections []Section, preamble []byte) {
	prefix := []byte(marker + " ")
	// First the marker lines: where each starts, where its body starts, and its words,
	// gathered into one buffer so that they become strings in a single conversion.
	type mark struct{ pos, bodyStart, wordsStart, wordsEnd int }
	// Both on the stack for the script's dozen sections: neither outlives the call.
	var markBuf [24]mark
	var textBuf [512]byte
	marks, text := markBuf[:0], textBuf[:0]
	// The marker is searched for, not each line: a dozen marker lines among hundreds.
	for from := 0; from < len(output); {
		i := bytes.Index(output[from:], prefix)
		if i < 0 {
			break
		}
		pos := from + i
		if pos > 0 && output[pos-1] != '\n' { // not at the start of a line
			from = pos + 1
			continue
		}
		end, next := len(output), len(output)
		if j := bytes.IndexByte(output[pos:], '\n'); j >= 0 {
			end, next = pos+j, pos+j+1
		}
		m := mark{pos: pos, bodyStart: next, wordsStart: len(text)}
		text = append(text, bytes.TrimSuffix(output[pos+len(prefix):end], []byte("\r"))...)
		m.wordsEnd = len(text)
		text = append(text, '\n')
		marks = append(marks, m)
		from = next
	}
	if len(marks) == 0 {
		return nil, output[:len(output):len(output)]
	}
	preamble = output[:marks[0].pos:marks[0].pos]
	all := string(text)
	// The words of every marker line share one backing array; each section's Args is capped
	// so that appending to it cannot overwrite the next section's.
	words := make([]string, 0, 3*len(marks))
	sections = make([]Section, len(marks))
	for i, m := range marks {
		end := len(output)
		if i+1 < len(marks) {
			end = marks[i+1].pos
		}
		s := Section{Args: []string{}, Body: output[m.bodyStart:end:end], Offset: m.bodyStart}
		start := len(words)
		words = appendFields(words, all[m.wordsStart:m.wordsEnd])
		if len(words) > start {
			s.Name, s.Args = words[start], words[start+1:len(words):len(words)]
		}
		sections[i] = s
	}
	return sections, preamble
}
