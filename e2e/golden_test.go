package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from this run")

// volatile lists the series whose values depend on the wall clock or on speed; the golden
// comparison keeps their names and labels but not their values.
var volatile = regexp.MustCompile(`^(mikrotik_scrape_duration_seconds|mikrotik_system_boot_time_seconds|` +
	`ronda_exporter_scrape_duration_seconds_(bucket|sum)|ronda_exporter_config_last_reload_success_timestamp_seconds)[{ ]`)

// TestGoldenExporterAgainstSimulator starts the built ronda-sim (frozen clock) and
// ronda-exporter, scrapes /mikrotik for two routers (RouterOS 7 with !empty, RouterOS 6 with
// the challenge login), /metrics and /sd, and compares each with a checked-in file
// (go test ./e2e -run Golden -update rewrites them). Every exposition must pass
// `promtool check metrics`.
func TestGoldenExporterAgainstSimulator(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	bin := testtool.Binaries(t)
	lab := startLab(t, bin, filepath.Join("testdata", "golden-scenario.yml"))
	exporter := startExporter(t, bin, lab, "hotspot_users: all")
	// Sessions started with the lab; 25 minutes on, they have uptime and less time left.
	httpPost(t, lab.control+"/clock/advance?by=25m")

	for _, router := range []string{"golden-a", "golden-b"} {
		body := httpGet(t, exporter+"/mikrotik?target="+router, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"10"}})
		checkMetrics(t, promtool, body)
		compareGolden(t, "mikrotik-"+router+".prom", normalise(body))
	}

	// After the two scrapes above, the exporter's own metrics are known exactly.
	metrics := httpGet(t, exporter+"/metrics", nil)
	checkMetrics(t, promtool, metrics)
	compareGolden(t, "metrics.prom", normalise(onlyFamilies(metrics, "ronda_exporter_")))

	sd := strings.ReplaceAll(httpGet(t, exporter+"/sd", nil), strings.TrimPrefix(exporter, "http://"), "EXPORTER")
	compareGolden(t, "sd.json", sd)
}

type lab struct {
	control string            // http://127.0.0.1:port of the simulator's control endpoint
	routers map[string]string // name → address
}

// startLab runs ronda-sim on a scenario with a frozen clock and learns its routers' ports.
func startLab(t *testing.T, bin, scenario string) lab {
	t.Helper()
	control := testtool.Addr(testtool.FreePort(t))
	sim := testtool.Start(t, filepath.Join(bin, "ronda-sim"),
		"--scenario.file="+scenario, "--control.listen-address="+control,
		"--clock.start=2026-11-24T08:00:00Z", "--clock.frozen")
	sim.WaitHTTP(t, "http://"+control+"/routers")
	var routers []struct{ Name, Address string }
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+control+"/routers", nil)), &routers); err != nil {
		t.Fatalf("ronda-sim /routers: %v", err)
	}
	l := lab{control: "http://" + control, routers: map[string]string{}}
	for _, r := range routers {
		l.routers[r.Name] = r.Address
	}
	return l
}

// startExporter runs ronda-exporter with one target per simulated router.
func startExporter(t *testing.T, bin string, l lab, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "router.password"), []byte("golden-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("mikrotik:\n")
	for _, name := range []string{"golden-a", "golden-b"} {
		fmt.Fprintf(&cfg, "  - name: %s\n    address: %s\n    username: ronda\n    password_file: router.password\n    %s\n    labels: {unit: Unit %s, location: Lab}\n",
			name, l.routers[name], extra, strings.ToUpper(name[len(name)-1:]))
	}
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testtool.Addr(testtool.FreePort(t))
	p := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+file, "--web.listen-address="+addr, "--log.level=debug")
	p.WaitHTTP(t, "http://"+addr+"/-/ready")
	return "http://" + addr
}

func httpGet(t *testing.T, url string, header http.Header) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, body)
	}
	return string(body)
}

func httpPost(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, body)
	}
}

// checkMetrics runs `promtool check metrics`, which fails on invalid exposition text and on
// naming problems (a counter without _total, units not in the name, …).
func checkMetrics(t *testing.T, promtool, exposition string) {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// normalise blanks the values of volatile series and the build details of build_info.
func normalise(exposition string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(exposition, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "ronda_exporter_build_info{"):
			line = "ronda_exporter_build_info{…} 1"
		case volatile.MatchString(line):
			line = line[:strings.LastIndexByte(line, ' ')] + " <volatile>"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}

// onlyFamilies keeps the HELP, TYPE and sample lines of the families with a prefix.
func onlyFamilies(exposition, prefix string) string {
	var out []string
	for _, line := range strings.Split(exposition, "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if strings.HasPrefix(name, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n%s", name, diffLines(string(want), got))
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got string) string {
	wantSet, gotSet := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		wantSet[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		gotSet[l] = true
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !gotSet[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !wantSet[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
