package olt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// HiOSO EPON OLTs (HA7304, HA7302CST; the same firmware is sold as HisFocus and FIT) run a
// GoAhead web server that asks for HTTP Basic credentials on every request and keeps no
// session.
const (
	hiosoAllPONs  = "/onuAllPonOnuList.asp"      // every PON on one page (width 22)
	hiosoOverview = "/onuOverview.asp?oltponno=" // one PON per page: 0/1, 0/2, … (width 16)
	hiosoMaxPONs  = 16                           // the largest HiOSO chassis has 16 PON ports
	hiosoArray    = "onutable"                   // the JavaScript array holding the rows
)

// hiosoClient fetches HiOSO pages. It can only GET: HiOSO's write operations (POST
// /goform/setOnu: reboot, activate, clean loop) cannot be expressed through it, so the
// exporter can never change an OLT.
type hiosoClient struct {
	http     *http.Client
	base     string
	username string
	password config.Secret
	// buf is the memory of the last page read, reused for the next (requests to one OLT
	// never overlap: the collector holds the OLT's turn).
	buf []byte
}

// get fetches a page. What it returns is valid until the next get: nothing read from it
// may be kept without a copy (readHiOSO keeps copies).
func (c *hiosoClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := newRequest(http.MethodGet, c.base, path, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.username, c.password.Reveal())
	body, header, err := do(ctx, c.http, req, c.buf)
	if cap(body) > 0 {
		c.buf = body[:0]
	}
	if err != nil {
		return nil, err
	}
	return toUTF8(body, header.Get("Content-Type"))
}

type hioso struct {
	client *hiosoClient
	// perPON is set once the OLT answered 404 for the all-PON page: older firmware
	// (HA7302CST) has only the per-PON overview pages, and asking again every read is
	// one request wasted on a weak server. The all-PON page is asked for again every
	// hiosoRetryAllPONs reads all the same: a web server still starting after a reboot
	// may answer 404 once, and the overview pages lack the offline history (dying gasp,
	// reason, deregistrations, online time).
	perPON      bool
	perPONReads int       // reads of the overview pages since the all-PON page was asked for
	snaps       snapshots // the all-PON page's reads
}

// hiosoRetryAllPONs is how many reads of the overview pages go by before the all-PON page
// is tried again: half an hour at the default min_interval of 30s.
const hiosoRetryAllPONs = 60

// snapshots are one OLT's reads, filled in turn: a read goes into the one the session does
// not hold (its last good read is s[good]), so a read that fails spoils nothing, and a good
// one reuses the memory of the read before the last and the strings of the last.
type snapshots struct {
	s    [2]Snapshot
	good int
}

// readHiOSO reads a HiOSO page (parseHiOSO) into the snapshot not in use.
func (t *snapshots) readHiOSO(page []byte, pon string) (*Snapshot, error) {
	next := 1 - t.good
	if err := readHiOSO(page, pon, &t.s[next], t.s[t.good].ONUs); err != nil {
		return nil, err
	}
	t.good = next
	return &t.s[next], nil
}

func newHiOSO(t config.OLTTarget, client *http.Client) driver {
	return &hioso{client: &hiosoClient{http: client, base: t.URL, username: t.Username, password: t.Password}}
}

func (h *hioso) read(ctx context.Context) (*Snapshot, error) {
	if !h.perPON || h.perPONReads >= hiosoRetryAllPONs {
		body, err := h.client.get(ctx, hiosoAllPONs)
		switch {
		case err == nil:
			h.perPON = false
			return h.snaps.readHiOSO(body, "")
		case isStatus(err, http.StatusNotFound):
			h.perPON, h.perPONReads = true, 0
		default:
			return nil, err
		}
	}
	h.perPONReads++
	return h.readPerPON(ctx)
}

// readPerPON reads the overview page of PON 0/1, 0/2, … until the OLT has no more: a
// 404, or a page without the ONU array. The OLT's page for a PON without ONUs still has
// the (empty) array, so empty PONs are not mistaken for the end.
func (h *hioso) readPerPON(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{States: HiOSOStates}
	for n := 1; n <= hiosoMaxPONs; n++ {
		pon := fmt.Sprintf("0/%d", n)
		body, err := h.client.get(ctx, hiosoOverview+pon)
		if err != nil {
			if n > 1 && isStatus(err, http.StatusNotFound) {
				break
			}
			return nil, err
		}
		page, err := parseHiOSO(body, pon)
		if err != nil {
			if n > 1 && errors.Is(err, errNoArray) {
				break
			}
			return nil, err
		}
		snap.PONs = append(snap.PONs, pon)
		snap.ONUs = append(snap.ONUs, page.ONUs...)
	}
	return snap, nil
}

// hiosoLayout says which element of a row holds what, for one row width; -1 means the
// width has no such column.
type hiosoLayout struct {
	id, name, mac, status, firmware, ctc, auth, rtt          int
	temperature, voltage, bias, tx, rx                       int
	offlineReason, onlineSeconds, deregistrations, dyingGasp int
	// codesAsText: the legacy widths write CTC status and auth as words, not codes.
	codesAsText bool
}

// hiosoLayouts maps each known row width to its columns.
//
// Width 22 (HA7304's all-PON page) is certain: FIELD-NOTES gives every column. The others
// are inferred from it and must be checked against a real page before they are trusted:
//   - 16 (the per-PON overview page): the first 16 columns of the 22, i.e. everything up to
//     RX power, without the offline history. Certain that it carries status and optics;
//     the exact order is assumed to be the 22's.
//   - 18 (HA7302CST): the 22 without chip id, ports, CTC version and the dying-gasp flag.
//   - 13 and 11 (legacy firmware, CTC status and auth already as text): identity, status,
//     CTC/auth words, RTT and optics; 11 lacks firmware and bias current.
var hiosoLayouts = map[int]hiosoLayout{
	22: {id: 0, name: 1, mac: 2, status: 3, firmware: 4, ctc: 7, auth: 9, rtt: 10,
		temperature: 11, voltage: 12, bias: 13, tx: 14, rx: 15,
		offlineReason: 18, onlineSeconds: 19, deregistrations: 20, dyingGasp: 21},
	18: {id: 0, name: 1, mac: 2, status: 3, firmware: 4, ctc: 5, auth: 6, rtt: 7,
		temperature: 8, voltage: 9, bias: 10, tx: 11, rx: 12,
		offlineReason: 15, onlineSeconds: 16, deregistrations: 17, dyingGasp: -1},
	16: {id: 0, name: 1, mac: 2, status: 3, firmware: 4, ctc: 7, auth: 9, rtt: 10,
		temperature: 11, voltage: 12, bias: 13, tx: 14, rx: 15,
		offlineReason: -1, onlineSeconds: -1, deregistrations: -1, dyingGasp: -1},
	13: {id: 0, name: 1, mac: 2, status: 3, firmware: 4, ctc: 5, auth: 6, rtt: 7,
		temperature: 8, voltage: 9, bias: 10, tx: 11, rx: 12,
		offlineReason: -1, onlineSeconds: -1, deregistrations: -1, dyingGasp: -1, codesAsText: true},
	11: {id: 0, name: 1, mac: 2, status: 3, firmware: -1, ctc: 4, auth: 5, rtt: 6,
		temperature: 7, voltage: 8, bias: -1, tx: 9, rx: 10,
		offlineReason: -1, onlineSeconds: -1, deregistrations: -1, dyingGasp: -1, codesAsText: true},
}

// hiosoCTCNames names HiOSO's CTC negotiation codes 1–5 (0 and anything else: unknown).
var hiosoCTCNames = [...]string{"", "MpcpDiscovery", "MpcpSla", "CtcInfo", "RequestCfg", "CtcNegDone"}

// hiosoOfflineReasons are HiOSO's offline reason codes 0–5.
var hiosoOfflineReasons = [...]OfflineReason{ReasonOther, ReasonTimeout, ReasonONUInit, ReasonOLTInit, ReasonBlacklisted, ReasonNotAllowed}

// digitCode reads a one-digit code below n, or -1: what HiOSO writes for codes.
func digitCode(s string, n int) int {
	if len(s) == 1 && s[0] >= '0' && int(s[0]-'0') < n {
		return int(s[0] - '0')
	}
	return -1
}

// parseHiOSO reads a HiOSO page: the <script> holding the ONU array, the row width it
// states, and the rows. pon is the PON an overview page was asked for ("" for the all-PON
// page), used when a row's id has no PON part.
func parseHiOSO(page []byte, pon string) (*Snapshot, error) {
	snap := &Snapshot{}
	if err := readHiOSO(page, pon, snap, nil); err != nil {
		return nil, err
	}
	return snap, nil
}

// readHiOSO is parseHiOSO into snap, whose slices' memory it reuses; on error snap holds
// nothing useful. The script and its cells are read in the page's own memory; the strings
// the ONUs keep are copies (the page's memory is reused for the next page), except where
// prev, the ONUs of the last read, already holds the same text in the same place: an OLT's
// names, MACs and firmware rarely change, so a read of an unchanged fleet copies no string.
func readHiOSO(page []byte, pon string, snap *Snapshot, prev []ONU) error {
	*snap = Snapshot{ONUs: snap.ONUs[:0], PONs: snap.PONs[:0], States: HiOSOStates}
	if err := snap.readHiOSO(page, pon, prev); err != nil {
		*snap = Snapshot{ONUs: snap.ONUs[:0], PONs: snap.PONs[:0]}
		return err
	}
	return nil
}

func (snap *Snapshot) readHiOSO(page []byte, pon string, prev []ONU) error {
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
	width, ok := jsDivisor(script, hiosoArray)
	layout, known := hiosoLayouts[width]
	if !ok || !known {
		// A page cut short inside the array has lost its width statement too: the
		// array's own error says more.
		if err := array.drain(); err != nil {
			return collector.Fail(collector.ReasonProtocol, err)
		}
		if !ok {
			return collector.Failf(collector.ReasonProtocol, "the page does not state its row width (lineNum=(%s.length)/N)", hiosoArray)
		}
		return collector.Failf(collector.ReasonProtocol, "unknown row width %d (known: 22, 18, 16, 13, 11)", width)
	}
	// The rows are read one at a time into one slice: the ONUs keep only the strings. A
	// snapshot read before has its memory; only a first read counts the elements (one
	// more pass over the page) to size it once.
	if cap(snap.ONUs) == 0 {
		snap.ONUs = make([]ONU, 0, array.sizeHint()/width)
	}
	if pon != "" {
		snap.PONs = append(snap.PONs, pon)
	}
	var buf [32]string // wider than any known width; on the stack
	cells := buf[:width]
	seen := map[string]bool{}
	for {
		n, err := array.nextRow(cells)
		if err != nil {
			return collector.Fail(collector.ReasonProtocol, err)
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
		if k < cap(snap.ONUs) {
			snap.ONUs = snap.ONUs[:k+1] // not zeroed first: row writes every field
		} else {
			snap.ONUs = append(snap.ONUs, ONU{})
		}
		if err := layout.row(&snap.ONUs[k], cells, pon, old, before); err != nil {
			return collector.Failf(collector.ReasonProtocol, "row %d: %v", k, err)
		}
		onu := &snap.ONUs[k]
		if pon == "" && (len(snap.PONs) == 0 || snap.PONs[len(snap.PONs)-1] != onu.PON) && !seen[onu.PON] {
			seen[onu.PON] = true
			snap.PONs = append(snap.PONs, onu.PON)
		}
	}
}

// findScriptDOM is findScript through goquery's DOM: slower, but it reads any page the
// way a browser does, so it answers for the pages findScript leaves to it.
func findScriptDOM(page []byte, needle string) (string, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return "", collector.Fail(collector.ReasonProtocol, fmt.Errorf("page is not HTML: %w", err))
	}
	var script string
	doc.Find("script").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if text := s.Text(); strings.Contains(text, needle) {
			script = text
			return false
		}
		return true
	})
	if script == "" {
		return "", collector.Fail(collector.ReasonProtocol, fmt.Errorf("no <script> with the ONU array %s: %w (not an ONU list page)", needle, errNoArray))
	}
	return script, nil
}

// noONU is the previous read's ONU where there was none.
var noONU ONU

// keep returns a string of its own with s's text (s is in the page's memory, which is
// reused), or old when old has the same text: no copy of what has not changed.
func keep(s, old string) string {
	if s == old {
		return old
	}
	return strings.Clone(s)
}

// row reads one row's cells into *o (in place: the ONU is large, and read into the
// snapshot's slice it is not copied there afterwards); every field of *o is written, so
// *o may hold anything before. The cells are in the page's memory: what *o keeps of them
// is copied (keep), unless prev (the last read's ONU in this place) or before (the PON of
// the row before) has the same text. FuzzRowAgainstReference holds it to the row before
// its fast paths.
func (l *hiosoLayout) row(o *ONU, cells []string, pagePON string, prev *ONU, before string) error {
	idCell := trimmed(cells[l.id])
	pon, id := "", idCell
	for j := 0; j < len(idCell); j++ { // strings.Cut, without the call for a short id
		if idCell[j] == ':' {
			pon, id = idCell[:j], idCell[j+1:]
			break
		}
	}
	switch {
	case len(id) == len(idCell): // no ':'
		pon = pagePON // the caller's string, not the page's
	case pon == before:
		pon = before
	default:
		pon = keep(pon, prev.PON)
	}
	if pon == "" || id == "" {
		return fmt.Errorf("ONU id %q is not PON:ONU", idCell)
	}
	o.PON, o.ID = pon, keep(id, prev.ID)
	o.Name, o.MAC = keep(trimmed(cells[l.name]), prev.Name), keep(trimmed(cells[l.mac]), prev.MAC)
	o.Firmware = keep(trimmed(col(cells, l.firmware)), prev.Firmware)
	o.State = hiosoState(trimmed(cells[l.status]))
	o.CTCStatus, o.Auth = "", ""
	if l.codesAsText {
		if ctc := trimmed(cells[l.ctc]); !invalidText(ctc) {
			o.CTCStatus = keep(ctc, prev.CTCStatus)
		}
		o.Auth = textAuth(trimmed(cells[l.auth]))
	} else {
		if c := digitCode(code(cells[l.ctc]), len(hiosoCTCNames)); c > 0 {
			o.CTCStatus = hiosoCTCNames[c]
		}
		switch a := code(cells[l.auth]); {
		case a == "2":
			o.Auth = AuthDeactivated
		case a == "1" || !invalidText(a): // 1 is what HiOSO writes: no need to ask
			o.Auth = AuthActivated
		}
	}
	o.OfflineReason = ""
	if c := digitCode(code(col(cells, l.offlineReason)), len(hiosoOfflineReasons)); c >= 0 {
		o.OfflineReason = hiosoOfflineReasons[c]
	}
	// The readings are given the cells untrimmed: number trims what it cannot read as it
	// is, to the same value.
	o.DistanceMeters = distanceFromRTT(cells[l.rtt])
	o.TemperatureCelsius = temperature(cells[l.temperature])
	o.VoltageVolts = voltage(cells[l.voltage])
	o.BiasCurrentAmperes = biasAmperes(col(cells, l.bias))
	o.TxPowerDBm = power(cells[l.tx])
	o.RxPowerDBm = power(cells[l.rx])
	o.OnlineSeconds = count(col(cells, l.onlineSeconds))
	o.Deregistrations = count(col(cells, l.deregistrations))
	switch code(col(cells, l.dyingGasp)) {
	case "1":
		o.DyingGasp = one
	case "0":
		o.DyingGasp = zero
	default:
		o.DyingGasp = none
	}
	return nil
}

// col is cell i, "" for a column the layout lacks (-1).
func col(cells []string, i int) string {
	if i < 0 {
		return ""
	}
	return cells[i]
}

// code is a cell that holds a one-digit code: as it is when it is one graphic character,
// else trimmed.
func code(c string) string {
	if len(c) == 1 && c[0] > ' ' { // one byte that is not a space stays as it is
		return c
	}
	return trimmed(c)
}

// trimmed is c without the spaces around it. What HiOSO writes has nothing to trim:
// found out without a call for ASCII ends (Unicode spaces, such as U+00A0, start with a
// byte past ASCII).
func trimmed(c string) string {
	if c == "" || isGraphicASCII(c[0]) && isGraphicASCII(c[len(c)-1]) {
		return c
	}
	return strings.TrimSpace(c)
}

func isGraphicASCII(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

// hiosoState maps HiOSO's status words (Up, Down, PwrDown, LoopDetected).
func hiosoState(s string) State {
	switch s { // the words as HiOSO writes them, without the cost of normalising
	case "Up":
		return StateUp
	case "Down":
		return StateDown
	case "PwrDown":
		return StatePwrDown
	case "LoopDetected":
		return StateLoopDetected
	}
	switch strings.ToLower(strings.ReplaceAll(s, " ", "")) {
	case "up", "online":
		return StateUp
	case "down", "offline":
		return StateDown
	case "pwrdown", "powerdown", "poweroff":
		return StatePwrDown
	case "loopdetected", "loop":
		return StateLoopDetected
	}
	return StateUnknown
}

// textAuth maps the auth words of HiOSO's legacy pages, V-SOL and HSGQ.
func textAuth(s string) string {
	switch l := strings.ToLower(s); {
	case strings.HasPrefix(l, "deactiv"), strings.HasPrefix(l, "inactiv"), strings.HasPrefix(l, "unauthori"),
		l == "disable", l == "disabled":
		return AuthDeactivated
	case strings.HasPrefix(l, "activ"), strings.HasPrefix(l, "authori"), l == "enable", l == "enabled":
		return AuthActivated
	}
	return ""
}
