package olt

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rondanet/ronda/collector"
)

// batchCollector hands a batch's series to client_golang, for testutil.
type batchCollector struct{ b *collector.Batch }

func (c batchCollector) Describe(chan<- *prometheus.Desc)    {}
func (c batchCollector) Collect(ch chan<- prometheus.Metric) { c.b.Send(ch) }

// TestEmitStateOutsideTheDriversSet: an ONU whose status word the driver does not know
// keeps the driver's one-hot set (all 0) and gets state="unknown" 1 besides, on its own
// series and in its PON's count; the other ONUs and PONs get no unknown series.
func TestEmitStateOutsideTheDriversSet(t *testing.T) {
	snap := &Snapshot{PONs: []string{"0/1", "0/2"}, States: HiOSOStates}
	up, odd, other := newONU("0/1", "1"), newONU("0/1", "2"), newONU("0/2", "1")
	up.State, odd.State, other.State = StateUp, StateUnknown, StateDown
	other.OfflineReason = ReasonTimeout
	snap.ONUs = []ONU{up, odd, other}
	var b collector.Batch
	emit(&b, snap, 0, new(keptSeries), slog.New(slog.DiscardHandler))
	want := `
# HELP olt_onu_offline_reason Why the ONU went offline (other, timeout, onu_init, olt_init, blacklisted, not_whitelisted): one series with value 1, only for ONUs that are not up, and only when the OLT says.
# TYPE olt_onu_offline_reason gauge
olt_onu_offline_reason{onu="1",pon="0/2",reason="timeout"} 1
# HELP olt_onu_state ONU state, one-hot over the states the OLT's driver can show: up, down, pwrdown, loopdetected (HiOSO); V-SOL and HSGQ add los. An ONU in a state the driver does not know also has a series with state unknown, value 1.
# TYPE olt_onu_state gauge
olt_onu_state{onu="1",pon="0/1",state="down"} 0
olt_onu_state{onu="1",pon="0/1",state="loopdetected"} 0
olt_onu_state{onu="1",pon="0/1",state="pwrdown"} 0
olt_onu_state{onu="1",pon="0/1",state="up"} 1
olt_onu_state{onu="1",pon="0/2",state="down"} 1
olt_onu_state{onu="1",pon="0/2",state="loopdetected"} 0
olt_onu_state{onu="1",pon="0/2",state="pwrdown"} 0
olt_onu_state{onu="1",pon="0/2",state="up"} 0
olt_onu_state{onu="2",pon="0/1",state="down"} 0
olt_onu_state{onu="2",pon="0/1",state="loopdetected"} 0
olt_onu_state{onu="2",pon="0/1",state="pwrdown"} 0
olt_onu_state{onu="2",pon="0/1",state="unknown"} 1
olt_onu_state{onu="2",pon="0/1",state="up"} 0
# HELP olt_pon_onus ONUs the OLT lists on the PON port, by state: every state of olt_onu_state's set, zeros included (unknown only when an ONU is in it).
# TYPE olt_pon_onus gauge
olt_pon_onus{pon="0/1",state="down"} 0
olt_pon_onus{pon="0/1",state="loopdetected"} 0
olt_pon_onus{pon="0/1",state="pwrdown"} 0
olt_pon_onus{pon="0/1",state="unknown"} 1
olt_pon_onus{pon="0/1",state="up"} 1
olt_pon_onus{pon="0/2",state="down"} 1
olt_pon_onus{pon="0/2",state="loopdetected"} 0
olt_pon_onus{pon="0/2",state="pwrdown"} 0
olt_pon_onus{pon="0/2",state="up"} 0
`
	err := testutil.CollectAndCompare(batchCollector{&b}, strings.NewReader(want), "olt_onu_state", "olt_pon_onus", "olt_onu_offline_reason")
	if err != nil {
		t.Error(err)
	}
}

// TestEmitDuplicateONUs: an ONU listed twice is exported once (the first listing), in
// the OLT's order, and counted once in its PON; ONUs in order ("0/2" before "0/10", "9"
// before "10") are never taken for duplicates.
func TestEmitDuplicateONUs(t *testing.T) {
	onu := func(pon, id string, st State, rx float64) ONU {
		o := newONU(pon, id)
		o.State, o.RxPowerDBm = st, collector.Float(rx)
		return o
	}
	for _, tc := range []struct {
		name string
		onus []ONU
		want string
	}{
		{"in order", []ONU{onu("0/2", "9", StateUp, -20), onu("0/2", "10", StateUp, -21), onu("0/10", "1", StateUp, -22)}, `
olt_onu_rx_power_dbm{onu="9",pon="0/2"} -20
olt_onu_rx_power_dbm{onu="10",pon="0/2"} -21
olt_onu_rx_power_dbm{onu="1",pon="0/10"} -22
olt_pon_onus{pon="0/2",state="up"} 2
olt_pon_onus{pon="0/10",state="up"} 1
`},
		{"listed twice", []ONU{onu("0/2", "3", StateUp, -20), onu("0/2", "1", StateUp, -21), onu("0/2", "3", StateDown, -25)}, `
olt_onu_rx_power_dbm{onu="3",pon="0/2"} -20
olt_onu_rx_power_dbm{onu="1",pon="0/2"} -21
olt_pon_onus{pon="0/2",state="up"} 2
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := &Snapshot{ONUs: tc.onus, States: []State{StateUp}}
			var b collector.Batch
			emit(&b, snap, 0, new(keptSeries), slog.New(slog.DiscardHandler))
			var got []string
			for _, m := range b.Metrics() {
				var d dto.Metric
				if err := m.Write(&d); err != nil {
					t.Fatal(err)
				}
				name := m.Desc().String()
				switch {
				case strings.Contains(name, `"olt_onu_rx_power_dbm"`):
					got = append(got, fmt.Sprintf(`olt_onu_rx_power_dbm{onu=%q,pon=%q} %v`, d.Label[1].GetValue(), d.Label[0].GetValue(), d.GetGauge().GetValue()))
				case strings.Contains(name, `"olt_pon_onus"`):
					got = append(got, fmt.Sprintf(`olt_pon_onus{pon=%q,state=%q} %v`, d.Label[0].GetValue(), d.Label[1].GetValue(), d.GetGauge().GetValue()))
				}
			}
			if want := strings.TrimSpace(tc.want); strings.Join(got, "\n") != want {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
			}
		})
	}
}

// TestEachReadingInItsFamily: every reading of an ONU is exported in its own family (the
// table of readings and the list of their families must agree on the order).
func TestEachReadingInItsFamily(t *testing.T) {
	o := newONU("0/1", "1")
	o.State = StateUp
	o.RxPowerDBm, o.TxPowerDBm, o.TemperatureCelsius = collector.Float(1), collector.Float(2), collector.Float(3)
	o.VoltageVolts, o.BiasCurrentAmperes, o.DistanceMeters = collector.Float(4), collector.Float(5), collector.Float(6)
	o.OnlineSeconds, o.Deregistrations, o.DyingGasp = collector.Float(7), collector.Float(8), collector.Float(9)
	want := map[string]float64{"olt_onu_rx_power_dbm": 1, "olt_onu_tx_power_dbm": 2, "olt_onu_temperature_celsius": 3,
		"olt_onu_voltage_volts": 4, "olt_onu_bias_current_amperes": 5, "olt_onu_distance_meters": 6,
		"olt_onu_online_seconds": 7, "olt_onu_deregistrations_total": 8, "olt_onu_dying_gasp": 9}
	b := collector.NewBatch(true)
	emit(b, &Snapshot{PONs: []string{"0/1"}, States: HiOSOStates, ONUs: []ONU{o}}, 0, new(keptSeries), slog.New(slog.DiscardHandler))
	var out strings.Builder
	if err := b.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for name, v := range want {
		if line := fmt.Sprintf("%s{pon=\"0/1\",onu=\"1\"} %v\n", name, v); !strings.Contains(out.String(), line) {
			t.Errorf("no %q in\n%s", line, out.String())
		}
	}
	if len(want) != len(readingFamilies) {
		t.Errorf("%d readings here, %d families", len(want), len(readingFamilies))
	}
}
