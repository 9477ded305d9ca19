package olt_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/olt"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/olt"
	"github.com/rondanet/ronda/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite testdata/*.prom from this run")

// fewONUs is a small population with one ONU of every kind the tests look at.
func fewONUs() []*sim.ONU {
	since := t0.Add(-2 * time.Hour)
	base := func(pon, id int, name string) *sim.ONU {
		return &sim.ONU{PON: pon, ID: id, Name: name, MAC: fmt.Sprintf("E0:E8:E6:00:%02X:%02X", pon, id),
			Firmware: "V2.1.05", Status: sim.StatusUp, Active: true, RTT: 5000, RxPower: -20.5, TxPower: 2.25,
			Temp: 45, Voltage: 3.3, BiasMA: 12, Reason: sim.OfflineONUInit, Deregs: 1, Since: since}
	}
	healthy := base(1, 1, "Warung Bu Tini")
	weak := base(1, 2, "Jum'at, Blok C")
	weak.RxPower = -28.3
	down := base(1, 3, "Pak Dédé")
	down.Status, down.Reason, down.Deregs = sim.StatusDown, sim.OfflineTimeout, 5
	pwr := base(2, 1, "王家")
	pwr.Status, pwr.Reason, pwr.DyingGasp = sim.StatusPwrDown, sim.OfflineOther, true
	loop := base(2, 2, "Kost Melati")
	loop.Status = sim.StatusLoopDetected
	glitch := base(2, 3, "Toko <Maju>")
	glitch.Glitch = sim.GlitchAllOnes
	deact := base(3, 1, "Kantor Desa")
	deact.Active, deact.Status, deact.Reason = false, sim.StatusDown, sim.OfflineOLTInit
	return []*sim.ONU{healthy, weak, down, pwr, loop, glitch, deact}
}

// TestScrapeHiOSO reads a simulated HiOSO OLT (all-PON page) through /olt and compares the
// whole exposition with testdata/sim-hioso.prom; the checks below say what matters in it.
func TestScrapeHiOSO(t *testing.T) {
	l := newLab(t, oltSpec{name: "olt-pasar", personality: sim.HiOSO, onus: fewONUs()})
	text, got := l.scrape(t, "olt-pasar", 10*time.Second)

	for key, want := range map[string]float64{
		"olt_up":                                               1,
		"olt_onu_state,onu=1,pon=0/1,state=up":                 1,
		"olt_onu_state,onu=1,pon=0/1,state=down":               0,
		"olt_onu_state,onu=3,pon=0/1,state=down":               1,
		"olt_onu_state,onu=1,pon=0/2,state=pwrdown":            1,
		"olt_onu_state,onu=2,pon=0/2,state=loopdetected":       1,
		"olt_onu_dying_gasp,onu=1,pon=0/2":                     1,
		"olt_onu_dying_gasp,onu=1,pon=0/1":                     0,
		"olt_onu_offline_reason,onu=3,pon=0/1,reason=timeout":  1,
		"olt_onu_offline_reason,onu=1,pon=0/3,reason=olt_init": 1,
		"olt_onu_rx_power_dbm,onu=2,pon=0/1":                   page2(-28.3 + driftAt(1, 2)),
		"olt_onu_bias_current_amperes,onu=1,pon=0/1":           page2(12+driftAt(1, 1)) / 1000,
		"olt_onu_distance_meters,onu=1,pon=0/1":                5000*1.6393 - 157 - 157,
		"olt_onu_online_seconds,onu=1,pon=0/1":                 7200,
		"olt_onu_deregistrations_total,onu=3,pon=0/1":          5,
		"olt_pon_onus,pon=0/1,state=up":                        2,
		"olt_pon_onus,pon=0/1,state=down":                      1,
		"olt_pon_onus,pon=0/3,state=down":                      1,
		"olt_data_age_seconds":                                 0,
		"olt_onu_info,auth=deactivated,ctc_status=,firmware=V2.1.05,mac=E0:E8:E6:00:03:01,name=Kantor Desa,onu=1,pon=0/3":            1,
		"olt_onu_info,auth=activated,ctc_status=CtcNegDone,firmware=V2.1.05,mac=E0:E8:E6:00:02:03,name=Toko <Maju>,onu=3,pon=0/2":    1,
		"olt_onu_info,auth=activated,ctc_status=,firmware=V2.1.05,mac=E0:E8:E6:00:02:01,name=王家,onu=1,pon=0/2":                       1,
		"olt_onu_info,auth=activated,ctc_status=CtcNegDone,firmware=V2.1.05,mac=E0:E8:E6:00:01:02,name=Jum'at, Blok C,onu=2,pon=0/1": 1,
	} {
		if v, ok := got[key]; !ok || !near(v, want) {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	// Offline ONUs and the all-ones DDM readings give no optics series at all.
	for _, key := range []string{
		"olt_onu_rx_power_dbm,onu=3,pon=0/1", "olt_onu_temperature_celsius,onu=1,pon=0/2",
		"olt_onu_rx_power_dbm,onu=3,pon=0/2", "olt_onu_voltage_volts,onu=3,pon=0/2",
		"olt_onu_bias_current_amperes,onu=3,pon=0/2", "olt_onu_tx_power_dbm,onu=3,pon=0/2",
		// An ONU that is up has no offline reason series.
		"olt_onu_offline_reason,onu=1,pon=0/1,reason=onu_init", "olt_onu_offline_reason,onu=1,pon=0/1,reason=other",
	} {
		if v, ok := got[key]; ok {
			t.Errorf("%s = %v exported; it must be left out", key, v)
		}
	}
	// Names and MACs only on _info.
	for _, line := range strings.Split(text, "\n") {
		if (strings.Contains(line, "name=") || strings.Contains(line, "mac=")) && !strings.HasPrefix(line, "olt_onu_info{") && !strings.HasPrefix(line, "#") {
			t.Errorf("a name or MAC outside olt_onu_info: %s", line)
		}
	}
	compareGolden(t, "sim-hioso.prom", dropVolatile(text))
}

// driftAt is the simulator's wobble of ONU pon/id at t0 (see sim.ONU.drift).
func driftAt(pon, id int) float64 {
	o := sim.ONU{PON: pon, ID: id}
	return o.Drift(t0)
}

// page2 is v as the OLT's page writes it: two decimals.
func page2(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return r
}

func near(a, b float64) bool { d := a - b; return d < 1e-6 && d > -1e-6 }

// dropVolatile removes the scrape duration, which depends on speed.
func dropVolatile(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "olt_scrape_duration_seconds ") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("exposition differs from %s (go test -run %s -update rewrites it):\n got:\n%s", path, t.Name(), got)
	}
}

// TestMinInterval: scrapes closer together than min_interval are served from the last
// read, with its age; the OLT sees one page request per read.
func TestMinInterval(t *testing.T) {
	l := newLab(t, oltSpec{name: "olt", personality: sim.HiOSO, minInterval: 30 * time.Second})
	o := l.olts["olt"]
	_, got := l.scrape(t, "olt", 10*time.Second)
	if got["olt_up"] != 1 || len(o.Requests()) != 1 {
		t.Fatalf("first scrape: up %v, %d requests", got["olt_up"], len(o.Requests()))
	}
	// The ONU goes down, but the next scrapes are within min_interval: the old read stays.
	pwr := sim.StatusPwrDown
	if err := o.ChangeONU(1, 1, sim.ONUChange{Status: &pwr}); err != nil {
		t.Fatal(err)
	}
	l.clock.advance(10 * time.Second)
	_, got = l.scrape(t, "olt", 10*time.Second)
	if got["olt_data_age_seconds"] != 10 || got["olt_onu_state,onu=1,pon=0/1,state=up"] != 1 || len(o.Requests()) != 1 {
		t.Errorf("within min_interval: age %v, up %v, %d requests; want 10, 1, 1",
			got["olt_data_age_seconds"], got["olt_onu_state,onu=1,pon=0/1,state=up"], len(o.Requests()))
	}
	l.clock.advance(20 * time.Second)
	_, got = l.scrape(t, "olt", 10*time.Second)
	if got["olt_data_age_seconds"] != 0 || got["olt_onu_state,onu=1,pon=0/1,state=pwrdown"] != 1 || len(o.Requests()) != 2 {
		t.Errorf("after min_interval: age %v, pwrdown %v, %d requests; want 0, 1, 2",
			got["olt_data_age_seconds"], got["olt_onu_state,onu=1,pon=0/1,state=pwrdown"], len(o.Requests()))
	}
	if got["olt_onu_dying_gasp,onu=1,pon=0/1"] != 1 || got["olt_onu_deregistrations_total,onu=1,pon=0/1"] < 1 {
		t.Errorf("power down: dying gasp %v, deregistrations %v", got["olt_onu_dying_gasp,onu=1,pon=0/1"], got["olt_onu_deregistrations_total,onu=1,pon=0/1"])
	}
}

// TestOverviewFallback: firmware without the all-PON page is read PON by PON, and the 404
// is not asked again on later reads.
func TestOverviewFallback(t *testing.T) {
	l := newLab(t, oltSpec{name: "olt", personality: sim.HiOSOOverview, minInterval: time.Second})
	o := l.olts["olt"]
	_, got := l.scrape(t, "olt", 10*time.Second)
	if got["olt_up"] != 1 {
		t.Fatalf("olt_up %v", got["olt_up"])
	}
	for pon := 1; pon <= 4; pon++ {
		total := 0.0
		for key, v := range got {
			if strings.HasPrefix(key, fmt.Sprintf("olt_pon_onus,pon=0/%d,", pon)) {
				total += v
			}
		}
		if total != 16 {
			t.Errorf("PON 0/%d: %v ONUs, want 16", pon, total)
		}
	}
	l.clock.advance(time.Second)
	l.scrape(t, "olt", 10*time.Second)
	var paths []string
	for _, r := range o.Requests() {
		paths = append(paths, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	want := []string{"GET /onuAllPonOnuList.asp 404"}
	for range 2 {
		for pon := 1; pon <= 5; pon++ {
			status := 200
			if pon == 5 {
				status = 404
			}
			want = append(want, fmt.Sprintf("GET /onuOverview.asp?oltponno=0/%d %d", pon, status))
		}
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}

// TestAllPONPageAskedForAgain: one 404 of the all-PON page (the web server still starting
// after a reboot) sends the driver to the per-PON overview pages, which lack the offline
// history; it asks for the all-PON page again after 60 reads, not on every read, and not
// never.
func TestAllPONPageAskedForAgain(t *testing.T) {
	c := &clock{now: t0}
	o := sim.New(sim.Options{Username: testUser, Password: testPassword, PONs: 4, ONUs: fewONUs(), Clock: c})
	var mu sync.Mutex
	allPON := 0
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/onuAllPonOnuList.asp" {
			mu.Lock()
			allPON++
			first := allPON == 1
			mu.Unlock()
			if first {
				http.NotFound(w, r)
				return
			}
		}
		o.ServeHTTP(w, r)
	}))
	defer server.Close()
	m := collector.NewManager(collector.Options{}, olt.New(nil, olt.Options{Now: c.Now}))
	defer m.Close()
	m.ApplyConfig(&config.Config{OLT: []config.OLTTarget{{Name: "olt", Driver: config.OLTDriverHiOSO, URL: server.URL,
		Username: testUser, Password: testPassword, MinInterval: config.Duration(time.Second)}}})
	h := m.Handler(config.KindOLT)
	read := func() string {
		c.advance(time.Minute)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/olt?target=olt", nil))
		return rec.Body.String()
	}
	if body := read(); strings.Contains(body, "olt_onu_dying_gasp{") || !strings.Contains(body, "olt_up 1") {
		t.Fatalf("the first read, from the overview pages:\n%s", body)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return allPON
	}
	for range 59 {
		read()
	}
	if n := count(); n != 1 {
		t.Errorf("the all-PON page was asked for %d times in the first 60 reads, want once (the 404)", n)
	}
	if body := read(); !strings.Contains(body, "olt_onu_dying_gasp{") {
		t.Errorf("the 61st read, 60 after the 404, still lacks the all-PON page's families:\n%s", body)
	}
	if n := count(); n != 2 {
		t.Errorf("the all-PON page was asked for %d times in 61 reads, want twice", n)
	}
}

// TestGentle: many scrapes of one OLT at once never put two requests on it at once, and
// every request is a GET of a page: nothing was ever written to the OLT.
func TestGentle(t *testing.T) {
	for _, p := range sim.Personalities {
		t.Run(string(p), func(t *testing.T) {
			l := newLab(t, oltSpec{name: "olt", personality: p, minInterval: time.Second})
			o := l.olts["olt"]
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 4 {
						l.clock.advance(time.Second) // every scrape may read
						_, got := l.scrape(t, "olt", 20*time.Second)
						if got["olt_up"] != 1 {
							t.Errorf("olt_up %v", got["olt_up"])
						}
					}
				})
			}
			wg.Wait()
			if n := o.PeakConcurrency(); n != 1 {
				t.Errorf("%d requests at once on the OLT, want 1", n)
			}
			if o.Writes() != 0 {
				t.Errorf("%d write requests sent to the OLT", o.Writes())
			}
			for _, r := range o.Requests() {
				login := p == sim.HSGQ && r.Method == http.MethodPost && r.Path == "/userlogin?form=login" ||
					p == sim.VSOL && r.Method == http.MethodPost && (r.Path == "/action/main.html" || r.Path == "/action/onuinfo.html")
				if r.Method != http.MethodGet && !login {
					t.Errorf("%s %s sent to the OLT", r.Method, r.Path)
				}
			}
			if len(o.Requests()) < 2 {
				t.Errorf("only %d requests: the test did not make the collector read", len(o.Requests()))
			}
		})
	}
}

// TestSlowOLTDoesNotDelayAnother: while one OLT holds a scrape, another OLT is scraped
// normally.
func TestSlowOLTDoesNotDelayAnother(t *testing.T) {
	l := newLab(t, oltSpec{name: "slow", personality: sim.HiOSO}, oltSpec{name: "fast", personality: sim.HiOSO})
	slow := l.olts["slow"]
	if err := slow.SetFault(sim.FaultSlow); err != nil {
		t.Fatal(err)
	}
	done := make(chan map[string]float64)
	go func() {
		_, got := l.scrape(t, "slow", time.Minute)
		done <- got
	}()
	testtool.Eventually(t, 10*time.Second, "the slow OLT holds a request", func(context.Context) error {
		if slow.InFlight() != 1 {
			return errors.New("no request in flight yet")
		}
		return nil
	})
	_, got := l.scrape(t, "fast", time.Minute)
	if got["olt_up"] != 1 {
		t.Errorf("the fast OLT: olt_up %v while the slow one is held", got["olt_up"])
	}
	select {
	case <-done:
		t.Fatal("the slow scrape finished before its OLT answered")
	default:
	}
	_ = slow.Close() // cut the held request
	if got := <-done; got["olt_up"] != 0 {
		t.Errorf("slow OLT: olt_up %v after its server went away", got["olt_up"])
	}
}

// TestEndpointFaults: each way an OLT fails gives olt_up 0 with its reason, within the
// deadline, exports no ONU series; the OLT is not asked again within min_interval of the
// failure, and the scrape after that recovers once the OLT does.
func TestEndpointFaults(t *testing.T) {
	const deadline = 800 * time.Millisecond
	fault := func(f sim.Fault) func(*lab) {
		return func(l *lab) { _ = l.olts["olt"].SetFault(f) }
	}
	// The OLT's faults are mended at the OLT: the exporter finds out after min_interval.
	// The others are mended in the configuration, which starts the OLT's session afresh.
	tests := []struct {
		name     string
		break_   func(*lab)
		mend     func(*lab)
		want     collector.Reason
		inConfig bool // mended in the configuration
	}{
		{"401", fault(sim.FaultUnauthorized), fault(sim.FaultNone), collector.ReasonAuth, false},
		{"500", fault(sim.FaultServerError), fault(sim.FaultNone), collector.ReasonDevice, false},
		{"slow past the deadline", fault(sim.FaultSlow), fault(sim.FaultNone), collector.ReasonTimeout, false},
		{"page cut short", fault(sim.FaultTruncated), fault(sim.FaultNone), collector.ReasonProtocol, false},
		{"garbage", fault(sim.FaultGarbage), fault(sim.FaultNone), collector.ReasonProtocol, false},
		{"wrong password", func(l *lab) { l.target("olt").Password = "wrong"; l.apply() },
			func(l *lab) { l.target("olt").Password = testPassword; l.apply() }, collector.ReasonAuth, true},
		{"not an OLT (every page 404)", func(l *lab) { l.target("olt").URL += "/nothing"; l.apply() },
			func(l *lab) { l.target("olt").URL = l.olts["olt"].URL(); l.apply() }, collector.ReasonDevice, true},
		{"nothing listening", func(l *lab) { l.target("olt").URL = "http://" + closedPort(t); l.apply() },
			func(l *lab) { l.target("olt").URL = l.olts["olt"].URL(); l.apply() }, collector.ReasonConnect, true},
	}
	for _, p := range []sim.Personality{sim.HiOSO, sim.HSGQ, sim.VSOL} {
		for _, tt := range tests {
			t.Run(string(p)+"/"+tt.name, func(t *testing.T) {
				endpointFault(t, p, tt.break_, tt.mend, tt.want, deadline, tt.inConfig)
			})
		}
	}
}

// endpointFault runs one case of TestEndpointFaults against an OLT of personality p.
func endpointFault(t *testing.T, p sim.Personality, breakOLT, mendOLT func(*lab), reason collector.Reason, deadline time.Duration, mendedInConfig bool) {
	l := newLab(t, oltSpec{name: "olt", personality: p, minInterval: time.Second})
	if _, got := l.scrape(t, "olt", deadline+5*time.Second); got["olt_up"] != 1 {
		t.Fatalf("healthy OLT: olt_up %v", got["olt_up"])
	}
	breakOLT(l)
	l.clock.advance(time.Second) // past min_interval: the next scrape reads
	_, got := l.scrape(t, "olt", deadline)
	if got["olt_up"] != 0 {
		t.Errorf("olt_up %v, want 0", got["olt_up"])
	}
	for _, r := range collector.Reasons {
		want := 0.0
		if r == reason {
			want = 1
		}
		if v := got["olt_scrape_failure_reason,reason="+string(r)]; v != want {
			t.Errorf("failure reason %s = %v, want %v", r, v, want)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "olt_onu_") || strings.HasPrefix(key, "olt_pon_") {
			t.Fatalf("a failed scrape still exported %s", key)
		}
	}
	if d := got["olt_scrape_duration_seconds"]; d > (deadline + 2*time.Second).Seconds() {
		t.Errorf("scrape took %.2fs, past its %v deadline", d, deadline)
	}
	// Mended at the OLT, but within min_interval of the failed read: not asked again, the
	// same failure answered; after min_interval, read again. Mended in the configuration:
	// a new session, read at once.
	mendOLT(l)
	if !mendedInConfig {
		requests := len(l.olts["olt"].Requests())
		if _, got := l.scrape(t, "olt", deadline+5*time.Second); got["olt_up"] != 0 || got["olt_scrape_failure_reason,reason="+string(reason)] != 1 {
			t.Errorf("within min_interval of the failed read: olt_up %v, reason %s %v; want 0, 1", got["olt_up"], reason, got["olt_scrape_failure_reason,reason="+string(reason)])
		}
		if n := len(l.olts["olt"].Requests()); n != requests {
			t.Errorf("within min_interval of the failed read, %d more requests", n-requests)
		}
		l.clock.advance(time.Second)
	}
	if _, got := l.scrape(t, "olt", deadline+5*time.Second); got["olt_up"] != 1 {
		t.Errorf("after the OLT recovered: olt_up %v, want 1", got["olt_up"])
	}
	if w := l.olts["olt"].Writes(); w != 0 {
		t.Errorf("%d writes sent", w)
	}
}

// TestHSGQTokenExpiry: when the OLT forgets the token (it restarted), the driver logs in
// again within the same scrape.
func TestHSGQTokenExpiry(t *testing.T) {
	l := newLab(t, oltSpec{name: "olt", personality: sim.HSGQ, minInterval: time.Second})
	o := l.olts["olt"]
	if _, got := l.scrape(t, "olt", 10*time.Second); got["olt_up"] != 1 {
		t.Fatalf("olt_up %v", got["olt_up"])
	}
	o.ExpireTokens()
	l.clock.advance(time.Second)
	_, got := l.scrape(t, "olt", 10*time.Second)
	if got["olt_up"] != 1 {
		t.Fatalf("after the token expired: olt_up %v", got["olt_up"])
	}
	var seq []string
	for _, r := range o.Requests() {
		seq = append(seq, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	want := "POST /userlogin?form=login 200|GET /onutable 200|GET /onutable 401|POST /userlogin?form=login 200|GET /onutable 200"
	if strings.Join(seq, "|") != want {
		t.Errorf("requests %s\nwant %s", strings.Join(seq, "|"), want)
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestVSOLSession: the SessionKey rotates on every POST (the simulator refuses a stale one),
// and when the OLT ends the session the driver logs in again within the same scrape.
func TestVSOLSession(t *testing.T) {
	l := newLab(t, oltSpec{name: "olt", personality: sim.VSOL, minInterval: time.Second})
	o := l.olts["olt"]
	for range 2 { // two reads on one session: four PON pages, each with the key the last gave
		l.clock.advance(time.Second)
		if _, got := l.scrape(t, "olt", 10*time.Second); got["olt_up"] != 1 || got["olt_pon_onus,pon=0/4,state=up"] == 0 {
			t.Fatalf("olt_up %v, PON 0/4 up %v", got["olt_up"], got["olt_pon_onus,pon=0/4,state=up"])
		}
	}
	o.ExpireSessions()
	l.clock.advance(time.Second)
	if _, got := l.scrape(t, "olt", 10*time.Second); got["olt_up"] != 1 {
		t.Fatalf("after the session ended: olt_up %v", got["olt_up"])
	}
	logins := 0
	for _, r := range o.Requests() {
		if r.Path == "/action/main.html" {
			logins++
		}
	}
	if logins != 2 {
		t.Errorf("%d logins, want 2 (one at first, one after the session ended)", logins)
	}
}

// TestVSOLNamesInGB2312: V-SOL serves its pages in GB2312; a name whose GB2312 bytes
// happen to be valid UTF-8 (叶伟) is still read as GB2312.
func TestVSOLNamesInGB2312(t *testing.T) {
	onus := fewONUs()[:2]
	onus[1].Name = "叶伟"
	l := newLab(t, oltSpec{name: "olt", personality: sim.VSOL, onus: onus})
	text, _ := l.scrape(t, "olt", 10*time.Second)
	if !strings.Contains(text, `onu="2",name="叶伟"`) {
		t.Errorf("ONU 0/1:2's name is not 叶伟:\n%s", text)
	}
}

// TestPasswordNeverLogged: with debug logging, neither a good nor a refused scrape of any
// driver puts the password in the log or the exposition.
func TestPasswordNeverLogged(t *testing.T) {
	for _, p := range []sim.Personality{sim.HiOSO, sim.HSGQ, sim.VSOL} {
		t.Run(string(p), func(t *testing.T) {
			l := newLab(t, oltSpec{name: "olt", personality: p, minInterval: time.Second})
			var logs testtool.LogBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			manager := collector.NewManager(collector.Options{Logger: logger}, olt.New(logger, olt.Options{Now: l.clock.Now}))
			t.Cleanup(func() { _ = manager.Close() })
			manager.ApplyConfig(&config.Config{OLT: l.targets})
			l.handler = manager.Handler(config.KindOLT)
			text, got := l.scrape(t, "olt", 10*time.Second)
			_ = l.olts["olt"].SetFault(sim.FaultUnauthorized)
			l.clock.advance(time.Second)
			text2, got2 := l.scrape(t, "olt", 10*time.Second)
			if got["olt_up"] != 1 || got2["olt_up"] != 0 {
				t.Fatalf("olt_up %v then %v, want 1 then 0", got["olt_up"], got2["olt_up"])
			}
			for what, s := range map[string]string{"log": logs.String(), "exposition": text + text2} {
				if strings.Contains(s, testPassword) {
					t.Errorf("the password is in the %s:\n%s", what, s)
				}
			}
			if !strings.Contains(logs.String(), "olt") {
				t.Errorf("nothing was logged: the test checks nothing\n%s", logs.String())
			}
		})
	}
}
