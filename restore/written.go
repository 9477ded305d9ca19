package restore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Written are the outcomes of r that were written: the users restored (none when r is nil).
func (r *Result) Written() []Outcome {
	if r == nil {
		return nil
	}
	var out []Outcome
	for _, oc := range r.Outcomes {
		if oc.Applied {
			out = append(out, oc)
		}
	}
	return out
}

// WrittenSummary counts the written users and the time given back, then names them (see
// NameRestored): "2 users, 10m7s in all: alice 10m, frank 7s". auto's summary and the web
// page say it alike of a run that stopped after some writes; dur writes a duration as each
// shows it.
func WrittenSummary(written []Outcome, maxUsers int, dur func(time.Duration) string) string {
	var back time.Duration
	for _, oc := range written {
		back += oc.Lost
	}
	return fmt.Sprintf("%s, %s in all: %s", Users(len(written)), dur(back), NameRestored(written, maxUsers, dur))
}

// NameRestored names up to maxUsers of the restored users with the time each got back,
// largest first (the ones the team may be asked about), and counts the rest. It sorts
// restored.
func NameRestored(restored []Outcome, maxUsers int, dur func(time.Duration) string) string {
	slices.SortStableFunc(restored, func(a, b Outcome) int { return cmp.Compare(b.Lost, a.Lost) })
	names := make([]string, 0, min(len(restored), maxUsers)+1)
	for _, oc := range restored[:min(len(restored), maxUsers)] {
		names = append(names, oc.User+" "+dur(oc.Lost))
	}
	if more := len(restored) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(names, ", ")
}
