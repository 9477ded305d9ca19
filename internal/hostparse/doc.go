// Package hostparse reads what a Linux host prints for ronda's SSH collector: the output of
// one remote script cut into sections (Split), and one pure parser per source (/proc/stat,
// /proc/meminfo, /proc/loadavg, /proc/mounts, df, uname, the clock, `systemctl show`, custom
// commands).
//
// Parsers never fail as a whole on a bad line: they return what they understood and a
// Problem for each thing they did not, so one odd kernel field or a BusyBox quirk costs one
// series, not the host's whole scrape. Nothing here touches the network or the clock.
package hostparse

import "fmt"

// Reason says, from a small fixed set, why part of a section could not be used. It is a
// label value, so the set stays fixed; the offending text goes to the debug log only.
type Reason string

const (
	// Malformed means a line or field is not in the expected shape.
	Malformed Reason = "malformed"
	// Missing means a section or a required field is absent.
	Missing Reason = "missing"
	// TooMany means a limit on entries was reached; the rest was dropped.
	TooMany Reason = "too_many"
)

// Reasons lists every Reason, for exporting a complete set.
var Reasons = []Reason{Malformed, Missing, TooMany}

// Problem is one thing a parser could not use.
type Problem struct {
	Reason Reason
	// Line is the 1-based line in the section, 0 when not about one line.
	Line int
	// Detail says what was wrong, for the debug log. It may quote remote output, so it
	// never becomes a label.
	Detail string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Reason, p.Detail)
	}
	return fmt.Sprintf("%s: %s", p.Reason, p.Detail)
}

func problem(reason Reason, line int, format string, args ...any) Problem {
	return Problem{Reason: reason, Line: line, Detail: fmt.Sprintf(format, args...)}
}

// maxDetail caps how much remote text a Problem quotes.
const maxDetail = 80

func quote(s string) string {
	if len(s) > maxDetail {
		s = s[:maxDetail] + "…"
	}
	return fmt.Sprintf("%q", s)
}
