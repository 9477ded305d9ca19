package olt

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, p Personality) *OLT {
	t.Helper()
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	o := New(Options{Personality: p, Username: "admin", Password: "pw", PONs: 4, ONUs: Populate(1, 4, 64, now)})
	if err := o.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func get(t *testing.T, o *OLT, method, path, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, o.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestPages(t *testing.T) {
	o := start(t, HiOSO)
	if code, _ := get(t, o, "GET", "/onuAllPonOnuList.asp", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code, _ := get(t, o, "GET", "/onuAllPonOnuList.asp", "admin", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	code, page := get(t, o, "GET", "/onuAllPonOnuList.asp", "admin", "pw")
	if code != 200 || !strings.Contains(page, "var onutable=new Array(\n'0/1:1',") || !strings.Contains(page, "var lineNum=(onutable.length)/22;") {
		t.Errorf("all-PON page: %d\n%.400s", code, page)
	}
	if got := strings.Count(page, "\n'0/"); got != 4*64 {
		t.Errorf("%d rows, want 256", got)
	}
	code, page = get(t, o, "GET", "/onuOverview.asp?oltponno=0/2", "admin", "pw")
	if code != 200 || !strings.Contains(page, "'0/2:1',") || strings.Contains(page, "'0/1:1'") || !strings.Contains(page, "/16;") {
		t.Errorf("overview page: %d\n%.400s", code, page)
	}
	if code, _ := get(t, o, "GET", "/onuOverview.asp?oltponno=0/5", "admin", "pw"); code != 404 {
		t.Errorf("PON 0/5 of 4: %d, want 404", code)
	}
	// Names beyond ASCII, with quotes and commas, are escaped for JavaScript.
	if !strings.Contains(page, `'Jum\'at Berkah'`) && !strings.Contains(page, "Śrī") && !strings.Contains(page, "王家") {
		t.Error("no non-ASCII or quoted names in the population")
	}
	// A write is accepted, changes nothing, and is counted.
	get(t, o, "POST", "/goform/setOnu", "admin", "pw") // answered with a redirect to the list, followed
	if o.Writes() != 1 {
		t.Errorf("writes %d, want 1", o.Writes())
	}
}

func TestOverviewPersonality(t *testing.T) {
	o := start(t, HiOSOOverview)
	if code, _ := get(t, o, "GET", "/onuAllPonOnuList.asp", "admin", "pw"); code != 404 {
		t.Errorf("all-PON page on overview-only firmware: %d, want 404", code)
	}
}

func TestFaults(t *testing.T) {
	o := start(t, HiOSO)
	for _, tt := range []struct {
		fault Fault
		code  int
	}{{FaultUnauthorized, 401}, {FaultServerError, 500}, {FaultGarbage, 200}} {
		if err := o.SetFault(tt.fault); err != nil {
			t.Fatal(err)
		}
		code, body := get(t, o, "GET", "/onuAllPonOnuList.asp", "admin", "pw")
		if code != tt.code || strings.Contains(body, "onutable") {
			t.Errorf("%s: %d, want %d and no ONU array", tt.fault, code, tt.code)
		}
	}
	if err := o.SetFault("melted"); err == nil {
		t.Error("an unknown fault was accepted")
	}
}

func TestChangeONU(t *testing.T) {
	o := start(t, HiOSO)
	before := o.ONUs()[0]
	pwr := StatusPwrDown
	if err := o.ChangeONU(1, 1, ONUChange{Status: &pwr}); err != nil {
		t.Fatal(err)
	}
	after := o.ONUs()[0]
	if after.Status != StatusPwrDown || !after.DyingGasp || after.Deregs != before.Deregs+1 {
		t.Errorf("power down: %+v", after)
	}
	_, page := get(t, o, "GET", "/onuAllPonOnuList.asp", "admin", "pw")
	row := page[strings.Index(page, "'0/1:1'"):]
	row = row[:strings.Index(row, "\n")]
	if !strings.Contains(row, "'PwrDown'") || !strings.HasSuffix(row, "'1',") {
		t.Errorf("row after power down: %s", row)
	}
	if err := o.ChangeONU(9, 1, ONUChange{Status: &pwr}); err == nil {
		t.Error("a change to a missing ONU was accepted")
	}
	bad := Status("Melted")
	if err := o.ChangeONU(1, 1, ONUChange{Status: &bad}); err == nil {
		t.Error("an unknown status was accepted")
	}
}

// TestRequestsLoggedBeforeAnswered: a request is in the log by the time its answer has
// been read (the log was written after the answer, and a client could look too early).
func TestRequestsLoggedBeforeAnswered(t *testing.T) {
	o := start(t, HiOSO)
	for i := range 300 {
		path := "/onuOverview.asp?oltponno=0/1"
		if i%2 == 0 {
			path = "/nothing-here.asp"
		}
		get(t, o, http.MethodGet, path, "admin", "pw")
		if got := len(o.Requests()); got != i+1 {
			t.Fatalf("after %d answers read, %d requests logged", i+1, got)
		}
	}
	// Each got its status once answered.
	deadline := time.Now().Add(5 * time.Second)
	for o.InFlight() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i, r := range o.Requests() {
		if want := map[bool]int{true: http.StatusNotFound, false: http.StatusOK}[i%2 == 0]; r.Status != want {
			t.Fatalf("request %d (%s): status %d, want %d", i, r.Path, r.Status, want)
		}
	}
}
