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
}

// Split cuts output into sections at lines starting with marker followed by a space. The
// script prints a marker holding a nonce chosen per scrape, so a command's output cannot
// fake a section. Text before the first marker (a login banner, a shell's motd) is
// returned as preamble and otherwise ignored. Bodies are slices of output, not copies.
func Split(output []byte, marker string) (sections []Section, preamble []byte) {
	prefix := []byte(marker + " ")
	var cur Section
	inSection := false
	bodyStart := 0
	flush := func(end int) {
		if inSection {
			cur.Body = output[bodyStart:end:end]
			sections = append(sections, cur)
		} else {
			preamble = output[:end:end]
		}
	}
	// The words of every marker line share one backing array; each section's Args is capped
	// so that appending to it cannot overwrite the next section's.
	words := make([]string, 0, 32)
	sections = make([]Section, 0, 16) // the script prints about a dozen
	for pos := 0; pos < len(output); {
		end := bytes.IndexByte(output[pos:], '\n')
		next := len(output)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(output)
		}
		if line := output[pos:end]; bytes.HasPrefix(line, prefix) {
			flush(pos)
			start := len(words)
			words = appendFields(words, string(bytes.TrimSuffix(line[len(prefix):], []byte("\r"))))
			cur, inSection = Section{Args: []string{}}, true
			if len(words) > start {
				cur.Name, cur.Args = words[start], words[start+1:len(words):len(words)]
			}
			bodyStart = next
		}
		pos = next
	}
	flush(len(output))
	if len(sections) == 0 {
		sections = nil
	}
	return sections, preamble
}
