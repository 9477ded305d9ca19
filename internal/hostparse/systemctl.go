package hostparse

import (
	"strconv"
	"strings"
)

// Unit is one unit's block of `systemctl show --property=…`.
type Unit struct {
	// ID is the unit's name (nginx.service).
	ID string
	// LoadState is loaded, not-found, masked, …
	LoadState string
	// ActiveState is active, reloading, inactive, failed, activating or deactivating.
	ActiveState string
	SubState    string
	// Type is a service's type (simple, forking, notify, oneshot, …); empty for other units.
	Type string
	// NRestarts counts automatic restarts (systemd ≥ 235, services only); HasRestarts says
	// whether the property was there.
	NRestarts   float64
	HasRestarts bool
	// ActiveEnterMonotonic is when the unit last entered the active state, in microseconds
	// of CLOCK_MONOTONIC (since boot); 0 when it never did.
	ActiveEnterMonotonic uint64
}

// maxUnits bounds the units read from one show listing.
const maxUnits = 1000

// ParseSystemctlShow reads `systemctl show --property=…` for several units: blocks of
// Key=Value lines separated by blank lines, in the order systemd chooses (it does not
// follow --property). systemd 239 (EL8) and 252 (Debian 12) print the same shape.
func ParseSystemctlShow[T Text](b T) ([]Unit, []Problem) {
	text := string(b) // one copy, or none for a string
	var units []Unit
	var problems []Problem
	var cur Unit
	started := false
	startLine := 0
	full := false // the limit was reached and reported
	end := func() {
		if !started {
			return
		}
		started = false
		switch {
		case cur.ID == "":
			problems = append(problems, problem(Missing, startLine, "unit block without Id"))
		case len(units) >= maxUnits:
			if !full {
				problems = append(problems, problem(TooMany, startLine, "more than %d units", maxUnits))
				full = true
			}
		default:
			if units == nil { // blocks are separated by blank lines: one allocation for all
				units = make([]Unit, 0, min(strings.Count(text, "\n\n")+1, maxUnits))
			}
			units = append(units, cur)
		}
		cur = Unit{}
	}
	eachLine(text, func(n int, line string) {
		if strings.TrimSpace(line) == "" {
			end()
			return
		}
		if !started {
			started, startLine = true, n
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			problems = append(problems, problem(Malformed, n, "systemctl line %s", quote(line)))
			return
		}
		switch key {
		case "Id":
			cur.ID = value
		case "LoadState":
			cur.LoadState = value
		case "ActiveState":
			cur.ActiveState = value
		case "SubState":
			cur.SubState = value
		case "Type":
			cur.Type = value
		case "NRestarts":
			v, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				problems = append(problems, problem(Malformed, n, "NRestarts %s", quote(value)))
				return
			}
			cur.NRestarts, cur.HasRestarts = float64(v), true
		case "ActiveEnterTimestampMonotonic":
			v, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				problems = append(problems, problem(Malformed, n, "ActiveEnterTimestampMonotonic %s", quote(value)))
				return
			}
			cur.ActiveEnterMonotonic = v
		}
	})
	end()
	return units, problems
}
