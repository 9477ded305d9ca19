package olt

import (
	"math"
	"strconv"
	"strings"

	"github.com/rondanet/ronda/collector"
)

// Snapshot is everything one read of an OLT found.
type Snapshot struct {
	// PONs lists the PON ports the OLT showed, ONUs or not, in the OLT's order.
	PONs []string
	ONUs []ONU
	// States are the states the driver can report (HiOSOStates, WordStates):
	// olt_onu_state is one-hot over these. An ONU in any other state (StateUnknown: a word
	// the driver does not know) gets that state's series besides, so exactly one of its
	// series is 1 whatever happens.
	States []State
}

// ONU is one ONU as a driver read it. Readings the OLT did not give, or gave as invalid
// (`--`, `nan`, all-ones DDM values, the −40 dBm floor), are NaN and are not exported.
// A reading the OLT wrote as a decimal keeps its digits (collector.Decimal), and is
// exported as written.
type ONU struct {
	PON string // PON port, as the OLT writes it: "0/1"
	ID  string // the ONU's number on its PON: "1"

	// Descriptive values, exported only on olt_onu_info.
	Name, MAC, Firmware string
	Auth                string // activated, deactivated or "" (not shown by the OLT)
	CTCStatus           string // the OLT's own word (CtcNegDone, …) or "" when unknown

	State         State
	OfflineReason OfflineReason // "" when the OLT does not say

	RxPowerDBm, TxPowerDBm collector.Number
	TemperatureCelsius     collector.Number
	VoltageVolts           collector.Number
	BiasCurrentAmperes     collector.Number
	DistanceMeters         collector.Number
	OnlineSeconds          collector.Number
	Deregistrations        collector.Number
	DyingGasp              collector.Number // 1 when the last offline was a power loss, 0 when not
}

// newONU returns an ONU with every reading unknown.
func newONU(pon, id string) ONU {
	return ONU{
		PON: pon, ID: id, State: StateUnknown,
		RxPowerDBm: none, TxPowerDBm: none, TemperatureCelsius: none, VoltageVolts: none,
		BiasCurrentAmperes: none, DistanceMeters: none, OnlineSeconds: none,
		Deregistrations: none, DyingGasp: none,
	}
}

// State is an ONU's state, from a small fixed set (the values of olt_onu_state's label).
type State string

// The ONU states. HiOSO shows the first four; V-SOL and HSGQ map theirs onto the same set
// and add los.
const (
	StateUp           State = "up"
	StateDown         State = "down"
	StatePwrDown      State = "pwrdown"      // went down with a dying gasp: lost power
	StateLoopDetected State = "loopdetected" // a loop behind the ONU; the OLT shut its port
	StateLOS          State = "los"          // loss of signal: the fibre is cut or dirty (GPON OLTs)
	StateUnknown      State = "unknown"      // a state the driver does not know
)

// States lists every state an ONU can be in, whatever the driver.
var States = allStates[:]

var allStates = [...]State{StateUp, StateDown, StatePwrDown, StateLoopDetected, StateLOS, StateUnknown}

// stateIndex is st's place in States (StateUnknown's for a state not in it).
func stateIndex(st State) int {
	for i, s := range allStates {
		if s == st {
			return i
		}
	}
	return len(allStates) - 1
}

// Each driver's olt_onu_state is one-hot over the states its OLTs can show, in this order,
// not over every state any driver knows: a HiOSO ONU has no loss-of-signal state, and a
// series that can only ever be 0 is a sixth of a large OLT's exposition for nothing.
var (
	// HiOSOStates are the status words of HiOSO's pages (FIELD-NOTES): Up, Down,
	// PwrDown, LoopDetected.
	HiOSOStates = []State{StateUp, StateDown, StatePwrDown, StateLoopDetected}
	// WordStates are what the words of V-SOL and HSGQ pages map onto (wordState).
	WordStates = []State{StateUp, StateDown, StatePwrDown, StateLoopDetected, StateLOS}
)

// OfflineReason says why an ONU last went offline, from a small fixed set.
type OfflineReason string

// The offline reasons, after HiOSO's codes 0–5.
const (
	ReasonOther       OfflineReason = "other"
	ReasonTimeout     OfflineReason = "timeout"     // MPCP timeout: fibre, optics or power
	ReasonONUInit     OfflineReason = "onu_init"    // the ONU deregistered itself (reboot)
	ReasonOLTInit     OfflineReason = "olt_init"    // the OLT deregistered it
	ReasonBlacklisted OfflineReason = "blacklisted" // rejected by the OLT's blacklist
	ReasonNotAllowed  OfflineReason = "not_whitelisted"
)

// OfflineReasons lists every reason olt_onu_offline_reason can name.
var OfflineReasons = []OfflineReason{ReasonOther, ReasonTimeout, ReasonONUInit, ReasonOLTInit, ReasonBlacklisted, ReasonNotAllowed}

// Auth values on olt_onu_info.
const (
	AuthActivated   = "activated"
	AuthDeactivated = "deactivated"
)

// invalidText lists what OLTs write where they have no reading.
func invalidText(s string) bool {
	switch strings.ToLower(s) {
	case "", "--", "-", "na", "n/a", "null", "nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity":
		return true
	}
	return false
}

// number reads a bare decimal, as its digits when it has at most 15; ok is false for the
// OLTs' ways of saying "no reading" and for anything that is not a finite number.
func number(s string) (collector.Number, bool) {
	if x, ok := collector.ParseDecimal(s); ok { // what OLTs write: "-17.06", "46.00"
		return x, true
	}
	if x, ok := decimal(s, 0); ok {
		return x, true
	}
	// Without a digit, s is at best NaN or ±Inf to ParseFloat, both refused below; most
	// such cells are "--" or "NA", and a failed ParseFloat allocates its error.
	if !hasDigit(s) {
		return none, false
	}
	// Every word invalidText knows either fails ParseFloat or reads as NaN or ±Inf, which
	// are refused below, so it need not be asked first for every reading.
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return none, false
	}
	return collector.Float(v), true
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// decimal reads a decimal ParseDecimal refuses for its leading zeros alone (at most 15
// significant digits, any number of zeros before them: "0000000000000017.06"), as the
// Number of its value times 10^-shift: what strconv.ParseFloat returns for s with
// "e-shift" appended (FuzzDecimal). ok is false for anything else; the caller then asks
// strconv.
func decimal(s string, shift int) (collector.Number, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		i, neg = 1, s[0] == '-'
	}
	var n uint64
	digits, significant, places, point := 0, 0, 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n = n*10 + uint64(c-'0')
			digits++
			if n != 0 {
				significant++ // leading zeros do not count: n stays below 10^15 all the same
			}
			if point {
				places++
			}
		case c == '.' && !point:
			point = true
		default:
			return none, false
		}
	}
	if digits == 0 || significant > 15 {
		return none, false
	}
	return collector.Decimal(n, places+shift, neg) // n < 10^15; refused past 22 places
}

// DDM (SFF-8472 digital diagnostics) values read all ones when the transceiver does not
// answer: 0xFFFF as 100 µV is 6.5535 V, as 2 µA is 131.07 mA, and 0xFFFF as 0.1 µW is
// 6.5535 mW = 8.16 dBm. A receiver with no light reads its floor, −40 dBm (0.1 µW).
const (
	ddmVoltageAllOnes = 6.55   // V
	ddmBiasAllOnes    = 131.07 // mA
	ddmPowerAllOnes   = 8.16   // dBm
	opticalFloorDBm   = -40
)

// power reads an optical power in dBm, or none.
func power(s string) collector.Number {
	x, ok := number(s)
	if v := x.Float64(); !ok || v >= ddmPowerAllOnes || v <= opticalFloorDBm {
		return none
	}
	return x
}

// voltage reads a supply voltage in volts, or none.
func voltage(s string) collector.Number {
	x, ok := number(s)
	if v := x.Float64(); !ok || v >= ddmVoltageAllOnes || v <= 0 {
		return none
	}
	return x
}

// biasAmperes reads a laser bias current given in mA and returns amperes, or none.
func biasAmperes(s string) collector.Number {
	// The text read once, in A by shifting the point. The checks are made in A: rounding
	// to the nearest float keeps the order of two decimals of at most 15 digits, and never
	// makes two such decimals one float.
	if x, ok := collector.ParseDecimalShifted(s, 3); ok {
		if a := x.Float64(); a >= ddmBiasAllOnes/1000 || a < 0 {
			return none
		}
		return x
	}
	x, ok := number(s)
	if v := x.Float64(); !ok || v >= ddmBiasAllOnes || v < 0 {
		return none
	}
	if a, ok := decimal(s, 3); ok {
		return a
	}
	if !strings.ContainsAny(s, "eE") {
		if a, err := strconv.ParseFloat(strings.TrimSpace(s)+"e-3", 64); err == nil {
			return collector.Float(a)
		}
	}
	return collector.Float(x.Float64() / 1000)
}

// temperature reads a temperature in °C, or none. Values outside what an ONU can survive
// are read errors, not weather.
func temperature(s string) collector.Number {
	x, ok := number(s)
	if v := x.Float64(); !ok || v < -60 || v > 150 {
		return none
	}
	return x
}

// count reads a non-negative whole number (seconds, deregistrations), or none.
func count(s string) collector.Number {
	x, ok := number(s)
	if v := x.Float64(); !ok || v < 0 || v != math.Trunc(v) {
		return none
	}
	return x
}

// distanceFromRTT turns HiOSO's round-trip time, in time quanta (16 ns), into metres, the
// way HiOSO's own pages do: d = rtt×1.6393 − 157, then d − 157 when d > 157, else 1 m.
// Both subtractions are kept as the firmware's page script does them (FIELD-NOTES), so the
// exported distance matches what the operator sees in the OLT's own web interface.
func distanceFromRTT(s string) collector.Number {
	x, ok := number(s)
	rtt := x.Float64()
	if !ok || rtt < 0 {
		return none
	}
	d := rtt*1.6393 - 157
	if d > 157 {
		// Rounded to the millimetre only to drop float noise (5562.8904999999995).
		return collector.Float(math.Round((d-157)*1000) / 1000)
	}
	return one
}

// none marks a reading as absent; zero and one are the flags' values.
var (
	nan  = math.NaN()
	none = collector.Float(nan)
	zero = collector.Float(0)
	one  = collector.Float(1)
)
