package config

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// readDocuments parses every YAML document in data, stopping at the first syntax error.
func readDocuments(data []byte) ([]*yaml.Node, error) {
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	var documents []*yaml.Node
	for {
		var document yaml.Node
		err := decoder.Decode(&document)
		if errors.Is(err, io.EOF) {
			return documents, nil
		}
		if err != nil {
			return documents, err
		}
		documents = append(documents, &document)
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a yaml.v3 syntax error into a Problem on the line the mistake is on.
//
// yaml.v3 reports the line where the enclosing block starts ("line 1: did not find expected
// key" for a bad indent on line 9) and not the line where it noticed the problem. The line
// that matters to an operator is the first one at which the file stops being YAML, so it is
// found by parsing ever longer leading parts of the file (a binary search: a few parses, on
// the error path only). When that fails, yaml.v3's line is kept.
func syntaxProblem(data []byte, err error) Problem {
	message := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		message = m[2]
	}
	if first := firstFailingLine(data, message); first > 0 {
		line = first
	}
	if indentedWithTab(data, line) && !strings.Contains(message, "tab") {
		message += " (indent with spaces: YAML does not allow tabs there)"
	}
	return Problem{Line: line, Message: "invalid YAML: " + message}
}

// indentedWithTab says whether line (1-based) of data starts with a tab among its leading
// blanks: the commonest cause of a syntax error in a hand-edited file, and invisible.
func indentedWithTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return false
	}
	text := lines[line-1]
	indent := text[:len(text)-len(bytes.TrimLeft(text, " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0
}

// firstFailingLine is the smallest n such that the first n lines of data fail to parse with
// message, or 0 if there is none.
func firstFailingLine(data []byte, message string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	failsAt := func(n int) bool {
		_, err := readDocuments(bytes.Join(lines[:n], nil))
		if err == nil {
			return false
		}
		got := err.Error()
		if m := yamlLine.FindStringSubmatch(got); m != nil {
			got = m[2]
		}
		return strings.TrimPrefix(got, "yaml: ") == message
	}
	n := sort.Search(len(lines), func(i int) bool { return failsAt(i + 1) })
	if n == len(lines) {
		return 0
	}
	return n + 1
}
