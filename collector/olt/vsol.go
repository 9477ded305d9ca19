package olt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// V-SOL and C-Data OLTs (EPON and GPON) serve real HTML tables behind a form login.
// FIELD-NOTES gives the login (POST /action/main.html with user, pass, button=Login,
// who=100), the SessionKey read from inline JavaScript and rotated on every POST, the
// `td class='hd'` header cells and the GB2312 pages. The ONU page's name and its PON
// selection (POST /action/onuinfo.html with select=N) are not in FIELD-NOTES: they follow the
// web UI as commonly seen and are matched by the simulator; check them against a real OLT.
// Columns are found by their header text, not their position, so a firmware that orders
// them differently still reads.
const (
	vsolLogin   = "/action/main.html"
	vsolONUInfo = "/action/onuinfo.html"
)

type vsol struct {
	http     *http.Client // with its own cookie jar: the OLT ties the session to a cookie
	base     string
	username string
	password config.Secret
	key      string // the SessionKey the next POST must carry; "" before login
}

func newVSOL(t config.OLTTarget, client *http.Client) driver {
	jar, _ := cookiejar.New(nil) // never fails without options
	withJar := *client
	withJar.Jar = jar
	return &vsol{http: &withJar, base: t.URL, username: t.Username, password: t.Password}
}

// errVSOLLoggedOut says the OLT answered with its login page: the session ended.
var errVSOLLoggedOut = collector.Failf(collector.ReasonAuth, "the OLT answered with its login page")

func (v *vsol) read(ctx context.Context) (*Snapshot, error) {
	first, err := v.ponPage(ctx, 1)
	if errors.Is(err, errVSOLLoggedOut) { // the session ended (timeout, OLT restart): once more
		v.key = ""
		first, err = v.ponPage(ctx, 1)
	}
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{PONs: []string{"0/1"}, ONUs: first.onus, States: WordStates}
	for pon := 2; pon <= min(first.pons, hiosoMaxPONs); pon++ { // no OLT has more than 16 PONs
		page, err := v.ponPage(ctx, pon)
		if err != nil {
			return nil, err
		}
		snap.PONs = append(snap.PONs, "0/"+strconv.Itoa(pon))
		snap.ONUs = append(snap.ONUs, page.onus...)
	}
	return snap, nil
}

// ponPage logs in when needed and reads the ONU page of one PON.
func (v *vsol) ponPage(ctx context.Context, pon int) (*vsolPage, error) {
	if v.key == "" {
		body, err := v.post(ctx, vsolLogin, url.Values{
			"user": {v.username}, "pass": {v.password.Reveal()}, "button": {"Login"}, "who": {"100"},
		})
		if err != nil {
			return nil, err
		}
		key, ok := sessionKey(body)
		if !ok {
			if isLoginPage(body) {
				return nil, collector.Failf(collector.ReasonAuth, "login refused: the OLT answered with its login page again")
			}
			return nil, collector.Failf(collector.ReasonProtocol, "no SessionKey in the page after login")
		}
		v.key = key
	}
	body, err := v.post(ctx, vsolONUInfo, url.Values{
		"select": {strconv.Itoa(pon)}, "who": {"100"}, "SessionKey": {v.key},
	})
	if err != nil {
		return nil, err
	}
	key, ok := sessionKey(body)
	if !ok {
		v.key = ""
		if isLoginPage(body) {
			return nil, errVSOLLoggedOut
		}
		return nil, collector.Failf(collector.ReasonProtocol, "no SessionKey in the ONU page of PON %d", pon)
	}
	v.key = key // rotated: the next POST needs this one
	page, err := parseVSOL(body, pon)
	if err != nil {
		v.key = "" // start afresh next time
	}
	return page, err
}

// post sends a form and returns the page decoded to UTF-8 (V-SOL pages are often GB2312).
func (v *vsol) post(ctx context.Context, path string, form url.Values) ([]byte, error) {
	req, err := newRequest(http.MethodPost, v.base, path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, header, err := do(ctx, v.http, req, nil)
	if err != nil {
		return nil, err
	}
	return toUTF8(body, header.Get("Content-Type"))
}

var sessionKeyRE = regexp.MustCompile(`(?i)SessionKey['"]?\s*(?:=|:|value\s*=)\s*['"]([A-Za-z0-9_\-]{1,128})['"]`)

// sessionKey finds the SessionKey the page's JavaScript sets for the next POST.
func sessionKey(page []byte) (string, bool) {
	m := sessionKeyRE.FindSubmatch(page)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

func isLoginPage(page []byte) bool {
	return bytes.Contains(page, []byte(`name="pass"`)) || bytes.Contains(page, []byte(`name='pass'`))
}

// vsolPage is one PON's ONU page.
type vsolPage struct {
	onus []ONU
	pons int // how many PONs the page's PON selector offers
}

// vsolColumns maps header words (lower case, spaces removed) to what they hold; the first
// key that a header starts with wins.
var vsolColumns = []struct{ prefix, field string }{
	{"onuid", "id"}, {"id", "id"}, {"onu", "id"},
	{"name", "name"}, {"description", "name"},
	{"mac", "mac"}, {"status", "status"}, {"state", "status"},
	{"rx", "rx"}, {"receive", "rx"}, {"tx", "tx"}, {"transmit", "tx"},
	{"temp", "temperature"}, {"volt", "voltage"}, {"bias", "bias"}, {"current", "bias"},
	{"distance", "distance"}, {"lastdown", "reason"}, {"downcause", "reason"}, {"offline", "reason"},
	{"auth", "auth"}, {"firmware", "firmware"}, {"software", "firmware"}, {"version", "firmware"},
	{"deregister", "deregistrations"},
}

func vsolField(header string) string {
	h := strings.ToLower(strings.Join(strings.Fields(header), ""))
	for _, c := range vsolColumns {
		if strings.HasPrefix(h, c.prefix) {
			return c.field
		}
	}
	return ""
}

// parseVSOL reads one PON's ONU table: the row of `td class="hd"` cells names the columns,
// the rows after it are ONUs. pon is the PON the page was asked for.
func parseVSOL(page []byte, pon int) (*vsolPage, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return nil, collector.Fail(collector.ReasonProtocol, fmt.Errorf("page is not HTML: %w", err))
	}
	header := doc.Find("tr").FilterFunction(func(_ int, tr *goquery.Selection) bool {
		return tr.Find("td.hd").Length() > 0
	}).First()
	if header.Length() == 0 {
		return nil, collector.Failf(collector.ReasonProtocol, "no ONU table (no row of td class=hd headers) on the page of PON %d", pon)
	}
	cols := map[string]int{}
	header.Find("td").Each(func(i int, td *goquery.Selection) {
		if f := vsolField(td.Text()); f != "" {
			if _, dup := cols[f]; !dup {
				cols[f] = i
			}
		}
	})
	if _, ok := cols["id"]; !ok {
		return nil, collector.Failf(collector.ReasonProtocol, "the ONU table of PON %d has no ONU id column", pon)
	}
	if _, ok := cols["status"]; !ok {
		return nil, collector.Failf(collector.ReasonProtocol, "the ONU table of PON %d has no status column", pon)
	}
	out := &vsolPage{pons: 1}
	var rowErr error
	header.NextAll().Filter("tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
		cells := tr.Find("td").Map(func(_ int, td *goquery.Selection) string { return strings.TrimSpace(td.Text()) })
		cell := func(f string) string {
			if i, ok := cols[f]; ok && i < len(cells) {
				return cells[i]
			}
			return ""
		}
		// Rows without a status are not ONUs: a footer, the "no data" row of a PON without
		// ONUs (often one cell spanning the table), a blank row. Nor is a header repeated
		// down the table, nor a row whose cells stop before the id or status column: one
		// cell spanning the table holds its text in the status column when that column
		// comes first. Every ONU has a status, so a row with one whose id cannot be read
		// is still an error: a layout this parser does not know must not read as a PON
		// without ONUs.
		if cell("status") == "" || max(cols["id"], cols["status"]) >= len(cells) || tr.Find("td.hd").Length() > 0 {
			return true
		}
		id := vsolONUNumber(cell("id"))
		if id == "" {
			rowErr = collector.Failf(collector.ReasonProtocol, "PON %d: ONU id %q cannot be read", pon, cell("id"))
			return false
		}
		o := newONU("0/"+strconv.Itoa(pon), id)
		o.Name, o.MAC, o.Firmware = cell("name"), cell("mac"), cell("firmware")
		o.State = wordState(cell("status"))
		o.Auth = textAuth(cell("auth"))
		o.RxPowerDBm, o.TxPowerDBm = power(cell("rx")), power(cell("tx"))
		o.TemperatureCelsius = temperature(cell("temperature"))
		o.VoltageVolts = voltage(cell("voltage"))
		o.BiasCurrentAmperes = biasAmperes(cell("bias"))
		if d, ok := number(strings.TrimSuffix(strings.TrimSpace(cell("distance")), "m")); ok && d.Float64() > 0 {
			o.DistanceMeters = d
		}
		o.Deregistrations = count(cell("deregistrations"))
		if _, ok := cols["reason"]; ok {
			o.OfflineReason, o.DyingGasp = wordOfflineReason(cell("reason"))
		}
		out.onus = append(out.onus, o)
		return true
	})
	if rowErr != nil {
		return nil, rowErr
	}
	// The PON selector lists the PONs: <select name="select"><option value="1">…
	if n := doc.Find(`select[name="select"] option`).Length(); n > 0 {
		out.pons = n
	}
	return out, nil
}

// vsolONUNumber reads the ONU's number on its PON from "EPON0/1:5", "GPON0/1:5", "0/1:5"
// or "5". An id of another shape reads as "", even with a number after a ':' ("x:5",
// "1:5", "0/1/1:5"): it is a layout the parser does not know, not an ONU number.
func vsolONUNumber(s string) string {
	if port, number, ok := strings.Cut(s, ":"); ok {
		if p, cut := strings.CutPrefix(port, "EPON"); cut {
			port = p
		} else {
			port = strings.TrimPrefix(port, "GPON")
		}
		slot, pon, ok := strings.Cut(port, "/")
		if !ok || !allDigits(slot) || !allDigits(pon) {
			return ""
		}
		s = number
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return strconv.FormatUint(n, 10)
	}
	return ""
}

// allDigits: s is one or more ASCII digits.
func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
