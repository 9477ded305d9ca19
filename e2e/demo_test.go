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

// TestMakeDemo runs the script behind `make demo` on freshly built binaries and checks that
// the real Prometheus discovers both simulated routers through /sd and scrapes them, with
// the labels from examples/ronda.yml, and that Ctrl-C stops everything.
func TestMakeDemo(t *testing.T) {
	testtool.Need(t, "prometheus")
	testtool.Need(t, "curl")
	bin := testtool.Binaries(t)
	for _, port := range []int{18080, 18728, 18729, 18800, 18801, 18802, 18803, 18804, 9850, 9090, 9852} {
		if c, err := net.DialTimeout("tcp", testtool.Addr(port), time.Second); err == nil {
			c.Close()
			t.Fatalf("port %d is taken: the demo needs it (is a demo running?)", port)
		}
	}

	script := filepath.Join(testtool.Root(), "scripts", "demo.sh")
	demo := testtool.StartIn(t, testtool.Root(), []string{"RONDA_BIN=" + bin, "RONDA_DEMO_STATE=" + t.TempDir()}, script)

	testtool.Eventually(t, 60*time.Second, "demo reports it is running", func(context.Context) error {
		if !strings.Contains(demo.Output(), "ronda demo is running") {
			return fmt.Errorf("output so far:\n%s", demo.Output())
		}
		return nil
	})

	const prom = "http://127.0.0.1:9090"
	testtool.Eventually(t, 90*time.Second, "Prometheus scrapes both routers through /sd", func(ctx context.Context) error {
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

	// A power cut in the lab: Prometheus sees the boot time jump and the sessions vanish.
	before, err := promQuery(ctx, prom, `mikrotik_system_boot_time_seconds{instance="hotspot-pasar"}`)
	if err != nil || len(before) != 1 {
		t.Fatalf("boot time before the power cut: %v %v", before, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:18080/routers/hotspot-pasar/power-loss", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("power-loss: %v %v", resp, err)
	}
	resp.Body.Close()
	testtool.Eventually(t, 60*time.Second, "Prometheus sees the reboot", func(ctx context.Context) error {
		after, err := promQuery(ctx, prom, `mikrotik_system_boot_time_seconds{instance="hotspot-pasar"}`)
		if err != nil || len(after) != 1 {
			return fmt.Errorf("boot time: %v %v", after, err)
		}
		if after[0].Value < before[0].Value+60 {
			return fmt.Errorf("boot time %v, was %v before the power cut", after[0].Value, before[0].Value)
		}
		active, err := promQuery(ctx, prom, `count(mikrotik_hotspot_active_uptime_seconds{instance="hotspot-pasar"})`)
		if err != nil || len(active) != 0 {
			return fmt.Errorf("sessions still online after the power cut: %v %v", active, err)
		}
		return nil
	})
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

	// Every panel of every dashboard has data in the demo (dashboards_test.go).
	checkDashboardQueries(t, prom)

	// Ctrl-C reaches the script's process group, as in a terminal.
	if err := syscall.Kill(-demo.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-demo.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("the demo did not stop within 20s of Ctrl-C:\n%s", demo.Output())
	}
	for _, port := range []int{18080, 18728, 9850, 9090, 9852} {
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
