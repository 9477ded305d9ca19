package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rondanet/ronda/internal/sim/olt"
)

func TestOLTScenario(t *testing.T) {
	s, err := ParseScenario(strings.NewReader("olts:\n  - {name: a, listen: 127.0.0.1:0, password: pw}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.OLTs[0]
	if got.Personality != "hioso" || got.Username != "admin" || got.PONs != 4 || got.ONUsPerPON != 32 || got.Fault != "none" {
		t.Errorf("defaults not applied: %+v", got)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"olts:\n  - {listen: 127.0.0.1:0}\n", "line 2: olts[0]: name is required"},
		{"olts:\n  - {name: a}\n", "line 2: olts[0] (a): listen is required"},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1}\n  - {name: a, listen: 127.0.0.1:2}\n", `line 3: olts[1]: name "a" is used twice`},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1}\n  - {name: b, listen: 127.0.0.1:1}\n", "line 3: olts[1] (b): listen 127.0.0.1:1 is already used by a"},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1, personality: zte}\n", `unknown personality "zte" (use hioso, hioso-overview, hsgq, vsol)`},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1, pons: 17}\n", "pons must be between 1 and 16"},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1, onus_per_pon: 65}\n", "onus_per_pon must be between 0 and 64"},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1, fault: fire}\n", `unknown fault "fire"`},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1, colour: red}\n", `unknown key "colour" in an OLT (known keys: name, listen, personality`},
	} {
		_, err := ParseScenario(strings.NewReader(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestDemoScenarioOLTs(t *testing.T) {
	s, err := LoadScenario("")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	personalities := map[string]bool{}
	for _, o := range s.OLTs {
		names = append(names, fmt.Sprintf("%s@%s", o.Name, o.Listen))
		personalities[o.Personality] = true
		if o.Username != "admin" || o.Password != "demo-olt" {
			t.Errorf("%s: account %s/%s, want admin and the password in examples/secrets/demo-olt.password", o.Name, o.Username, o.Password)
		}
	}
	if want := "olt-pasar@127.0.0.1:18800 olt-masjid@127.0.0.1:18801 olt-sawah@127.0.0.1:18802 olt-kebun@127.0.0.1:18803 olt-gardu@127.0.0.1:18804"; strings.Join(names, " ") != want {
		t.Errorf("OLTs %v, want %s (examples/ronda.yml points there)", names, want)
	}
	if !personalities[string(olt.HiOSO)] || !personalities[string(olt.HiOSOOverview)] || !personalities[string(olt.HSGQ)] || !personalities[string(olt.VSOL)] {
		t.Errorf("the demo should show both HiOSO layouts, HSGQ and V-SOL, has %v", personalities)
	}
}

func TestControlOLTs(t *testing.T) {
	lab := runLab(t, true)
	var olts []OLTStatus
	if code := call(t, lab, "GET", "/olts", "", &olts); code != 200 || len(olts) != 1 || olts[0].Name != "olt-test" || olts[0].ONUs != 16 {
		t.Fatalf("GET /olts: %d %+v", code, olts)
	}
	var st OLTStatus
	if code := call(t, lab, "POST", "/olts/olt-test/fault", `{"fault":"server-error"}`, &st); code != 200 || st.Fault != "server-error" {
		t.Errorf("set fault: %d %+v", code, st)
	}
	var e errorBody
	if code := call(t, lab, "POST", "/olts/olt-test/fault", `{"fault":"fire"}`, &e); code != 400 || !strings.Contains(e.Error, "unknown fault") {
		t.Errorf("bad fault: %d %+v", code, e)
	}
	var u olt.ONU
	if code := call(t, lab, "POST", "/olts/olt-test/onu", `{"pon":1,"onu":2,"status":"PwrDown"}`, &u); code != 200 || u.Status != olt.StatusPwrDown || !u.DyingGasp {
		t.Errorf("power down an ONU: %d %+v", code, u)
	}
	if code := call(t, lab, "POST", "/olts/olt-test/onu", `{"pon":1,"onu":99,"status":"Up"}`, &e); code != 400 {
		t.Errorf("missing ONU: %d", code)
	}
	if code := call(t, lab, "GET", "/olts/nope/onus", "", &e); code != 404 {
		t.Errorf("unknown OLT: %d", code)
	}
	var onus []olt.ONU
	if code := call(t, lab, "GET", "/olts/olt-test/onus", "", &onus); code != 200 || len(onus) != 16 {
		t.Errorf("GET onus: %d, %d ONUs", code, len(onus))
	}
}
