package olt

import (
	"fmt"
	"math"
	"time"
)

// Status is an ONU's status as HiOSO writes it.
type Status string

// HiOSO's ONU states.
const (
	StatusUp           Status = "Up"
	StatusDown         Status = "Down"
	StatusPwrDown      Status = "PwrDown"
	StatusLoopDetected Status = "LoopDetected"
)

// Statuses lists the valid states.
var Statuses = []Status{StatusUp, StatusDown, StatusPwrDown, StatusLoopDetected}

// Glitch makes an ONU's optics read the way broken or absent DDM reads on real OLTs.
type Glitch string

// The glitches.
const (
	GlitchNone    Glitch = ""
	GlitchAllOnes Glitch = "all-ones" // 6.55 V, 8.16 dBm, 131.07 mA: the transceiver did not answer
	GlitchNaN     Glitch = "nan"      // temperature nan, power -inf
	GlitchFloor   Glitch = "floor"    // RX at the -40 dBm floor: no light
)

// Offline reason codes (HiOSO).
const (
	OfflineOther   = 0
	OfflineTimeout = 1
	OfflineONUInit = 2
	OfflineOLTInit = 3
)

// ONU is one simulated ONU. Readings are the ONU's base values; the page adds a small
// drift over time so series move like real ones.
type ONU struct {
	PON       int     `json:"pon"` // 1-based: PON 0/1
	ID        int     `json:"onu"` // 1-based number on the PON
	Name      string  `json:"name"`
	MAC       string  `json:"mac"`
	Firmware  string  `json:"firmware"`
	Status    Status  `json:"status"`
	Active    bool    `json:"active"` // auth: false shows as Deactivate (code 2)
	RTT       int     `json:"rtt"`    // time quanta
	RxPower   float64 `json:"rx_power_dbm"`
	TxPower   float64 `json:"tx_power_dbm"`
	Temp      float64 `json:"temperature_celsius"`
	Voltage   float64 `json:"voltage_volts"`
	BiasMA    float64 `json:"bias_current_ma"`
	Glitch    Glitch  `json:"glitch,omitempty"`
	Reason    int     `json:"offline_reason"` // last offline reason code
	DyingGasp bool    `json:"dying_gasp"`
	Deregs    int     `json:"deregistrations"`
	// Since is when the ONU last came up (Up) or went down (otherwise).
	Since time.Time `json:"since"`
}

// Key is "0/PON:ID", the id HiOSO shows.
func (o *ONU) Key() string { return fmt.Sprintf("0/%d:%d", o.PON, o.ID) }

// online reports whether the ONU is registered and has optics to read.
func (o *ONU) online() bool { return o.Status == StatusUp || o.Status == StatusLoopDetected }

// Drift is a small deterministic wobble (±0.3) that moves with the clock, different per
// ONU, so graphs of a simulated OLT look alive and golden tests stay exact.
func (o *ONU) Drift(now time.Time) float64 {
	phase := float64(o.PON*64+o.ID) * 0.7
	return 0.3 * math.Sin(float64(now.Unix())/300+phase)
}
