package olt

import (
	"log/slog"
	"strings"
	"testing"

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
	emit(&b, snap, 0, slog.New(slog.DiscardHandler))
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
