package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/testtool"
)

// oltVolatile: the scrape duration depends on speed.
var oltVolatile = regexp.MustCompile(`^olt_scrape_duration_seconds[{ ]`)

// TestGoldenOLT starts the built ronda-sim with two HiOSO OLTs (the all-PON page and the
// per-PON overview pages; frozen clock) and the built ronda-exporter, scrapes /olt for
// each, checks the exposition with `promtool check metrics` and compares it with a
// checked-in file (-update rewrites them). Then it powers an ONU down through the
// simulator's control API and checks that the exporter shows it once min_interval has
// passed, and that the OLTs never received a write.
func TestGoldenOLT(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	bin := testtool.Binaries(t)
	control := testtool.Addr(testtool.FreePort(t))
	sim := testtool.Start(t, filepath.Join(bin, "ronda-sim"),
		"--scenario.file="+filepath.Join("testdata", "olt-scenario.yml"), "--control.listen-address="+control,
		"--clock.start=2026-11-24T08:00:00Z", "--clock.frozen")
	sim.WaitHTTP(t, "http://"+control+"/olts")
	var olts []struct{ Name, URL string }
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+control+"/olts", nil)), &olts); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "olt.password"), []byte("golden-olt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("olt:\n")
	for _, o := range olts {
		// min_interval 1s: the second part of the test reads again after a second.
		fmt.Fprintf(&cfg, "  - name: %s\n    driver: hioso\n    url: %s\n    username: admin\n    password_file: olt.password\n    min_interval: 1s\n    labels: {unit: Lab}\n", o.Name, o.URL)
	}
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testtool.Addr(testtool.FreePort(t))
	exporter := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+file, "--web.listen-address="+addr)
	exporter.WaitHTTP(t, "http://"+addr+"/-/ready")

	header := http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"10"}}
	for _, o := range olts {
		body := httpGet(t, "http://"+addr+"/olt?target="+o.Name, header)
		checkMetrics(t, promtool, body)
		compareGolden(t, "olt-"+o.Name+".prom", blankVolatile(body, oltVolatile))
	}

	// Power down ONU 0/1:1 of the first OLT; once min_interval has passed the exporter
	// reads the OLT again and shows the ONU powered down with a dying gasp.
	req, _ := http.NewRequest(http.MethodPost, "http://"+control+"/olts/golden-hioso/onu", strings.NewReader(`{"pon":1,"onu":1,"status":"PwrDown"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("power down an ONU: %v %v", resp, err)
	}
	resp.Body.Close()
	testtool.Eventually(t, 20*time.Second, "the exporter shows the ONU powered down", func(context.Context) error {
		body := httpGet(t, "http://"+addr+"/olt?target=golden-hioso", header)
		for _, want := range []string{`olt_onu_state{pon="0/1",onu="1",state="pwrdown"} 1`, `olt_onu_dying_gasp{pon="0/1",onu="1"} 1`} {
			if !strings.Contains(body, want) {
				return fmt.Errorf("no %s yet", want)
			}
		}
		return nil
	})

	var after []struct {
		Name   string
		Writes int
	}
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+control+"/olts", nil)), &after); err != nil {
		t.Fatal(err)
	}
	for _, o := range after {
		if o.Writes != 0 {
			t.Errorf("OLT %s received %d write requests", o.Name, o.Writes)
		}
	}
}

// blankVolatile blanks the values of the series re matches.
func blankVolatile(exposition string, re *regexp.Regexp) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(exposition, "\n"), "\n") {
		if re.MatchString(line) {
			line = line[:strings.LastIndexByte(line, ' ')] + " <volatile>"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}
