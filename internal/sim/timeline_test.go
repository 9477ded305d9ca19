package sim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/sim/olt"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

const timelineDevices = `routers:
  - {name: r1, listen: 127.0.0.1:0, users: [{name: alice, limit_uptime: 1h, uptime: 10m, online: true}]}
olts:
  - {name: o1, listen: 127.0.0.1:0, pons: 1, onus_per_pon: 4}
hosts:
  - {name: h1, listen: 127.0.0.1:0}
`

func TestTimelineValidation(t *testing.T) {
	for _, tt := range []struct{ events, want string }{
		{"  - {at: 1m, router: r1, power: loss, note: cut}\n  - {at: 0s, olt: o1, onu: {pon: 1, onu: 2, status: PwrDown}}\n" +
			"  - {at: 2m, olt: o1, fault: slow}\n  - {at: 3m, host: h1, fault: blackhole}\n  - {at: 4m, host: h1, unit: nginx.service, stopped: true}\n" +
			"  - {at: 5m, olt: o1, onu: {pon: 1, onu: 1, rx_power_dbm: -28.5, temperature_celsius: 71}}\n", ""},
		{"  - {at: 1m, router: r1, power: flicker}\n", `line 8: timeline[0] (r1): power must be one of loss, off, on, reboot, got "flicker"`},
		{"  - {at: 1m, router: r9, power: loss}\n", `line 8: timeline[0]: no router named "r9" in this scenario`},
		{"  - {at: 1m, power: loss}\n", `line 8: timeline[0]: name exactly one device: router, olt or host`},
		{"  - {at: 1m, router: r1, host: h1, power: loss}\n", `name exactly one device`},
		{"  - {at: 1m, router: r1, power: loss, fault: stall}\n", `timeline[0] (r1): a router event has only power`},
		{"  - {at: 200h, router: r1, power: loss}\n", `timeline[0]: at must be between 0s and 1w after the start`},
		{"  - {at: 1m, olt: o1}\n", `timeline[0] (o1): an OLT event has either onu or fault`},
		{"  - {at: 1m, olt: o1, fault: melted}\n", `unknown fault "melted" (use none, unauthorized`},
		{"  - {at: 1m, olt: o1, onu: {pon: 1, onu: 2, status: Sleeping}}\n", `unknown ONU status "Sleeping" (use Up, Down, PwrDown, LoopDetected)`},
		{"  - {at: 1m, olt: o1, onu: {pon: 1, onu: 2}}\n", `onu changes nothing`},
		{"  - {at: 1m, olt: o1, onu: {onu: 2, status: Down}}\n", `onu needs pon and onu`},
		{"  - {at: 1m, olt: o9, fault: slow}\n", `no OLT named "o9"`},
		{"  - {at: 1m, host: h1}\n", `timeline[0] (h1): a host event has either fault or unit`},
		{"  - {at: 1m, host: h1, fault: melted}\n", `unknown fault "melted" (use none, stall`},
		{"  - {at: 1m, host: h1, unit: \"a b\"}\n", `"a b" is not a unit name`},
		{"  - {at: 1m, host: h9, fault: none}\n", `no SSH host named "h9"`},
		{"  - {at: soon, host: h1, fault: none}\n", `line 8: invalid duration "soon"`},
		{"  - {at: 1m, host: h1, fault: none, colour: red}\n", `unknown key "colour" in a timeline event (known keys: at, note, router, power, olt, onu, host, unit, stopped, fault)`},
		{"  - {at: 1m, olt: o1, onu: {pon: 1, onu: 1, state: Up}}\n", `unknown key "state" in a timeline event's onu`},
	} {
		s, err := ParseScenario(strings.NewReader(timelineDevices + "timeline:\n" + tt.events))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.events, err)
		case tt.want == "" && len(s.Timeline) != 6:
			t.Errorf("%q: %d events", tt.events, len(s.Timeline))
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want %q", tt.events, err, tt.want)
		}
	}
}

// TestTimelinePlays: the events happen on their own, in time order (not file order), each
// to the device it names, as the control API would have done it.
func TestTimelinePlays(t *testing.T) {
	s, err := ParseScenario(strings.NewReader(timelineDevices + `timeline:
  - {at: 300ms, router: r1, power: on, note: power back}
  - {at: 100ms, router: r1, power: off, note: power cut}
  - {at: 100ms, olt: o1, onu: {pon: 1, onu: 2, status: PwrDown}}
  - {at: 100ms, host: h1, fault: blackhole}
  - {at: 100ms, host: h1, unit: nginx.service, stopped: true}
  - {at: 200ms, host: h1, fault: none}
`))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := Start(Options{Scenario: s, ControlAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	r, _ := lab.Router("r1")
	o, _ := lab.OLT("o1")
	h, _ := lab.Host("h1")
	boot, other := r.BootTime(), onuStatus(o, 1, 1)
	if !r.Powered() || len(r.Active()) != 1 || h.Fault() != sshhost.FaultNone {
		t.Fatalf("before the timeline: powered %v, %d sessions, host fault %s", r.Powered(), len(r.Active()), h.Fault())
	}

	eventually(t, "the power cut, the dying gasp and the blackhole", func() bool {
		return !r.Powered() && onuStatus(o, 1, 2) == olt.StatusPwrDown && h.Fault() == sshhost.FaultBlackhole
	})
	if len(r.Active()) != 0 {
		t.Errorf("sessions survived the power cut: %v", r.Active())
	}
	if !slices.Contains(h.StoppedUnits(), "nginx.service") {
		t.Errorf("stopped units %v, want nginx.service", h.StoppedUnits())
	}
	if got := onuStatus(o, 1, 1); got != other || other == "" {
		t.Errorf("ONU 1:1, which the timeline does not name, went from %q to %q", other, got)
	}
	eventually(t, "the host back and the router booted", func() bool {
		return h.Fault() == sshhost.FaultNone && r.Powered()
	})
	if !r.BootTime().After(boot) {
		t.Errorf("boot time %v, was %v before the power cut", r.BootTime(), boot)
	}
}

// TestTimelineStopsWithTheLab: closing the lab ends a timeline whose events are still far
// ahead at once, and nothing happens afterwards (goleak checks the goroutine is gone).
func TestTimelineStopsWithTheLab(t *testing.T) {
	s, err := ParseScenario(strings.NewReader(timelineDevices + "timeline:\n  - {at: 1h, router: r1, power: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Scenario: s, ControlAddress: "127.0.0.1:0"}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lab did not stop within 10s with an event an hour ahead")
	}
}

func onuStatus(o *olt.OLT, pon, id int) olt.Status {
	for _, u := range o.ONUs() {
		if u.PON == pon && u.ID == id {
			return u.Status
		}
	}
	return ""
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
