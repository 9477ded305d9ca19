package hostparse

import (
	"regexp"
	"strconv"
)

// number matches a decimal number the way an operator reads one in command output:
// "12", "-3.5", "1e6", ".5" (a leading sign only when it touches the digits).
var number = regexp.MustCompile(`[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?`)

// FirstNumber returns the first number in a command's output ("delay: 12.5s" → 12.5).
func FirstNumber(b []byte) (float64, []Problem) {
	m := number.Find(b)
	if m == nil {
		return 0, []Problem{problem(Missing, 0, "no number in the output")}
	}
	v, err := strconv.ParseFloat(string(m), 64)
	if err != nil { // out of float64 range
		return 0, []Problem{problem(Malformed, 0, "number %s", quote(string(m)))}
	}
	return v, nil
}

// CommandEnd is the trailer the script prints after each custom command: its exit status
// and /proc/uptime before and after it ran.
type CommandEnd struct {
	ExitCode int
	Seconds  float64
}

// ParseCommandEnd reads the trailer's words: exit status, uptime at start, uptime at end.
func ParseCommandEnd(args []string) (CommandEnd, []Problem) {
	if len(args) != 3 {
		return CommandEnd{}, []Problem{problem(Malformed, 0, "command trailer has %d words, want 3", len(args))}
	}
	code, err := strconv.Atoi(args[0])
	if err != nil || code < 0 || code > 255 {
		return CommandEnd{}, []Problem{problem(Malformed, 0, "exit status %s", quote(args[0]))}
	}
	end := CommandEnd{ExitCode: code}
	t0, err0 := strconv.ParseFloat(args[1], 64)
	t1, err1 := strconv.ParseFloat(args[2], 64)
	if err0 != nil || err1 != nil || !(t1 >= t0) || t1-t0 > 86400 {
		return end, []Problem{problem(Malformed, 0, "command times %s %s", quote(args[1]), quote(args[2]))}
	}
	end.Seconds = t1 - t0
	return end, nil
}
