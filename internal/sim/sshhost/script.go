package sshhost

import (
	"regexp"
	"strconv"
	"strings"
)

// script is what the simulator understood of the collector's script.
type script struct {
	marker   string
	units    []string
	commands []command
}

type command struct {
	index int
	text  string
}

var (
	markerLine  = regexp.MustCompile(`(?m)^M=(@@ronda-[0-9a-f]+)$`)
	unitsLine   = regexp.MustCompile(`(?m)systemctl show --property=\S+ --((?: '[^']*')*)$`)
	commandLine = regexp.MustCompile(`(?m)^echo "\$M cmd (\d+)"; .* /bin/sh -c ('(?:[^']|'\\'')*'); c=\$\?`)
)

// parseScript recognises `/bin/sh -c 'SCRIPT'` as the SSH collector sends it.
func parseScript(cmdline string) (script, bool) {
	quoted, ok := strings.CutPrefix(cmdline, "/bin/sh -c ")
	if !ok {
		return script{}, false
	}
	text, ok := unquote(quoted)
	if !ok {
		return script{}, false
	}
	m := markerLine.FindStringSubmatch(text)
	if m == nil {
		return script{}, false
	}
	s := script{marker: m[1]}
	if u := unitsLine.FindStringSubmatch(text); u != nil {
		for _, w := range strings.Fields(u[1]) {
			s.units = append(s.units, strings.Trim(w, "'"))
		}
	}
	for _, c := range commandLine.FindAllStringSubmatch(text, -1) {
		i, _ := strconv.Atoi(c[1])
		body, _ := unquote(c[2])
		s.commands = append(s.commands, command{index: i, text: body})
	}
	return s, true
}

// unquote reverses sh single quoting ('…', with ' written as '\”).
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(s[1:len(s)-1], `'\''`, `'`), true
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
