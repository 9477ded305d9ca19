package olt

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// The HSGQ personality: a JSON API. Login is POST /userlogin?form=login with
// {"method":"set","param":{"name":…,"key":md5("user:pass"),"value":base64(pass)}}; the
// answer carries the token in an X-Token header, which GET /onutable then needs. A request
// with a token the OLT does not know gets 401. Tokens stay valid until the OLT restarts.

type hsgqLoginBody struct {
	Param struct {
		Name  string `json:"name"`
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"param"`
}

// serveHSGQ answers one request; o.mu is not held.
func (o *OLT) serveHSGQ(w http.ResponseWriter, r *http.Request, fault Fault) int {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/userlogin" && r.URL.Query().Get("form") == "login":
		var body hsgqLoginBody
		data, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		sum := md5.Sum([]byte(o.opts.Username + ":" + o.opts.Password))
		if json.Unmarshal(data, &body) != nil || body.Param.Name != o.opts.Username ||
			body.Param.Key != hex.EncodeToString(sum[:]) ||
			body.Param.Value != base64.StdEncoding.EncodeToString([]byte(o.opts.Password)) {
			return writeJSONPage(w, fault, `{"code":-1,"message":"user name or password error"}`)
		}
		token := rand.Text()
		o.mu.Lock()
		if o.tokens == nil {
			o.tokens = map[string]bool{}
		}
		o.tokens[token] = true
		o.mu.Unlock()
		w.Header().Set("X-Token", token)
		return writeJSONPage(w, fault, `{"code":1,"message":"success"}`)
	case r.Method == http.MethodGet && r.URL.Path == "/onutable":
		o.mu.Lock()
		known := o.tokens[r.Header.Get("X-Token")]
		o.mu.Unlock()
		if !known {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":-2,"message":"token invalid"}`)
			return http.StatusUnauthorized
		}
		return writeJSONPage(w, fault, o.hsgqTable())
	}
	http.Error(w, `{"code":-3,"message":"not found"}`, http.StatusNotFound)
	return http.StatusNotFound
}

// hsgqTable renders /onutable.
func (o *OLT) hsgqTable() string {
	now := o.opts.Clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	type row struct {
		Port        int    `json:"port_id"`
		ONU         int    `json:"onu_id"`
		Name        string `json:"onu_name"`
		MAC         string `json:"macaddr"`
		Status      string `json:"status"`
		Auth        string `json:"auth_state"`
		Firmware    string `json:"fw_ver"`
		CTC         string `json:"ctc_state"`
		RxPower     string `json:"receive_power"`
		TxPower     string `json:"transmit_power"`
		Temperature string `json:"temperature"`
		Voltage     string `json:"supply_voltage"`
		Bias        string `json:"bias_current"`
		Distance    int    `json:"distance"`
		OnlineTime  int64  `json:"online_time"`
		Deregisters int    `json:"deregister_cnt"`
		DownReason  string `json:"last_down_reason"`
	}
	rows := make([]row, 0, len(o.onus))
	for _, u := range o.onus {
		f := fields(u, now) // HiOSO's columns, the same readings
		status := map[Status]string{StatusUp: "Online", StatusDown: "Offline", StatusPwrDown: "PowerOff", StatusLoopDetected: "Loop"}[u.Status]
		auth := "Activated"
		if !u.Active {
			auth = "Deactivated"
		}
		reason := map[int]string{OfflineOther: "other", OfflineTimeout: "timeout", OfflineONUInit: "onu-reboot", OfflineOLTInit: "olt-deregister"}[u.Reason]
		if u.DyingGasp {
			reason = "dying-gasp"
		}
		distance := 0
		if u.online() {
			distance = int(float64(u.RTT)*1.6393 - 314)
		}
		online, _ := strconv.ParseInt(f[19], 10, 64)
		rows = append(rows, row{
			Port: u.PON, ONU: u.ID, Name: u.Name, MAC: u.MAC, Status: status, Auth: auth, Firmware: u.Firmware,
			CTC: hiosoCTCWord(f[7]), RxPower: f[15], TxPower: f[14], Temperature: f[11], Voltage: f[12], Bias: f[13],
			Distance: distance, OnlineTime: online, Deregisters: u.Deregs, DownReason: reason,
		})
	}
	data, _ := json.Marshal(map[string]any{"code": 1, "message": "success", "data": rows})
	return string(data)
}

func hiosoCTCWord(code string) string {
	if code == "5" {
		return "CtcNegDone"
	}
	return ""
}

// writeJSONPage answers 200 with a JSON body, honouring the truncated fault.
func writeJSONPage(w http.ResponseWriter, fault Fault, body string) int {
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, fault, body)
	return http.StatusOK
}

// writeBody writes body with its length, or (truncated fault) half of it and hangs up.
func writeBody[B string | []byte](w http.ResponseWriter, fault Fault, body B) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if fault == FaultTruncated {
		_, _ = w.Write([]byte(body[:len(body)/2]))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write([]byte(body))
}

// ExpireTokens forgets every HSGQ login, as an OLT restart does.
func (o *OLT) ExpireTokens() {
	o.mu.Lock()
	o.tokens = nil
	o.mu.Unlock()
}
