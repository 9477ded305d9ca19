package olt

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rondanet/ronda/collector"
)

// The HiOSO read as it was before its fast paths (row by row through arrayReader.next,
// readings parsed with decimal and strconv, bias parsed twice): the fuzz targets in
// fastpath_test.go hold the fast paths to it, bit for bit and error for error.

func refReadHiOSO(page []byte, pon string, snap *Snapshot, prev []ONU) error {
	*snap = Snapshot{ONUs: snap.ONUs[:0], PONs: snap.PONs[:0], States: HiOSOStates}
	if err := refSnapshotReadHiOSO(snap, page, pon, prev); err != nil {
		*snap = Snapshot{ONUs: snap.ONUs[:0], PONs: snap.PONs[:0]}
		return err
	}
	return nil
}

func refSnapshotReadHiOSO(snap *Snapshot, page []byte, pon string, prev []ONU) error {
	script, ok := findScript(page, hiosoArray)
	if !ok {
		var err error
		if script, err = findScriptDOM(page, hiosoArray); err != nil {
			return err
		}
	}
	array, err := newArrayReader(script, hiosoArray)
	if err != nil {
		return collector.Fail(collector.ReasonProtocol, err)
	}
	width, ok := refJSDivisor(script, hiosoArray)
	layout, known := hiosoLayouts[width]
	if !ok || !known {
		if err := array.drain(); err != nil {
			return collector.Fail(collector.ReasonProtocol, err)
		}
		if !ok {
			return collector.Failf(collector.ReasonProtocol, "the page does not state its row width (lineNum=(%s.length)/N)", hiosoArray)
		}
		return collector.Failf(collector.ReasonProtocol, "unknown row width %d (known: 22, 18, 16, 13, 11)", width)
	}
	if hint := refSizeHint(array.s) / width; cap(snap.ONUs) < hint {
		snap.ONUs = make([]ONU, 0, hint)
	}
	if pon != "" {
		snap.PONs = append(snap.PONs, pon)
	}
	var buf [32]string
	cells := buf[:width]
	seen := map[string]bool{}
	for {
		n := 0
		for ; n < width; n++ {
			elem, more, err := array.next()
			if err != nil {
				return collector.Fail(collector.ReasonProtocol, err)
			}
			if !more {
				break
			}
			cells[n] = elem
		}
		if n == 0 {
			return nil
		}
		if n < width {
			return collector.Failf(collector.ReasonProtocol, "%d elements are not whole rows of %d: the page is cut short or the width is wrong", array.n, width)
		}
		k := len(snap.ONUs)
		old, before := &noONU, ""
		if k < len(prev) {
			old = &prev[k]
		}
		if k > 0 {
			before = snap.ONUs[k-1].PON
		}
		snap.ONUs = append(snap.ONUs, ONU{})
		if err := refRow(&layout, &snap.ONUs[k], cells, pon, old, before); err != nil {
			return collector.Failf(collector.ReasonProtocol, "row %d: %v", k, err)
		}
		onu := &snap.ONUs[k]
		if pon == "" && (len(snap.PONs) == 0 || snap.PONs[len(snap.PONs)-1] != onu.PON) && !seen[onu.PON] {
			seen[onu.PON] = true
			snap.PONs = append(snap.PONs, onu.PON)
		}
	}
}

func refSizeHint(s string) int {
	end := strings.IndexByte(s, ';')
	if end < 0 {
		end = len(s)
	}
	return strings.Count(s[:end], ",") + 1
}

func refJSDivisor(script, name string) (int, bool) {
	key := name + ".length"
	from := 0
	for {
		k := strings.Index(script[from:], key)
		if k < 0 {
			return 0, false
		}
		i := from + k + len(key)
		from = i
		i = skipSpace(script, i)
		if i < len(script) && script[i] == ')' {
			i = skipSpace(script, i+1)
		}
		if i >= len(script) || script[i] != '/' {
			continue
		}
		i = skipSpace(script, i+1)
		j := i
		for j < len(script) && script[j] >= '0' && script[j] <= '9' {
			j++
		}
		w, err := strconv.Atoi(script[i:j])
		if err != nil || w <= 0 {
			continue
		}
		return w, true
	}
}

func refRow(l *hiosoLayout, o *ONU, cells []string, pagePON string, prev *ONU, before string) error {
	cell := func(i int) string {
		if i < 0 {
			return ""
		}
		if c := cells[i]; c == "" || isGraphicASCII(c[0]) && isGraphicASCII(c[len(c)-1]) {
			return c
		}
		return strings.TrimSpace(cells[i])
	}
	pon, id, hasPON := strings.Cut(cell(l.id), ":")
	switch {
	case !hasPON:
		pon, id = pagePON, cell(l.id)
	case pon == before:
		pon = before
	default:
		pon = keep(pon, prev.PON)
	}
	if pon == "" || id == "" {
		return fmt.Errorf("ONU id %q is not PON:ONU", cell(l.id))
	}
	*o = refNewONU(pon, keep(id, prev.ID))
	o.Name, o.MAC, o.Firmware = keep(cell(l.name), prev.Name), keep(cell(l.mac), prev.MAC), keep(cell(l.firmware), prev.Firmware)
	o.State = hiosoState(cell(l.status))
	if l.codesAsText {
		o.CTCStatus, o.Auth = keep(cell(l.ctc), prev.CTCStatus), textAuth(cell(l.auth))
		if invalidText(o.CTCStatus) {
			o.CTCStatus = ""
		}
	} else {
		if c := digitCode(cell(l.ctc), len(hiosoCTCNames)); c > 0 {
			o.CTCStatus = hiosoCTCNames[c]
		}
		switch a := cell(l.auth); {
		case a == "2":
			o.Auth = AuthDeactivated
		case !invalidText(a):
			o.Auth = AuthActivated
		}
	}
	if l.offlineReason >= 0 {
		if c := digitCode(cell(l.offlineReason), len(hiosoOfflineReasons)); c >= 0 {
			o.OfflineReason = hiosoOfflineReasons[c]
		}
	}
	o.DistanceMeters = collector.Float(refDistanceFromRTT(cell(l.rtt)))
	o.TemperatureCelsius = collector.Float(refTemperature(cell(l.temperature)))
	o.VoltageVolts = collector.Float(refVoltage(cell(l.voltage)))
	o.BiasCurrentAmperes = collector.Float(refBiasAmperes(cell(l.bias)))
	o.TxPowerDBm = collector.Float(refPower(cell(l.tx)))
	o.RxPowerDBm = collector.Float(refPower(cell(l.rx)))
	o.OnlineSeconds = collector.Float(refCount(cell(l.onlineSeconds)))
	o.Deregistrations = collector.Float(refCount(cell(l.deregistrations)))
	switch cell(l.dyingGasp) {
	case "1":
		o.DyingGasp = collector.Float(1)
	case "0":
		o.DyingGasp = collector.Float(0)
	}
	return nil
}

func refNewONU(pon, id string) ONU {
	nan := collector.Float(math.NaN())
	return ONU{
		PON: pon, ID: id, State: StateUnknown,
		RxPowerDBm: nan, TxPowerDBm: nan, TemperatureCelsius: nan, VoltageVolts: nan,
		BiasCurrentAmperes: nan, DistanceMeters: nan, OnlineSeconds: nan,
		Deregistrations: nan, DyingGasp: nan,
	}
}

func refNumber(s string) (float64, bool) {
	if v, ok := refDecimal(s, 0); ok {
		return v, true
	}
	if !hasDigit(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func refDecimal(s string, shift int) (float64, bool) {
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
				significant++
			}
			if point {
				places++
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 || significant > 15 || places+shift >= len(refPow10) {
		return 0, false
	}
	v := float64(n) / refPow10[places+shift]
	if neg {
		v = -v
	}
	return v, true
}

func refPower(s string) float64 {
	v, ok := refNumber(s)
	if !ok || v >= ddmPowerAllOnes || v <= opticalFloorDBm {
		return math.NaN()
	}
	return v
}

func refVoltage(s string) float64 {
	v, ok := refNumber(s)
	if !ok || v >= ddmVoltageAllOnes || v <= 0 {
		return math.NaN()
	}
	return v
}

func refBiasAmperes(s string) float64 {
	v, ok := refNumber(s)
	if !ok || v >= ddmBiasAllOnes || v < 0 {
		return math.NaN()
	}
	if a, ok := refDecimal(s, 3); ok {
		return a
	}
	if !strings.ContainsAny(s, "eE") {
		if a, err := strconv.ParseFloat(strings.TrimSpace(s)+"e-3", 64); err == nil {
			return a
		}
	}
	return v / 1000
}

func refTemperature(s string) float64 {
	v, ok := refNumber(s)
	if !ok || v < -60 || v > 150 {
		return math.NaN()
	}
	return v
}

func refCount(s string) float64 {
	v, ok := refNumber(s)
	if !ok || v < 0 || v != math.Trunc(v) {
		return math.NaN()
	}
	return v
}

func refDistanceFromRTT(s string) float64 {
	rtt, ok := refNumber(s)
	if !ok || rtt < 0 {
		return math.NaN()
	}
	d := rtt*1.6393 - 157
	if d > 157 {
		return math.Round((d-157)*1000) / 1000
	}
	return 1
}

// refPow10 are the powers of ten refDecimal divides by, all exact as float64.
var refPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
