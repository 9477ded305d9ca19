package mikrotik_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/mikrotik"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
)

// endpointScrape is GET /mikrotik?target=… through the framework, as Prometheus does it,
// with Prometheus's scrape timeout in the header. It returns the series by name+labels.
func endpointScrape(t *testing.T, h http.Handler, timeout time.Duration) map[string]float64 {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/mikrotik?target="+routerName, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("invalid exposition: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			key := name
			for _, lp := range m.GetLabel() {
				key += "," + lp.GetName() + "=" + lp.GetValue()
			}
			out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

// TestEndpointFaults: each way a router can fail gives mikrotik_up 0 with its reason, within
// the deadline, and the next scrape recovers once the router does. goleak (TestMain) checks
// that nothing is left running.
func TestEndpointFaults(t *testing.T) {
	const deadline = 800 * time.Millisecond
	tests := []struct {
		name    string
		break_  func(l *lab, target *config.MikroTikTarget)
		mend    func(l *lab, target *config.MikroTikTarget)
		want    collector.Reason
		recover bool
	}{
		{"router powered off", func(l *lab, _ *config.MikroTikTarget) { l.router.PowerOff() },
			func(l *lab, _ *config.MikroTikTarget) { l.router.PowerOn() }, collector.ReasonConnect, true},
		{"nothing listening", func(_ *lab, t *config.MikroTikTarget) { t.Address = closedPort() },
			nil, collector.ReasonConnect, false},
		{"stall past the deadline", func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultStall) },
			func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultNone) }, collector.ReasonTimeout, true},
		{"garbage bytes", func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultGarbage) },
			func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultNone) }, collector.ReasonProtocol, true},
		{"malformed length byte", func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultMalformedLength) },
			func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultNone) }, collector.ReasonProtocol, true},
		{"connection dropped mid-reply", func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultDropMidReply) },
			func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultNone) }, collector.ReasonConnect, true},
		{"!fatal", func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultFatal) },
			func(l *lab, _ *config.MikroTikTarget) { l.router.SetFault(sim.FaultNone) }, collector.ReasonDevice, true},
		{"wrong password", func(_ *lab, t *config.MikroTikTarget) { t.Password = "wrong" },
			nil, collector.ReasonAuth, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := hotspotLab(t)
			coll := mikrotik.New(nil, mikrotik.Options{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
			manager := collector.NewManager(collector.Options{}, coll)
			t.Cleanup(func() { _ = manager.Close() })
			target := l.target(config.HotspotUsersAll)
			manager.ApplyConfig(&config.Config{MikroTik: []config.MikroTikTarget{target}})
			h := manager.Handler(config.KindMikroTik)

			// A warm connection first: faults must also be handled mid-session.
			if got := endpointScrape(t, h, deadline); got["mikrotik_up"] != 1 {
				t.Fatalf("healthy router: mikrotik_up %v", got["mikrotik_up"])
			}

			tt.break_(l, &target)
			manager.ApplyConfig(&config.Config{MikroTik: []config.MikroTikTarget{target}})
			got := endpointScrape(t, h, deadline)
			if got["mikrotik_up"] != 0 {
				t.Errorf("mikrotik_up %v, want 0", got["mikrotik_up"])
			}
			for _, r := range collector.Reasons {
				want := 0.0
				if r == tt.want {
					want = 1
				}
				if v := got["mikrotik_scrape_failure_reason,reason="+string(r)]; v != want {
					t.Errorf("failure reason %s = %v, want %v", r, v, want)
				}
			}
			if _, leaked := got["mikrotik_system_uptime_seconds"]; leaked {
				t.Error("a failed scrape still exported router series")
			}
			// The scrape kept to Prometheus's deadline; the slack covers a loaded machine.
			if d := got["mikrotik_scrape_duration_seconds"]; d > (deadline + 2*time.Second).Seconds() {
				t.Errorf("scrape took %.2fs, past its %v deadline", d, deadline)
			}

			if !tt.recover {
				return
			}
			tt.mend(l, &target)
			time.Sleep(10 * time.Millisecond) // past the test's 5ms maximum backoff
			if got := endpointScrape(t, h, deadline); got["mikrotik_up"] != 1 {
				t.Errorf("after the router recovered: mikrotik_up %v, want 1", got["mikrotik_up"])
			}
		})
	}
}

// closedPort is a loopback address where nothing listens: a listener opened and closed.
func closedPort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
