package config

import (
	"fmt"
	"path/filepath"
)

// checker collects the problems found after decoding, when a check needs more than one
// value (unique names, one of two password options) or the outside world (files, env).
type checker struct {
	dir      string         // the config file's folder; relative paths resolve against it
	lines    map[string]int // from the decoder: where each key path is in the file
	empty    map[string]bool
	settled  map[string]bool
	intended map[string]bool
	problems []Problem
}

func newChecker(filename string, d *decoder) *checker {
	return &checker{dir: filepath.Dir(filename), lines: d.lines, empty: d.empty, settled: d.settled, intended: d.intended}
}

// report adds a problem at path, on the line of path or, for a setting that is missing,
// of the nearest thing around it that is in the file. Paths the decoder could not read
// are skipped: that problem is already reported.
func (c *checker) report(path, format string, args ...any) {
	if c.isSettled(path) {
		return
	}
	c.problems = append(c.problems, Problem{Line: c.lineOf(path), Key: path, Message: fmt.Sprintf(format, args...)})
}

// missing reports a required setting that is not there, unless an unknown key nearby was
// meant to set it (that typo is the problem already reported).
func (c *checker) missing(path, format string, args ...any) {
	if c.intended[path] {
		return
	}
	c.report(path, format, args...)
}

// present says whether the file gives path a value, even an empty string ("").
func (c *checker) present(path string) bool {
	_, ok := c.lines[path]
	return ok && !c.empty[path]
}

func (c *checker) lineOf(path string) int {
	for {
		if line, ok := c.lines[path]; ok {
			return line
		}
		parent, ok := parentPath(path)
		if !ok {
			return 0
		}
		path = parent
	}
}

func (c *checker) isSettled(path string) bool {
	for {
		if c.settled[path] {
			return true
		}
		parent, ok := parentPath(path)
		if !ok {
			return false
		}
		path = parent
	}
}

// resolve makes a path from the file absolute, relative to the config file's folder: the
// exporter then finds the same files whatever directory it is started from, messages name
// the file unambiguously, and a dump of the config (Redacted) still points at them.
func (c *checker) resolve(path string) string {
	if path == "" {
		return ""
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.dir, path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
