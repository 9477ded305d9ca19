package hostparse

import (
	"bytes"
	"strings"
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
	var cur *Section
	bodyStart := 0
	flush := func(end int) {
		if cur != nil {
			cur.Body = output[bodyStart:end:end]
			sections = append(sections, *cur)
		} else {
			preamble = output[:end:end]
		}
	}
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
			fields := strings.Fields(string(bytes.TrimSuffix(line[len(prefix):], []byte("\r"))))
			cur = &Section{Args: []string{}}
			if len(fields) > 0 {
				cur.Name, cur.Args = fields[0], fields[1:]
			}
			bodyStart = next
		}
		pos = next
	}
	flush(len(output))
	return sections, preamble
}
