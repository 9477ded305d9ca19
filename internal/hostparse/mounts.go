package hostparse

import (
	"strings"
)

// Mount is one line of /proc/mounts.
type Mount struct {
	Device, MountPoint, FSType string
	ReadOnly                   bool
}

// maxMounts bounds the mounts read from one host (each is several series).
const maxMounts = 2000

// ParseMounts reads /proc/mounts. Spaces, tabs, newlines and backslashes in paths are
// written by the kernel as octal escapes (\040); they are decoded.
func ParseMounts[T Text](b T) ([]Mount, []Problem) {
	text := string(b) // one copy, or none for a string
	var mounts []Mount
	var problems []Problem
	full := false                   // the limit was reached and reported
	fields := make([]string, 0, 16) // reused for every line
	eachLine(text, func(n int, line string) {
		fields = appendMountFields(fields[:0], line)
		if len(fields) == 0 {
			return
		}
		if len(fields) < 4 {
			problems = append(problems, problem(Malformed, n, "mount line %s", quote(line)))
			return
		}
		if len(mounts) >= maxMounts {
			if !full {
				problems = append(problems, problem(TooMany, n, "more than %d mounts", maxMounts))
				full = true
			}
			return
		}
		if mounts == nil { // one allocation for the whole listing
			mounts = make([]Mount, 0, min(strings.Count(text, "\n")+1, maxMounts))
		}
		mounts = append(mounts, Mount{
			Device:     unescapeOctal(fields[0]),
			MountPoint: unescapeOctal(fields[1]),
			FSType:     fields[2],
			ReadOnly:   hasOption(fields[3], "ro"),
		})
	})
	if len(mounts) == 0 {
		problems = append(problems, problem(Missing, 0, "no mounts"))
	}
	return mounts, problems
}

// appendMountFields appends the fields of a /proc/mounts line to dst. The kernel separates
// them with a space and writes a space, tab, newline or backslash in a path as \ooo, so only
// a space or a tab ends a field: any other blank (a no-break or ideographic space in a
// disk's label, a form feed) is part of the path, as the kernel wrote it.
func appendMountFields(dst []string, line string) []string {
	start := -1
	for i := 0; i < len(line); i++ {
		if line[i] == ' ' || line[i] == '\t' {
			if start >= 0 {
				dst = append(dst, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, line[start:])
	}
	return dst
}

// hasOption reports whether the comma-separated options hold option.
func hasOption(options, option string) bool {
	for o := range strings.SplitSeq(options, ",") {
		if o == option {
			return true
		}
	}
	return false
}

// unescapeOctal decodes the kernel's \ooo escapes; anything else is kept as written.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
