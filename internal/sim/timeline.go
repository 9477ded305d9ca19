package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/sim/olt"
	"github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// EventSpec is one entry of a scenario's timeline: at a time after the lab started, one
// thing happens to one device, exactly as if the control API had been called then. A
// demo's story (an ONU losing power, a server dropping off the network, a router losing
// power and coming back) is written once in the scenario instead of in a script of curl
// calls with sleeps.
type EventSpec struct {
	// At is the time since the lab started (wall-clock time, also with --clock.frozen).
	At Duration `yaml:"at"`
	// Note is logged when the event happens, so the lab's log tells the story.
	Note string `yaml:"note"`

	// Router and Power: loss (an abrupt power cut and boot), off, on, reboot (clean).
	Router string `yaml:"router"`
	Power  string `yaml:"power"`

	// OLT with ONU (change one ONU) or Fault (the OLT's web interface misbehaves).
	OLT string        `yaml:"olt"`
	ONU *ONUEventSpec `yaml:"onu"`

	// Host with Fault (none, stall, blackhole, …) or Unit and Stopped.
	Host    string `yaml:"host"`
	Unit    string `yaml:"unit"`
	Stopped bool   `yaml:"stopped"`

	// Fault is the OLT's or the host's fault.
	Fault string `yaml:"fault"`
}

// ONUEventSpec changes one ONU, like POST /olts/NAME/onu.
type ONUEventSpec struct {
	PON         int      `yaml:"pon"`
	ONU         int      `yaml:"onu"`
	Status      string   `yaml:"status"` // Up, Down, PwrDown (a dying gasp), LoopDetected
	RxPowerDBm  *float64 `yaml:"rx_power_dbm"`
	Temperature *float64 `yaml:"temperature_celsius"`
}

// Powers are the router power events of a timeline.
var Powers = []string{"loss", "off", "on", "reboot"}

// maxTimeline bounds how far ahead a timeline may reach: a typo such as 45h for 45s
// should be an error, not an event that never comes.
const maxTimeline = 7 * 24 * time.Hour

// validateTimeline checks every event against the devices of the scenario.
func (s *Scenario) validateTimeline(root *yaml.Node) error {
	routers, olts, hosts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range s.Routers {
		routers[r.Name] = true
	}
	for _, o := range s.OLTs {
		olts[o.Name] = true
	}
	for _, h := range s.Hosts {
		hosts[h.Name] = true
	}
	for i, e := range s.Timeline {
		at := fmt.Sprintf("line %d: timeline[%d]", nodeLine(root, "timeline", i), i)
		targets := 0
		for _, name := range []string{e.Router, e.OLT, e.Host} {
			if name != "" {
				targets++
			}
		}
		switch {
		case e.At < 0 || time.Duration(e.At) > maxTimeline:
			return fmt.Errorf("%s: at must be between 0s and %s after the start", at, routeros.FormatDuration(maxTimeline))
		case targets != 1:
			return fmt.Errorf("%s: name exactly one device: router, olt or host", at)
		case e.Router != "":
			if !routers[e.Router] {
				return fmt.Errorf("%s: no router named %q in this scenario", at, e.Router)
			}
			if !slices.Contains(Powers, e.Power) {
				return fmt.Errorf("%s (%s): power must be one of %s, got %q", at, e.Router, joinNames(Powers), e.Power)
			}
			if e.ONU != nil || e.Fault != "" || e.Unit != "" {
				return fmt.Errorf("%s (%s): a router event has only power", at, e.Router)
			}
		case e.OLT != "":
			if !olts[e.OLT] {
				return fmt.Errorf("%s: no OLT named %q in this scenario", at, e.OLT)
			}
			if (e.ONU == nil) == (e.Fault == "") || e.Power != "" || e.Unit != "" {
				return fmt.Errorf("%s (%s): an OLT event has either onu or fault", at, e.OLT)
			}
			if e.Fault != "" && !slices.Contains(olt.Faults, olt.Fault(e.Fault)) {
				return fmt.Errorf("%s (%s): unknown fault %q (use %s)", at, e.OLT, e.Fault, joinNames(olt.Faults))
			}
			if u := e.ONU; u != nil {
				if u.PON < 1 || u.ONU < 1 {
					return fmt.Errorf("%s (%s): onu needs pon and onu (both from 1)", at, e.OLT)
				}
				if u.Status != "" && !slices.Contains(olt.Statuses, olt.Status(u.Status)) {
					return fmt.Errorf("%s (%s): unknown ONU status %q (use %s)", at, e.OLT, u.Status, joinNames(olt.Statuses))
				}
				if u.Status == "" && u.RxPowerDBm == nil && u.Temperature == nil {
					return fmt.Errorf("%s (%s): onu changes nothing: give status, rx_power_dbm or temperature_celsius", at, e.OLT)
				}
			}
		case e.Host != "":
			if !hosts[e.Host] {
				return fmt.Errorf("%s: no SSH host named %q in this scenario", at, e.Host)
			}
			if (e.Unit == "") == (e.Fault == "") || e.Power != "" || e.ONU != nil {
				return fmt.Errorf("%s (%s): a host event has either fault or unit (with stopped)", at, e.Host)
			}
			if e.Fault != "" && !slices.Contains(sshhost.Faults, sshhost.Fault(e.Fault)) {
				return fmt.Errorf("%s (%s): unknown fault %q (use %s)", at, e.Host, e.Fault, joinNames(sshhost.Faults))
			}
			if e.Unit != "" && (!simUnitName.MatchString(e.Unit) || !strings.Contains(e.Unit, ".")) {
				return fmt.Errorf("%s (%s): %q is not a unit name like nginx.service", at, e.Host, e.Unit)
			}
		}
	}
	return nil
}

// runTimeline plays the scenario's timeline from start until every event has happened or
// stop is closed. Events due at the same time happen in the order they are written.
func (lab *Lab) runTimeline(events []EventSpec, start time.Time, stop <-chan struct{}) {
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(events[a].At - events[b].At) })
	for _, i := range order {
		e := events[i]
		wait := time.NewTimer(time.Until(start.Add(time.Duration(e.At))))
		select {
		case <-stop:
			wait.Stop()
			return
		case <-wait.C:
		}
		if err := lab.apply(e); err != nil {
			lab.logger.Error("timeline event failed", "at", routeros.FormatDuration(time.Duration(e.At)), "err", err)
			continue
		}
		lab.logger.Info("timeline event", "at", routeros.FormatDuration(time.Duration(e.At)), "device", e.Router+e.OLT+e.Host,
			"what", describe(e), "note", e.Note)
	}
}

// apply makes one event happen. The scenario was validated, so names resolve.
func (lab *Lab) apply(e EventSpec) error {
	switch {
	case e.Router != "":
		r, _ := lab.Router(e.Router)
		switch e.Power {
		case "loss":
			r.PowerLoss()
		case "off":
			r.PowerOff()
		case "on":
			r.PowerOn()
		case "reboot":
			r.Reboot()
		}
	case e.OLT != "":
		o, _ := lab.OLT(e.OLT)
		if e.Fault != "" {
			return o.SetFault(olt.Fault(e.Fault))
		}
		var c olt.ONUChange
		if e.ONU.Status != "" {
			st := olt.Status(e.ONU.Status)
			c.Status = &st
		}
		c.RxPower, c.Temp = e.ONU.RxPowerDBm, e.ONU.Temperature
		return o.ChangeONU(e.ONU.PON, e.ONU.ONU, c)
	case e.Host != "":
		h, _ := lab.Host(e.Host)
		if e.Fault != "" {
			return h.SetFault(sshhost.Fault(e.Fault))
		}
		h.SetUnitStopped(e.Unit, e.Stopped)
	}
	return nil
}

// describe says what an event does, for the log.
func describe(e EventSpec) string {
	switch {
	case e.Router != "":
		return "power " + e.Power
	case e.ONU != nil:
		s := fmt.Sprintf("ONU %d:%d", e.ONU.PON, e.ONU.ONU)
		if e.ONU.Status != "" {
			s += " " + e.ONU.Status
		}
		if e.ONU.RxPowerDBm != nil {
			s += fmt.Sprintf(" rx %.2f dBm", *e.ONU.RxPowerDBm)
		}
		if e.ONU.Temperature != nil {
			s += fmt.Sprintf(" %.1f °C", *e.ONU.Temperature)
		}
		return s
	case e.Unit != "":
		if e.Stopped {
			return e.Unit + " stopped"
		}
		return e.Unit + " started"
	}
	return "fault " + e.Fault
}
