package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/testtool"
)

// demoPorts are the ports scripts/demo.sh listens on.
var demoPorts = []int{18080, 18728, 18729, 18800, 18801, 18802, 18803, 18804, 18822, 18823, 9850, 9851, 9093, 9090, 9852}

// TestMakeDemo runs the script behind `make demo` on freshly built binaries and checks that
// the real Prometheus discovers both simulated routers through /sd and scrapes them, with
// the labels from examples/ronda.yml; that the events of the simulator's timeline reach
// the terminal through the rules, Alertmanager and ronda-webhook's console channel; that
// the power cut is on the restore page; and that Ctrl-C stops everything. Prometheus and
// Alertmanager load the shortened copies of rules/ and examples/alertmanager.yml
// (fast_test.go), so the alerts come within the test's patience.
func TestMakeDemo(t *testing.T) {
	testtool.Need(t, "prometheus")
	testtool.Need(t, "prometheus-alertmanager")
	testtool.Need(t, "curl")
	bin := testtool.Binaries(t)
	demo := startDemo(t, bin)

	const prom = "http://127.0.0.1:9090"
	// The timeline powers hotspot-pasar off from 1:30 to 2:00: a slow start may have to wait.
	testtool.Eventually(t, 3*time.Minute, "Prometheus scrapes both routers through /sd", func(ctx context.Context) error {
		up, err := promQuery(ctx, prom, `mikrotik_up{job="ronda"}`)
		if err != nil {
			return err
		}
		var got []string
		for _, s := range up {
			if s.Value != 1 {
				return fmt.Errorf("%v is down", s.Labels)
			}
			got = append(got, s.Labels["instance"]+"/"+s.Labels["unit"])
		}
		slices.Sort(got)
		want := []string{"hotspot-masjid/Masjid Al-Ikhlas", "hotspot-pasar/Pasar Baru"}
		if !slices.Equal(got, want) {
			return fmt.Errorf("mikrotik_up instances/units: got %v, want %v", got, want)
		}
		return nil
	})

	testtool.Eventually(t, 90*time.Second, "Prometheus scrapes the demo OLTs through /sd", func(ctx context.Context) error {
		up, err := promQuery(ctx, prom, `olt_up{job="ronda"} == 1 and on(instance) (olt_pon_onus{state="up"} > 0)`)
		if len(up) != 5 || err != nil {
			return fmt.Errorf("OLTs up with ONUs: %v %v, want olt-pasar, olt-masjid, olt-sawah, olt-kebun and olt-gardu", up, err)
		}
		return nil
	})

	testtool.Eventually(t, 90*time.Second, "Prometheus scrapes the demo's SSH hosts through /sd", func(ctx context.Context) error {
		up, err := promQuery(ctx, prom, `ssh_up{job="ronda"} == 1 and on(instance) node_systemd_unit_state{name="backup.timer",state="inactive"} == 1`)
		if len(up) != 1 || err != nil || up[0].Labels["instance"] != "nas-masjid" {
			return fmt.Errorf("SSH hosts up with backup.timer stopped: %v %v, want nas-masjid", up, err)
		}
		up, err = promQuery(ctx, prom, `ssh_up{job="ronda"} == 1 and on(instance) node_uname_info`)
		if len(up) != 2 || err != nil {
			return fmt.Errorf("SSH hosts up with node_uname_info: %v %v, want web-pasar and nas-masjid", up, err)
		}
		return nil
	})

	testtool.Eventually(t, 90*time.Second, "Prometheus probes the demo's probe targets through /sd", func(ctx context.Context) error {
		up, err := promQuery(ctx, prom, `probe_success{job="ronda"} == 1`)
		var got []string
		for _, s := range up {
			got = append(got, s.Labels["instance"]+"/"+s.Labels["unit"])
		}
		slices.Sort(got)
		if want := []string{"gateway-pusat/Kantor Pusat", "sim-control/Kantor Pusat"}; err != nil || !slices.Equal(got, want) {
			return fmt.Errorf("probes succeeding: %v %v, want %v", got, err, want)
		}
		return nil
	})

	// rules/ is loaded through examples/prometheus.yml: recording rules produce data and the
	// demo's stopped backup.timer makes ServiceNotActive pending (or firing).
	testtool.Eventually(t, 90*time.Second, "Prometheus evaluates rules/", func(ctx context.Context) error {
		ratio, err := promQuery(ctx, prom, `instance:olt_onus_online:ratio`)
		if len(ratio) != 5 || err != nil {
			return fmt.Errorf("instance:olt_onus_online:ratio: %v %v, want one per demo OLT", ratio, err)
		}
		alert, err := promQuery(ctx, prom, `ALERTS{alertname="ServiceNotActive",instance="nas-masjid",name="backup.timer"}`)
		if len(alert) != 1 || err != nil {
			return fmt.Errorf("ServiceNotActive for nas-masjid's backup.timer: %v %v", alert, err)
		}
		return nil
	})
	if bad := unhealthyRules(t, prom); len(bad) > 0 {
		t.Errorf("rules failing to evaluate on the demo's data:\n%s", strings.Join(bad, "\n"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sessions, err := promQuery(ctx, prom, `sum(mikrotik_hotspot_active_sessions)`)
	if err != nil || len(sessions) != 1 || sessions[0].Value < 1 {
		t.Errorf("active sessions in the demo lab: %v %v, want some online", sessions, err)
	}

	// The timeline's power cut (1:30 to 2:00): Prometheus sees the boot time jump and the
	// sessions vanish.
	testtool.Eventually(t, 4*time.Minute, "Prometheus sees the timeline's reboot", func(ctx context.Context) error {
		after, err := promQuery(ctx, prom, `time() - mikrotik_system_boot_time_seconds{instance="hotspot-pasar"}`)
		if err != nil || len(after) != 1 {
			return fmt.Errorf("uptime: %v %v", after, err)
		}
		if after[0].Value > 600 {
			return fmt.Errorf("hotspot-pasar has been up %.0fs: no reboot yet", after[0].Value)
		}
		active, err := promQuery(ctx, prom, `count(mikrotik_hotspot_active_uptime_seconds{instance="hotspot-pasar"})`)
		if err != nil || len(active) != 0 {
			return fmt.Errorf("sessions still online after the power cut: %v %v", active, err)
		}
		return nil
	})
	// The timeline's events arrive on the terminal, each in its message format, in
	// Bahasa Indonesia (examples/ronda-webhook-demo.yml).
	for _, want := range []struct{ what, header string }{
		{"the reboot", "Router hotspot-pasar rebooted"},
		{"Kantor Desa's dying gasp", "E0:E8:E6:01:02:02"},
		{"web-pasar unreachable", "SERVER DOWN"},
	} {
		testtool.Eventually(t, 4*time.Minute, want.what+" on the console", func(context.Context) error {
			if consoleMessage(demo.Output(), want.header, "") == "" {
				return fmt.Errorf("no %q message yet", want.header)
			}
			return nil
		})
	}
	out := demo.Output()
	if msg := consoleMessage(out, "Router hotspot-pasar rebooted", ""); !strings.Contains(msg, "ronda-restore apply --router hotspot-pasar --reboot ") {
		t.Errorf("the reboot's message lacks the ronda-restore command:\n%s", msg)
	}
	// Kantor Desa's ONU: olt-pasar's PON 2, ONU 2, MAC E0:E8:E6:01:02:02.
	if msg := consoleMessage(out, "ONU PWRDOWN", "MAC: E0:E8:E6:01:02:02"); !strings.Contains(msg, "OLT: olt-pasar") || !strings.Contains(msg, "PON: 0/2\nONU: 2\n") || !strings.Contains(msg, "Kantor Desa") {
		t.Errorf("no ONU PWRDOWN message for olt-pasar's PON 0/2 ONU 2 (Kantor Desa):\n%s", out)
	}
	if msg := consoleMessage(out, "SERVER DOWN", "web-pasar"); !strings.Contains(msg, "Pasar Baru") || !strings.Contains(msg, "maps?q=-6.9147,107.6098") {
		t.Errorf("the SERVER DOWN message for web-pasar lacks its unit or map link:\n%s", msg)
	}
	// The restore page lists that power cut.
	testtool.Eventually(t, 60*time.Second, "the restore page lists the power cut", func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:9852/routers/hotspot-pasar", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.Count(string(body), ">Show users</a>") != 1 {
			return fmt.Errorf("%s:\n%s", resp.Status, body)
		}
		return nil
	})

	// The timeline brings web-pasar back at 10:00; the test does it now through the control
	// API and sees the recovery (and the panels of its custom command get data again).
	postJSON(t, "http://127.0.0.1:18080/hosts/web-pasar/fault", `{"fault":"none"}`)
	testtool.Eventually(t, 3*time.Minute, "web-pasar's recovery on the console", func(context.Context) error {
		if consoleMessage(demo.Output(), "SERVER UP", "Host: web-pasar") == "" {
			return fmt.Errorf("no SERVER UP message for web-pasar yet")
		}
		return nil
	})

	// Every panel of every dashboard has data in the demo (dashboards_test.go).
	checkDashboardQueries(t, prom)

	stopDemo(t, demo)
}

// startDemo runs scripts/demo.sh on the built binaries, with the shortened copies of rules/
// and examples/alertmanager.yml and the extra environment given, and returns once it says
// it is running.
func startDemo(t *testing.T, bin string, env ...string) *testtool.Process {
	t.Helper()
	for _, port := range demoPorts {
		if c, err := net.DialTimeout("tcp", testtool.Addr(port), time.Second); err == nil {
			c.Close()
			t.Fatalf("port %d is taken: the demo needs it (is a demo running?)", port)
		}
	}
	script := filepath.Join(testtool.Root(), "scripts", "demo.sh")
	demo := testtool.StartIn(t, testtool.Root(), append([]string{"RONDA_BIN=" + bin, "RONDA_DEMO_STATE=" + t.TempDir(),
		"RONDA_DEMO_RULES=" + fastRules(t), "RONDA_DEMO_ALERTMANAGER_CONFIG=" + fastAlertmanager(t)}, env...), script)
	testtool.Eventually(t, 60*time.Second, "demo reports it is running", func(context.Context) error {
		if !strings.Contains(demo.Output(), "ronda demo is running") {
			return fmt.Errorf("output so far:\n%s", demo.Output())
		}
		return nil
	})
	return demo
}

// stopDemo presses Ctrl-C, which reaches the script's process group as in a terminal, and
// checks that everything stopped.
func stopDemo(t *testing.T, demo *testtool.Process) {
	t.Helper()
	if err := syscall.Kill(-demo.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-demo.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("the demo did not stop within 20s of Ctrl-C:\n%s", demo.Output())
	}
	for _, port := range demoPorts {
		if c, err := net.DialTimeout("tcp", testtool.Addr(port), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still answers after the demo stopped", port)
		}
	}
}

// unhealthyRules lists the rules Prometheus reports as failing (a many-to-many match, a
// template error), with their error.
func unhealthyRules(t *testing.T, prom string) []string {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name, Health, LastError string
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			if rule.Health != "ok" {
				bad = append(bad, rule.Name+": "+rule.Health+" "+rule.LastError)
			}
		}
	}
	return bad
}

// consoleMessage finds the first message ronda-webhook's console channel printed in out
// whose text holds both header and detail, and returns it ("" when there is none).
func consoleMessage(out, header, detail string) string {
	for _, block := range strings.Split(out, "──── console · ")[1:] {
		if strings.Contains(block, header) && strings.Contains(block, detail) {
			return block
		}
	}
	return ""
}
