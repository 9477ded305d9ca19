package olt

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// HSGQ OLTs serve a JSON API. FIELD-NOTES gives the login (POST /userlogin?form=login with
// key = md5("user:pass") and value = base64(pass), answered with an X-Token header) and the
// ONU table (/onutable for EPON). The body shapes below (the login JSON, the fields of
// /onutable) are not in FIELD-NOTES: they follow HSGQ's web UI as commonly seen and are
// matched by the simulator; check them against a real OLT before trusting them.
const (
	hsgqLogin    = "/userlogin?form=login"
	hsgqONUTable = "/onutable"
)

type hsgq struct {
	http     *http.Client
	base     string
	username string
	password config.Secret
	token    string // from the last login; "" before it
}

func newHSGQ(t config.OLTTarget, client *http.Client) driver {
	return &hsgq{http: client, base: t.URL, username: t.Username, password: t.Password}
}

// hsgqReply is the envelope of every HSGQ answer: code 1 is success.
type hsgqReply struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func (h *hsgq) read(ctx context.Context) (*Snapshot, error) {
	if h.token == "" {
		if err := h.login(ctx); err != nil {
			return nil, err
		}
	}
	body, err := h.get(ctx, hsgqONUTable)
	if collector.Classify(ctx, err) == collector.ReasonAuth {
		// The token expired (the OLT rebooted or logged us out): log in once more.
		if err = h.login(ctx); err != nil {
			return nil, err
		}
		body, err = h.get(ctx, hsgqONUTable)
	}
	if err != nil {
		return nil, err
	}
	return parseHSGQ(body)
}

func (h *hsgq) login(ctx context.Context) error {
	h.token = ""
	pass := h.password.Reveal()
	sum := md5.Sum([]byte(h.username + ":" + pass))
	payload, _ := json.Marshal(map[string]any{
		"method": "set",
		"param": map[string]string{
			"name":  h.username,
			"key":   hex.EncodeToString(sum[:]),
			"value": base64.StdEncoding.EncodeToString([]byte(pass)),
		},
	})
	req, err := newRequest(http.MethodPost, h.base, hsgqLogin, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	body, header, err := do(ctx, h.http, req, nil)
	if err != nil {
		return err
	}
	var reply hsgqReply
	if err := json.Unmarshal(body, &reply); err != nil {
		return collector.Fail(collector.ReasonProtocol, fmt.Errorf("login answer is not JSON: %w", err))
	}
	token := header.Get("X-Token")
	if reply.Code != 1 || token == "" {
		return collector.Failf(collector.ReasonAuth, "login refused (code %d: %s)", reply.Code, reply.Message)
	}
	h.token = token
	return nil
}

func (h *hsgq) get(ctx context.Context, path string) ([]byte, error) {
	req, err := newRequest(http.MethodGet, h.base, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Token", h.token)
	body, _, err := do(ctx, h.http, req, nil)
	return body, err
}

// flexText reads a JSON string or number as text: HSGQ firmware versions disagree on
// which they send for readings.
type flexText string

func (f *flexText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexText(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number, got %s", b)
	}
	*f = flexText(n.String())
	return nil
}

// hsgqONU is one entry of /onutable's data.
type hsgqONU struct {
	Port          flexText `json:"port_id"`
	ONU           flexText `json:"onu_id"`
	Name          string   `json:"onu_name"`
	MAC           string   `json:"macaddr"`
	Status        string   `json:"status"`
	Auth          string   `json:"auth_state"`
	Firmware      string   `json:"fw_ver"`
	CTC           string   `json:"ctc_state"`
	RxPower       flexText `json:"receive_power"`
	TxPower       flexText `json:"transmit_power"`
	Temperature   flexText `json:"temperature"`
	Voltage       flexText `json:"supply_voltage"`
	Bias          flexText `json:"bias_current"` // mA
	Distance      flexText `json:"distance"`     // metres
	OnlineTime    flexText `json:"online_time"`  // seconds
	Deregisters   flexText `json:"deregister_cnt"`
	OfflineReason string   `json:"last_down_reason"`
}

// parseHSGQ reads /onutable's answer.
func parseHSGQ(body []byte) (*Snapshot, error) {
	var reply hsgqReply
	if err := json.Unmarshal(body, &reply); err != nil {
		return nil, collector.Fail(collector.ReasonProtocol, fmt.Errorf("ONU table is not JSON: %w", err))
	}
	if reply.Code != 1 {
		return nil, collector.Failf(collector.ReasonDevice, "ONU table refused (code %d: %s)", reply.Code, reply.Message)
	}
	var rows []hsgqONU
	if err := json.Unmarshal(reply.Data, &rows); err != nil {
		return nil, collector.Fail(collector.ReasonProtocol, fmt.Errorf("ONU table data: %w", err))
	}
	snap := &Snapshot{ONUs: make([]ONU, 0, len(rows)), States: WordStates}
	seen := map[string]bool{}
	for i, r := range rows {
		port, id := strings.TrimSpace(string(r.Port)), strings.TrimSpace(string(r.ONU))
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || id == "" {
			return nil, collector.Failf(collector.ReasonProtocol, "ONU table row %d: port %q, ONU %q", i, port, id)
		}
		pon := "0/" + port
		if !seen[pon] {
			seen[pon] = true
			snap.PONs = append(snap.PONs, pon)
		}
		o := newONU(pon, id)
		o.Name, o.MAC, o.Firmware, o.CTCStatus = r.Name, r.MAC, r.Firmware, r.CTC
		o.State = wordState(r.Status)
		o.Auth = textAuth(r.Auth)
		o.RxPowerDBm, o.TxPowerDBm = power(string(r.RxPower)), power(string(r.TxPower))
		o.TemperatureCelsius = temperature(string(r.Temperature))
		o.VoltageVolts = voltage(string(r.Voltage))
		o.BiasCurrentAmperes = biasAmperes(string(r.Bias))
		if d, ok := number(string(r.Distance)); ok && d.Float64() > 0 { // 0: the OLT has no range for it
			o.DistanceMeters = d
		}
		o.OnlineSeconds = count(string(r.OnlineTime))
		o.Deregistrations = count(string(r.Deregisters))
		o.OfflineReason, o.DyingGasp = wordOfflineReason(r.OfflineReason)
		snap.ONUs = append(snap.ONUs, o)
	}
	return snap, nil
}

// wordState maps the state words of V-SOL and HSGQ pages.
func wordState(s string) State {
	switch strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(s)) {
	case "online", "up", "working":
		return StateUp
	case "offline", "down":
		return StateDown
	case "poweroff", "pwrdown", "powerdown", "dyinggasp":
		return StatePwrDown
	case "los", "losi", "lossofsignal":
		return StateLOS
	case "loop", "loopdetected":
		return StateLoopDetected
	}
	return StateUnknown
}

// wordOfflineReason maps the last-down-cause words of V-SOL and HSGQ pages, and whether
// the cause was a power loss (NaN: the page gives none).
func wordOfflineReason(s string) (OfflineReason, collector.Number) {
	switch strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(s)) {
	case "", "--", "none", "na", "n/a":
		return "", none
	case "dyinggasp", "poweroff", "powerdown":
		return ReasonOther, one
	case "timeout", "mpcptimeout", "los", "lossofsignal", "omcitimeout":
		return ReasonTimeout, zero
	case "deregister", "onuderegister", "onureboot", "reboot":
		return ReasonONUInit, zero
	case "oltderegister", "oltreset", "admindisable":
		return ReasonOLTInit, zero
	}
	return ReasonOther, zero
}
