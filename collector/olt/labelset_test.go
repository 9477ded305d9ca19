package olt_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	sim "github.com/rondanet/ronda/internal/sim/olt"
)

// TestStateSetPerDriver: olt_onu_state is one-hot over the states the driver's OLTs can
// show (HiOSO: up, down, pwrdown, loopdetected; V-SOL and HSGQ add los), not over every
// state any driver knows; exactly one series of each ONU is 1. olt_pon_onus counts over
// the same set, and olt_onu_offline_reason is one series (value 1) per offline ONU.
func TestStateSetPerDriver(t *testing.T) {
	want := map[sim.Personality][]string{
		sim.HiOSO:         {"down", "loopdetected", "pwrdown", "up"},
		sim.HiOSOOverview: {"down", "loopdetected", "pwrdown", "up"},
		sim.VSOL:          {"down", "loopdetected", "los", "pwrdown", "up"},
		sim.HSGQ:          {"down", "loopdetected", "los", "pwrdown", "up"},
	}
	for _, p := range sim.Personalities {
		t.Run(string(p), func(t *testing.T) {
			l := newLab(t, oltSpec{name: "olt", personality: p, minInterval: time.Second})
			_, got := l.scrape(t, "olt", 10*time.Second)
			type onu struct{ pon, id string }
			states := map[onu][]string{}
			ones := map[onu]int{}
			reasons := map[onu]int{}
			ponStates := map[string][]string{}
			for key, v := range got {
				labels := map[string]string{}
				parts := strings.Split(key, ",")
				for _, kv := range parts[1:] {
					k, val, _ := strings.Cut(kv, "=")
					labels[k] = val
				}
				o := onu{labels["pon"], labels["onu"]}
				switch parts[0] {
				case "olt_onu_state":
					states[o] = append(states[o], labels["state"])
					if v == 1 {
						ones[o]++
					} else if v != 0 {
						t.Errorf("%s = %v, want 0 or 1", key, v)
					}
				case "olt_pon_onus":
					ponStates[labels["pon"]] = append(ponStates[labels["pon"]], labels["state"])
				case "olt_onu_offline_reason":
					reasons[o]++
					if v != 1 {
						t.Errorf("%s = %v, want 1", key, v)
					}
					if got["olt_onu_state,onu="+o.id+",pon="+o.pon+",state=up"] == 1 {
						t.Errorf("%s for an ONU that is up", key)
					}
				}
			}
			if len(states) != 64 {
				t.Fatalf("%d ONUs with olt_onu_state, want 64", len(states))
			}
			for o, s := range states {
				slices.Sort(s)
				if !slices.Equal(s, want[p]) || ones[o] != 1 {
					t.Errorf("ONU %v: states %v with %d ones, want %v with one", o, s, ones[o], want[p])
				}
				if reasons[o] > 1 {
					t.Errorf("ONU %v: %d offline reason series, want at most one", o, reasons[o])
				}
			}
			for pon, s := range ponStates {
				slices.Sort(s)
				if !slices.Equal(s, want[p]) {
					t.Errorf("olt_pon_onus of PON %s: states %v, want %v", pon, s, want[p])
				}
			}
		})
	}
}
