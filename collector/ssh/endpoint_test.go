package ssh_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/collector"
	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// TestEndpointFaults: each way a host can fail gives ssh_up 0 with its reason within the
// deadline, through the framework as Prometheus scrapes it, and the next scrape recovers
// once the host does.
func TestEndpointFaults(t *testing.T) {
	tests := []struct {
		name    string
		break_  func(h *sshhost.Host)
		mend    func(h *sshhost.Host)
		want    collector.Reason
		fresh   bool // the fault shows only on a new connection
		logins1 bool // recovering needs no new login
	}{
		{"power cut", func(h *sshhost.Host) { h.PowerOff() }, func(h *sshhost.Host) { must(t, h.PowerOn()) }, collector.ReasonConnect, false, false},
		{"sshd hangs", func(h *sshhost.Host) { must(t, h.SetFault(sshhost.FaultStall)) }, nil, collector.ReasonTimeout, true, false},
		{"not SSH", func(h *sshhost.Host) { must(t, h.SetFault(sshhost.FaultGarbage)) }, nil, collector.ReasonProtocol, true, false},
		{"sessions refused", func(h *sshhost.Host) { must(t, h.SetFault(sshhost.FaultRefuseSession)) }, nil, collector.ReasonDevice, false, true},
		{"script fails", func(h *sshhost.Host) { must(t, h.SetFault(sshhost.FaultScriptFails)) }, nil, collector.ReasonProtocol, false, true},
		{"exec never answered", func(h *sshhost.Host) { must(t, h.SetFault(sshhost.FaultStallExec)) }, nil, collector.ReasonTimeout, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, cfg := simHosts(t, 1, nil, nil)
			h := hosts[0]
			coll := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
			manager := collector.NewManager(collector.Options{}, coll)
			defer manager.Close()
			manager.ApplyConfig(cfg)
			handler := manager.Handler(config.KindSSH)

			if got := endpointScrape(t, handler); got["ssh_up"] != 1 {
				t.Fatalf("healthy host: ssh_up %v", got["ssh_up"])
			}
			tt.break_(h)
			if tt.fresh {
				h.PowerOff() // drop the kept connection so the next dial meets the fault
				must(t, h.PowerOn())
			}
			start := time.Now()
			got := endpointScrape(t, handler)
			if got["ssh_up"] != 0 || failureReason(got) != string(tt.want) {
				t.Errorf("ssh_up %v, reason %q, want 0 and %s", got["ssh_up"], failureReason(got), tt.want)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("the failed scrape took %s", took)
			}
			if tt.mend != nil {
				tt.mend(h)
			} else {
				must(t, h.SetFault(sshhost.FaultNone))
			}
			logins := h.Logins()
			time.Sleep(20 * time.Millisecond) // the 1ms backoff after the failure
			if got := endpointScrape(t, handler); got["ssh_up"] != 1 {
				t.Errorf("after recovery: ssh_up %v, reason %q", got["ssh_up"], failureReason(got))
			}
			if tt.logins1 && h.Logins() != logins {
				t.Errorf("a session-level fault cost the connection (%d logins, was %d)", h.Logins(), logins)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// endpointScrape is GET /ssh?target=sim-000 with a 2s scrape timeout.
func endpointScrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/ssh?target=sim-000", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2")
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
			out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return out
}

// TestKeepaliveDropsDeadPeer: a host that stops answering without closing the connection
// (frozen, or a link gone without a reset) is noticed by the keepalives, and the next
// scrape after it comes back logs in again instead of waiting on the dead connection.
func TestKeepaliveDropsDeadPeer(t *testing.T) {
	hosts, cfg := simHosts(t, 1, nil, nil)
	h := hosts[0]
	coll := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{
		KeepaliveInterval: 100 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	defer coll.Close()
	coll.Reload(cfg)
	if _, err := scrapeDirect(t, coll, "sim-000"); err != nil {
		t.Fatal(err)
	}
	must(t, h.SetFault(sshhost.FaultBlackhole))
	// Two keepalive intervals drop the connection; the rest is slack for a loaded machine.
	// Were it kept, the next session would wait on it until the scrape's deadline.
	time.Sleep(2 * time.Second)
	must(t, h.SetFault(sshhost.FaultNone))
	got, err := scrapeDirect(t, coll, "sim-000")
	if err != nil {
		t.Fatal(err)
	}
	if got["ssh_connection_reused"] != 0 || h.Logins() != 2 {
		t.Errorf("reused %v, %d logins: the dead connection was not dropped", got["ssh_connection_reused"], h.Logins())
	}
}
