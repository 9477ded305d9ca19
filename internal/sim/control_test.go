package sim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-routeros/routeros/v3"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

var labStart = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// runLab starts Run in-process on free ports and returns the lab once it is ready. The lab
// stops (and Run returns) when the test ends.
func runLab(t *testing.T, frozen bool) *Lab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Lab, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			ScenarioFile:   "testdata/scenarios/valid.yml",
			ControlAddress: "127.0.0.1:0",
			RouterAddress:  "127.0.0.1:0",
			ClockStart:     labStart,
			ClockFrozen:    frozen,
			Logger:         discardLogger(),
			Ready:          func(l *Lab) { ready <- l },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case lab := <-ready:
		return lab
	case err := <-done:
		t.Fatalf("Run ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("lab not ready after 10s")
	}
	return nil
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// call makes one control request and decodes the JSON answer into out (when not nil).
func call(t *testing.T, lab *Lab, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+lab.ControlAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("%s %s: content type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func TestControlRouters(t *testing.T) {
	lab := runLab(t, true)
	var routers []RouterStatus
	if code := call(t, lab, "GET", "/routers", "", &routers); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(routers) != 2 || routers[0].Name != "r1" || routers[1].Name != "r2" {
		t.Fatalf("routers %+v", routers)
	}
	r1 := routers[0]
	if r1.Users != 27 || r1.Active != 6 || !r1.Powered || r1.UptimeSeconds != 26*3600 || !r1.BootTime.Equal(labStart.Add(-26*time.Hour)) || r1.Fault != "none" {
		t.Errorf("r1 %+v", r1)
	}
	if _, _, err := net.SplitHostPort(r1.Address); err != nil || strings.HasSuffix(r1.Address, ":0") {
		t.Errorf("address %q", r1.Address)
	}

	var users []UserView
	call(t, lab, "GET", "/routers/r1/users", "", &users)
	if len(users) != 27 || users[0].Name != "alice" || users[0].LimitUptime != "1h" || users[0].UptimeSeconds != 1800 {
		t.Errorf("users[0] %+v", users[0])
	}
	var active []SessionView
	call(t, lab, "GET", "/routers/r1/active", "", &active)
	if len(active) != 6 || active[0].User != "alice" || active[0].Address != "10.5.50.200" {
		t.Errorf("active %+v", active)
	}
}

func TestControlPowerLossThroughTheAPI(t *testing.T) {
	lab := runLab(t, true)
	router, _ := lab.Router("r1")

	// A real client is connected when the power goes.
	nc, err := net.DialTimeout("tcp", router.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	c, _ := routeros.NewClient(nc)
	defer c.Close()
	// r1 uses the legacy login: go-routeros falls back to it by itself.
	if err := c.Login("api", "p@ss: word"); err != nil {
		t.Fatal(err)
	}

	var clock clockView
	if code := call(t, lab, "POST", "/clock/advance?by=10m", "", &clock); code != 200 || !clock.Now.Equal(labStart.Add(10*time.Minute)) {
		t.Fatalf("advance: %d %+v", code, clock)
	}
	var active []SessionView
	call(t, lab, "GET", "/routers/r1/active", "", &active)
	if active[0].UptimeSeconds != 600 {
		t.Fatalf("session uptime %v", active[0].UptimeSeconds)
	}

	if code := call(t, lab, "POST", "/routers/r1/power-loss", "", nil); code != 200 {
		t.Fatalf("power-loss: %d", code)
	}
	if _, err := c.Run("/system/identity/print"); err == nil {
		t.Fatal("the API connection survived the power loss")
	}
	var users []UserView
	call(t, lab, "GET", "/routers/r1/users", "", &users)
	if users[0].UptimeSeconds != 1800 {
		t.Errorf("alice kept her lost session: %v s", users[0].UptimeSeconds)
	}
	var logEntries []struct{ Message string }
	call(t, lab, "GET", "/routers/r1/log", "", &logEntries)
	if len(logEntries) != 1 || logEntries[0].Message != "router was rebooted without proper shutdown" {
		t.Errorf("log %+v", logEntries)
	}
	var routers []RouterStatus
	call(t, lab, "GET", "/routers", "", &routers)
	if routers[0].Active != 0 || routers[0].UptimeSeconds != 0 || routers[0].APILogins != 1 {
		t.Errorf("after power loss %+v", routers[0])
	}
}

func TestControlActions(t *testing.T) {
	lab := runLab(t, true)
	steps := []struct {
		method, path, body string
		code               int
		want               string // substring of the answer
	}{
		{"POST", "/routers/r1/logout", `{"user":"alice"}`, 200, `"uptime": "30m"`},
		{"POST", "/clock/advance?by=1h", "", 200, `"now": "2026-11-24T10:00:00Z"`},
		{"POST", "/routers/r1/login", `{"user":"alice","address":"10.5.50.9"}`, 200, `"address": "10.5.50.9"`},
		{"POST", "/routers/r1/login", `{"user":"alice"}`, 409, "already has an active session"},
		{"POST", "/clock/advance?by=45m", "", 200, `"frozen": true`},
		{"POST", "/routers/r1/logout", `{"user":"alice"}`, 409, "no active session"}, // the 1h limit logged her out
		{"POST", "/routers/r1/login", `{"user":"alice"}`, 409, "uptime limit reached"},
		{"POST", "/routers/r1/login", `{"user":"off"}`, 409, "disabled"},
		{"POST", "/routers/r1/login", `{"user":"nobody"}`, 404, "no such user"},
		{"POST", "/routers/r1/logout", `{"user":"nobody"}`, 404, `no user \"nobody\"`},
		{"POST", "/routers/r1/login", `{"usr":"alice"}`, 400, `unknown field \"usr\"`},
		{"POST", "/routers/r1/login", ``, 400, "the body is empty"},
		{"POST", "/routers/r1/login", `{}`, 400, `\"user\" is required`},
		{"POST", "/routers/r1/fault", `{"fault":"meltdown"}`, 400, "unknown fault"},
		{"POST", "/routers/r1/fault", `{"fault":"stall"}`, 200, `"fault": "stall"`},
		{"GET", "/routers/r1", "", 200, `"fault": "stall"`},
		{"POST", "/routers/r1/fault", `{"fault":"none"}`, 200, `"fault": "none"`},
		{"POST", "/routers/r1/empty-reply", `{"enabled":false}`, 200, `"empty_reply": false`},
		{"POST", "/routers/r1/empty-reply", `{}`, 400, "required"},
		{"POST", "/routers/r1/power-off", "", 200, `"powered": false`},
		{"POST", "/routers/r1/login", `{"user":"expired"}`, 409, "powered off"},
		{"POST", "/routers/r1/power-on", "", 200, `"powered": true`},
		{"POST", "/routers/r1/reboot", "", 200, `"boot_time": "2026-11-24T10:45:00Z"`},
		{"POST", "/routers/nope/reboot", "", 404, `no router named \"nope\"`},
		{"GET", "/routers/nope/users", "", 404, "no router named"},
		{"POST", "/clock/advance?by=soon", "", 400, "must be a duration"},
		{"POST", "/clock/advance?by=-5m", "", 400, "only moves forward"},
		{"GET", "/nothing", "", 404, "no such endpoint"},
	}
	for _, s := range steps {
		var raw json.RawMessage
		code := call(t, lab, s.method, s.path, s.body, &raw)
		if code != s.code || !strings.Contains(string(raw), s.want) {
			t.Errorf("%s %s %s: %d %s\nwant %d with %s", s.method, s.path, s.body, code, raw, s.code, s.want)
		}
	}
	router, _ := lab.Router("r1")
	if router.Fault().String() != "none" {
		t.Error("fault not cleared")
	}
}

func TestControlClockNotFrozen(t *testing.T) {
	lab := runLab(t, false)
	var body errorBody
	if code := call(t, lab, "POST", "/clock/advance?by=5m", "", &body); code != http.StatusConflict || !strings.Contains(body.Error, "--clock.frozen") {
		t.Fatalf("%d %+v", code, body)
	}
	// The clock starts at --clock.start and runs.
	var clock clockView
	call(t, lab, "GET", "/clock", "", &clock)
	if clock.Frozen || clock.Now.Before(labStart) || clock.Now.After(labStart.Add(time.Minute)) {
		t.Fatalf("clock %+v", clock)
	}
}

func TestRunFailsOnBadScenario(t *testing.T) {
	err := Run(context.Background(), Options{ScenarioFile: "testdata/scenarios/bad-ratio.yml", ControlAddress: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "online_ratio") {
		t.Fatalf("Run: %v", err)
	}
	// A port already taken fails Start cleanly, without leaking the routers already started.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = Run(context.Background(), Options{ScenarioFile: "testdata/scenarios/valid.yml", RouterAddress: "127.0.0.1:0", ControlAddress: l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "control API") {
		t.Fatalf("Run: %v", err)
	}
}
