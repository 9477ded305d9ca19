package hostparse

import (
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
// returned as preamble and otherwise ignored.
func Split(output []byte, marker string) (sections []Section, preamble []byte) {
	prefix := marker + " "
	var cur *Section
	var body strings.Builder
	flush := func() {
		if cur != nil {
			cur.Body = []byte(body.String())
			sections = append(sections, *cur)
		} else {
			preamble = []byte(body.String())
		}
		body.Reset()
	}
	eachLine(output, func(_ int, line string) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			flush()
			fields := strings.Fields(rest)
			cur = &Section{}
			if len(fields) > 0 {
				cur.Name, cur.Args = fields[0], fields[1:]
			}
			return
		}
		body.WriteString(line)
		body.WriteByte('\n')
	})
	flush()
	return sections, preamble
}
