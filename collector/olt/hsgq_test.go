package olt

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
)

func TestParseHSGQFixture(t *testing.T) {
	body := fixture(t, "hsgq-onutable.json")
	snap, err := parseHSGQ(body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range snap.ONUs {
		got = append(got, describe(o))
	}
	want := []string{
		// Numbers as strings or as numbers; bias 14.20 mA is 0.0142 A exactly.
		`0/1:1 up name="Warung Bu Tini" mac=E0:67:B3:00:01:01 fw="V3.0.2" auth="activated" ctc="CtcNegDone" reason=onu_init rx=-19.42 tx=2.31 temp=47.5 volt=3.29 bias=0.0142 dist=3120 online=86400 dereg=3 gasp=0`,
		`0/1:2 pwrdown name="Pak Dédé" mac=E0:67:B3:00:01:02 fw="V3.0.2" auth="activated" ctc="" reason=other online=0 dereg=7 gasp=1`,
		// The -40 dBm floor, all-ones DDM and nan are left out; null is absent.
		`0/2:5 down name="王家" mac=E0:67:B3:00:02:05 fw="V3.0.1" auth="deactivated" ctc="" reason=timeout dereg=1 gasp=0`,
		`0/2:6 los name="Kost Melati" mac=E0:67:B3:00:02:06 fw="V3.0.1" auth="activated" ctc=""`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(snap.PONs, []string{"0/1", "0/2"}) {
		t.Errorf("PONs %q", snap.PONs)
	}
}

func TestParseHSGQErrors(t *testing.T) {
	for _, tt := range []struct {
		body, want string
		reason     collector.Reason
	}{
		{`<html>login</html>`, "not JSON", collector.ReasonProtocol},
		{`{"code":-5,"message":"busy"}`, "refused (code -5: busy)", collector.ReasonDevice},
		{`{"code":1,"data":{"port_id":1}}`, "ONU table data", collector.ReasonProtocol},
		{`{"code":1,"data":[{"port_id":"x","onu_id":1}]}`, `port "x"`, collector.ReasonProtocol},
		{`{"code":1,"data":[{"port_id":1,"onu_id":[1]}]}`, "expected a string or a number", collector.ReasonProtocol},
	} {
		_, err := parseHSGQ([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) || collector.Classify(context.Background(), err) != tt.reason {
			t.Errorf("%s: %v, want %q (%s)", tt.body, err, tt.want, tt.reason)
		}
	}
}

// FuzzParseHSGQ: no answer crashes the parser; accepted ONUs have a PON, an id, a known
// state and finite readings.
func FuzzParseHSGQ(f *testing.F) {
	body := fixture(f, "hsgq-onutable.json")
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		snap, err := parseHSGQ(body)
		if err != nil {
			// Garbage is the OLT's protocol; a reply that says no, the device.
			if r := collector.Classify(context.Background(), err); r != collector.ReasonProtocol && r != collector.ReasonDevice {
				t.Fatalf("error classified %v: %v", r, err)
			}
			return
		}
		for _, o := range snap.ONUs {
			if o.PON == "" || o.ID == "" || !slices.Contains(States, o.State) {
				t.Fatalf("bad ONU %+v", o)
			}
			for _, v := range []collector.Number{o.RxPowerDBm, o.TxPowerDBm, o.TemperatureCelsius, o.VoltageVolts, o.BiasCurrentAmperes, o.DistanceMeters} {
				if math.IsInf(v.Float64(), 0) {
					t.Fatalf("infinite reading in %+v", o)
				}
			}
		}
	})
}
