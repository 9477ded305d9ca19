package olt

import (
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The V-SOL personality: a form login (POST /action/main.html with user, pass,
// button=Login, who=100) sets a session cookie; every page carries the SessionKey the next
// POST must send, in inline JavaScript, and every POST rotates it. The ONU list of one PON
// is POST /action/onuinfo.html with select=N; it is an HTML table with `td class="hd"`
// headers, served in GB2312. A wrong key or no session gets the login page.

const vsolCookie = "vsol_sid"

const vsolLoginPage = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>OLT Login</title></head>
<body><form method="post" action="/action/main.html">
<input type="text" name="user"><input type="password" name="pass">
<input type="hidden" name="who" value="100"><input type="submit" name="button" value="Login">
</form></body></html>
`

// serveVSOL answers one request; o.mu is not held.
func (o *OLT) serveVSOL(w http.ResponseWriter, r *http.Request, fault Fault) int {
	if r.Method != http.MethodPost {
		if r.URL.Path == "/" || r.URL.Path == "/action/main.html" {
			return writeGB(w, fault, vsolLoginPage)
		}
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	if err := r.ParseForm(); err != nil {
		return writeGB(w, fault, vsolLoginPage)
	}
	switch r.URL.Path {
	case "/action/main.html":
		if r.PostForm.Get("user") != o.opts.Username || r.PostForm.Get("pass") != o.opts.Password ||
			r.PostForm.Get("button") != "Login" || r.PostForm.Get("who") != "100" {
			return writeGB(w, fault, vsolLoginPage)
		}
		sid, key := rand.Text(), rand.Text()
		o.mu.Lock()
		if o.vsolSessions == nil {
			o.vsolSessions = map[string]string{}
		}
		o.vsolSessions[sid] = key
		o.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: vsolCookie, Value: sid, Path: "/", HttpOnly: true})
		return writeGB(w, fault, vsolFrame("<h3>EPON OLT</h3>", key))
	case "/action/onuinfo.html":
		c, err := r.Cookie(vsolCookie)
		o.mu.Lock()
		key, ok := "", false
		if err == nil {
			key, ok = o.vsolSessions[c.Value]
		}
		if !ok || r.PostForm.Get("SessionKey") != key {
			o.mu.Unlock()
			return writeGB(w, fault, vsolLoginPage)
		}
		next := rand.Text()
		o.vsolSessions[c.Value] = next
		o.mu.Unlock()
		pon, err := strconv.Atoi(r.PostForm.Get("select"))
		if err != nil || pon < 1 || pon > o.opts.PONs {
			pon = 1
		}
		return writeGB(w, fault, vsolFrame(o.vsolTable(pon), next))
	}
	// Any other POST would change the OLT (or is not a page): it is counted (Writes) and
	// changes nothing.
	http.NotFound(w, r)
	return http.StatusNotFound
}

// ExpireSessions forgets every V-SOL login, as an OLT restart or an idle timeout does.
func (o *OLT) ExpireSessions() {
	o.mu.Lock()
	o.vsolSessions = nil
	o.mu.Unlock()
}

func vsolFrame(content, key string) string {
	return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<script language="javascript">
var SessionKey = '` + key + `';
function onuSelect(){ document.forms[0].SessionKey.value = SessionKey; document.forms[0].submit(); }
</script></head><body>
` + content + `
</body></html>
`
}

// vsolTable renders one PON's ONU table with its PON selector.
func (o *OLT) vsolTable(pon int) string {
	now := o.opts.Clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<form method="post" action="/action/onuinfo.html"><select name="select" onchange="onuSelect()">`)
	for p := 1; p <= o.opts.PONs; p++ {
		sel := ""
		if p == pon {
			sel = " selected"
		}
		fmt.Fprintf(&b, `<option value="%d"%s>PON%d</option>`, p, sel, p)
	}
	b.WriteString(`</select><input type="hidden" name="who" value="100"><input type="hidden" name="SessionKey" value=""></form>` + "\n")
	b.WriteString(`<table class="tb" border="1"><tr><td class='hd'>ONU ID</td><td class='hd'>Name</td><td class='hd'>MAC Address</td>` +
		`<td class='hd'>Status</td><td class='hd'>Auth</td><td class='hd'>Software Version</td><td class='hd'>Rx Power(dBm)</td>` +
		`<td class='hd'>Tx Power(dBm)</td><td class='hd'>Temperature(C)</td><td class='hd'>Voltage(V)</td>` +
		`<td class='hd'>Bias Current(mA)</td><td class='hd'>Distance(m)</td><td class='hd'>Last Down Cause</td></tr>` + "\n")
	for _, u := range o.onus {
		if u.PON != pon {
			continue
		}
		f := fields(u, now)
		status := map[Status]string{StatusUp: "Online", StatusDown: "Offline", StatusPwrDown: "Power Off", StatusLoopDetected: "Loop"}[u.Status]
		auth := "Authorized"
		if !u.Active {
			auth = "Deactivated"
		}
		cause := map[int]string{OfflineOther: "Other", OfflineTimeout: "MPCP Timeout", OfflineONUInit: "ONU Reboot", OfflineOLTInit: "OLT Deregister"}[u.Reason]
		if u.DyingGasp {
			cause = "Dying Gasp"
		}
		distance := "--"
		if u.online() {
			distance = strconv.Itoa(int(float64(u.RTT)*1.6393-314)) + "m"
		}
		fmt.Fprintf(&b, "<tr><td>EPON0/%d:%d</td>", u.PON, u.ID)
		for _, c := range []string{u.Name, u.MAC, status, auth, u.Firmware, f[15], f[14], f[11], f[12], f[13], distance, cause} {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>")
	return b.String()
}

// gb is GB2312's encoder as browsers and OLTs use it (GBK, its superset); characters it
// cannot write become '?', as on the real thing.
var gb = encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder())

// writeGB answers 200 with page encoded in GB2312.
func writeGB(w http.ResponseWriter, fault Fault, page string) int {
	encoded, err := gb.String(page)
	if err != nil {
		encoded = page
	}
	w.Header().Set("Content-Type", "text/html; charset=gb2312")
	writeBody(w, fault, encoded)
	return http.StatusOK
}
