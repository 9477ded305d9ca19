package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/testtool"
)

var alertmanagerExample = filepath.Join("..", "examples", "alertmanager.yml")

func TestAlertmanagerExampleValid(t *testing.T) {
	amtool := testtool.Need(t, "amtool")
	if out, err := exec.Command(amtool, "check-config", alertmanagerExample).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}

// routeTest asks amtool which receivers an alert with these labels reaches, and fails
// unless they are exactly want.
func routeTest(t *testing.T, amtool, want string, labels map[string]string) {
	t.Helper()
	args := []string{"config", "routes", "test", "--config.file=" + alertmanagerExample, "--verify.receivers=" + want}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, fmt.Sprintf("%s=%s", k, labels[k]))
	}
	out, err := exec.Command(amtool, args...).CombinedOutput()
	if err != nil {
		t.Errorf("alert %v: want receiver %s, amtool says: %v\n%s", labels, want, err, out)
	}
}

// TestAlertmanagerRoutes checks the routing decisions of the example, case by case.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := testtool.Need(t, "amtool")
	for _, c := range []struct {
		want   string
		labels map[string]string
	}{
		{"critical", map[string]string{"alertname": "OnuPowerDown", "severity": "critical", "instance": "olt-pasar", "pon": "0/1", "onu": "3"}},
		{"it-team", map[string]string{"alertname": "OnuDown", "severity": "warning", "instance": "olt-pasar", "pon": "0/1", "onu": "4"}},
		{"critical", map[string]string{"alertname": "OltPonOutage", "severity": "critical", "instance": "olt-pasar", "pon": "0/1"}},
		{"critical", map[string]string{"alertname": "MikrotikDown", "severity": "critical", "instance": "hotspot-pasar", "unit": "Pasar Baru"}},
		{"it-team", map[string]string{"alertname": "ProbeTargetDown", "severity": "warning", "instance": "kantor-cabang-1", "unit": "Cabang 1"}},
		{"it-team", map[string]string{"alertname": "RondaScrapeSlotsExhausted", "severity": "info"}},
		{"it-team-events", map[string]string{"alertname": "MikrotikRebooted", "severity": "warning", "instance": "hotspot-pasar", "boot_time": "1767225600"}},
		// Hands-off restore is opt-in per router, by a target label from ronda.yml.
		{"it-team-restore", map[string]string{"alertname": "MikrotikRebooted", "severity": "warning", "instance": "hotspot-pasar", "boot_time": "1767225600", "auto_restore": "true"}},
		{"it-team-events", map[string]string{"alertname": "MikrotikRebooted", "severity": "warning", "instance": "hotspot-pasar", "boot_time": "1767225600", "auto_restore": "false"}},
	} {
		routeTest(t, amtool, c.want, c.labels)
	}
}

// TestEveryAlertRouted routes every alert of rules/ with its own labels (plus the labels
// its series carry): critical ones reach the critical receiver, the rest Telegram.
func TestEveryAlertRouted(t *testing.T) {
	amtool := testtool.Need(t, "amtool")
	for _, f := range ruleFiles(t) {
		for _, g := range decode[ruleFile](t, f).Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				labels := map[string]string{"alertname": r.Alert, "instance": "x", "unit": "Pasar Baru"}
				for k, v := range r.Labels {
					if !strings.Contains(v, "{{") {
						labels[k] = v
					}
				}
				if strings.HasPrefix(r.Alert, "Onu") || r.Alert == "OltPonOutage" {
					labels["pon"] = "0/1"
				}
				want := "it-team"
				switch {
				case r.Alert == "MikrotikRebooted":
					want = "it-team-events"
				case r.Labels["severity"] == "critical":
					want = "critical"
				}
				routeTest(t, amtool, want, labels)
			}
		}
	}
}

// notification is the part of Alertmanager's webhook payload the test reads.
type notification struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// TestAlertmanagerInhibitionAndGrouping runs the real Alertmanager on the example (its
// webhook URLs pointed at a recorder, its waits shortened) and checks the inhibitions and
// the groups it sends.
func TestAlertmanagerInhibitionAndGrouping(t *testing.T) {
	am := testtool.Need(t, "prometheus-alertmanager")

	var mu sync.Mutex
	var got []notification
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook payload: %v", err)
		}
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
	}))
	defer rec.Close()

	cfg, err := os.ReadFile(alertmanagerExample)
	if err != nil {
		t.Fatal(err)
	}
	// Only the delivery address and the waits change; routes and inhibitions are the example's.
	text := strings.ReplaceAll(string(cfg), "http://127.0.0.1:9851", rec.URL)
	text = strings.Replace(text, "group_wait: 30s", "group_wait: 1s", 1)
	text = strings.Replace(text, "group_interval: 5m", "group_interval: 1s", 1)
	if text == string(cfg) || !strings.Contains(text, "group_wait: 1s") {
		t.Fatal("the example's webhook URL or group_wait changed: update this test")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testtool.FreePort(t)
	base := "http://" + testtool.Addr(port)
	p := testtool.Start(t, am, "--config.file="+cfgPath, "--storage.path="+dir,
		"--web.listen-address="+testtool.Addr(port), "--cluster.listen-address=")
	p.WaitHTTP(t, base+"/-/ready")

	olt := map[string]string{"instance": "olt-masjid", "job": "ronda", "unit": "Masjid Al-Ikhlas"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	alerts := []map[string]string{
		// PON 0/2 out: its ONUs are inhibited, PON 0/3's ONU is not.
		with(olt, "alertname", "OltPonOutage", "severity", "critical", "pon", "0/2"),
		with(olt, "alertname", "OnuPowerDown", "severity", "critical", "pon", "0/2", "onu", "1", "state", "pwrdown"),
		with(olt, "alertname", "OnuPowerDown", "severity", "critical", "pon", "0/2", "onu", "2", "state", "pwrdown"),
		with(olt, "alertname", "OnuPowerDown", "severity", "critical", "pon", "0/3", "onu", "7", "state", "pwrdown"),
		// A critical RX reading inhibits the warning of the same ONU, not another ONU's.
		with(olt, "alertname", "OnuRxPowerLow", "severity", "critical", "pon", "0/4", "onu", "1"),
		with(olt, "alertname", "OnuRxPowerLow", "severity", "warning", "pon", "0/4", "onu", "1"),
		with(olt, "alertname", "OnuRxPowerLow", "severity", "warning", "pon", "0/4", "onu", "2"),
		// An unreachable server: its service alert is inhibited; another server's is not.
		{"alertname": "SshHostDown", "severity": "warning", "instance": "nas-masjid", "unit": "Masjid Al-Ikhlas"},
		{"alertname": "ServiceNotActive", "severity": "critical", "instance": "nas-masjid", "unit": "Masjid Al-Ikhlas", "name": "smbd.service"},
		{"alertname": "ServiceNotActive", "severity": "critical", "instance": "web-pasar", "unit": "Pasar Baru", "name": "nginx.service"},
	}
	var body []map[string]any
	for _, l := range alerts {
		body = append(body, map[string]any{"labels": l, "annotations": map[string]string{"summary": "test"}})
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}

	key := func(l map[string]string) string {
		return l["alertname"] + "/" + l["severity"] + "/" + l["instance"] + "/" + l["pon"] + "/" + l["onu"] + "/" + l["name"]
	}
	wantSuppressed := []string{
		"OnuPowerDown/critical/olt-masjid/0/2/1/",
		"OnuPowerDown/critical/olt-masjid/0/2/2/",
		"OnuRxPowerLow/warning/olt-masjid/0/4/1/",
		"ServiceNotActive/critical/nas-masjid///smbd.service",
	}
	testtool.Eventually(t, 30*time.Second, "Alertmanager inhibits exactly the expected alerts", func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v2/alerts", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var list []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				State       string   `json:"state"`
				InhibitedBy []string `json:"inhibitedBy"`
			} `json:"status"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("%v: %s", err, raw)
		}
		if len(list) != len(alerts) {
			return fmt.Errorf("%d alerts in Alertmanager, want %d", len(list), len(alerts))
		}
		var suppressed []string
		for _, a := range list {
			if len(a.Status.InhibitedBy) > 0 {
				suppressed = append(suppressed, key(a.Labels))
			}
		}
		slices.Sort(suppressed)
		if !slices.Equal(suppressed, wantSuppressed) {
			return fmt.Errorf("inhibited:\n%s\nwant:\n%s", strings.Join(suppressed, "\n"), strings.Join(wantSuppressed, "\n"))
		}
		return nil
	})

	// The notifications: one group per OLT PON for ONU alerts, one per site otherwise,
	// without the inhibited alerts.
	want := map[string][]string{
		"critical {instance=olt-masjid pon=0/2}": {"OltPonOutage/critical/olt-masjid/0/2//"},
		"critical {instance=olt-masjid pon=0/3}": {"OnuPowerDown/critical/olt-masjid/0/3/7/"},
		"critical {instance=olt-masjid pon=0/4}": {"OnuRxPowerLow/critical/olt-masjid/0/4/1/"},
		"it-team {instance=olt-masjid pon=0/4}":  {"OnuRxPowerLow/warning/olt-masjid/0/4/2/"},
		"it-team {unit=Masjid Al-Ikhlas}":        {"SshHostDown/warning/nas-masjid///"},
		"critical {unit=Pasar Baru}":             {"ServiceNotActive/critical/web-pasar///nginx.service"},
	}
	testtool.Eventually(t, 30*time.Second, "Alertmanager sends the expected groups", func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		groups := map[string][]string{}
		for _, n := range got {
			gk := make([]string, 0, len(n.GroupLabels))
			for k, v := range n.GroupLabels {
				gk = append(gk, k+"="+v)
			}
			slices.Sort(gk)
			name := n.Receiver + " {" + strings.Join(gk, " ") + "}"
			var keys []string
			for _, a := range n.Alerts {
				keys = append(keys, key(a.Labels))
			}
			slices.Sort(keys)
			groups[name] = keys // the latest notification of the group
		}
		var problems []string
		for g, w := range want {
			if !slices.Equal(groups[g], w) {
				problems = append(problems, fmt.Sprintf("group %s: got %v, want %v", g, groups[g], w))
			}
		}
		for g := range groups {
			if _, ok := want[g]; !ok {
				problems = append(problems, fmt.Sprintf("unexpected group %s: %v", g, groups[g]))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "\n"))
		}
		return nil
	})
}
