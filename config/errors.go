package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is every problem found in one config file. Load and Parse return it (as *Error)
// for any file they refuse, so a caller can show each problem on its own line.
type Error struct {
	File     string
	Problems []Problem
}

// Problem is one thing wrong with a config file.
type Problem struct {
	// Line is 1-based; 0 when the problem has no place in the file (it cannot be read).
	Line int
	// Key is the path of the setting, like `mikrotik[1].address`; empty for the whole file.
	Key     string
	Message string
}

// Error prints one `FILE:LINE: KEY: MESSAGE` line per problem, in file order.
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "config"
	}
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(file)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
		if p.Key != "" {
			b.WriteString(p.Key)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// newError sorts the problems by line (keeping the order they were found in within a line)
// so the operator can fix the file from top to bottom.
func newError(file string, problems []Problem) *Error {
	slices.SortStableFunc(problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return &Error{File: file, Problems: problems}
}
