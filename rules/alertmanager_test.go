package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/route"
	"github.com/rondanet/ronda/internal/testtool"
)

var (
	alertmanagerExample = filepath.Join("..", "examples", "alertmanager.yml")
	// webhookExample is the ronda-webhook configuration that goes with alertmanagerExample.
	webhookExample = filepath.Join("..", "examples", "ronda-webhook.yml")
)

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
	eachAlert(t, func(_ string, r rule, labels map[string]string) {
		want := "it-team"
		switch {
		case r.Alert == "MikrotikRebooted":
			want = "it-team-events"
		case r.Labels["severity"] == "critical":
			want = "critical"
		}
		routeTest(t, amtool, want, labels)
	})
}

// eachAlert calls f for every alert of rules/ (file, rule) with the labels it would carry:
// its own fixed labels and those of the series it reads.
func eachAlert(t *testing.T, f func(file string, r rule, labels map[string]string)) {
	t.Helper()
	for _, file := range ruleFiles(t) {
		for _, g := range decode[ruleFile](t, file).Groups {
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
				f(file, r, labels)
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

// webhookReceivers maps each receiver of the Alertmanager example that posts to
// ronda-webhook to the receiver name ronda-webhook routes by: the URL path's
// (/alert/NAME) when given, else the receiver's own name, as alertmanager-webhook/app does.
func webhookReceivers(t *testing.T) map[string]string {
	t.Helper()
	am := decode[struct {
		Receivers []struct {
			Name           string `yaml:"name"`
			WebhookConfigs []struct {
				URL string `yaml:"url"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}](t, alertmanagerExample)
	out := map[string]string{}
	for _, r := range am.Receivers {
		for _, wc := range r.WebhookConfigs {
			u, err := url.Parse(wc.URL)
			if err != nil {
				t.Fatalf("%s: receiver %s: %v", alertmanagerExample, r.Name, err)
			}
			name, ok := r.Name, u.Path == "/alert"
			if rest, cut := strings.CutPrefix(u.Path, "/alert/"); cut && rest != "" {
				name, ok = rest, true
			}
			if !ok {
				continue // not ronda-webhook
			}
			if prev, dup := out[r.Name]; dup && prev != name {
				t.Fatalf("%s: receiver %s posts to ronda-webhook as both %s and %s", alertmanagerExample, r.Name, prev, name)
			}
			out[r.Name] = name
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no receiver posts to ronda-webhook (/alert)", alertmanagerExample)
	}
	return out
}

// loadWebhookExample loads examples/ronda-webhook.yml with the secrets it names set.
func loadWebhookExample(t *testing.T) *config.Config {
	t.Helper()
	for _, env := range []string{"TELEGRAM_BOT_TOKEN", "FONNTE_TOKEN", "ZENZIVA_USERKEY", "ZENZIVA_PASSKEY"} {
		t.Setenv(env, "123:test")
	}
	cfg, err := config.Load(webhookExample)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestWebhookRoutesNameAlertmanagerReceivers: every route of examples/ronda-webhook.yml
// names a receiver under which examples/alertmanager.yml really posts (a route naming
// any other can never match: routes for a receiver "olt" that did not exist once kept
// high-priority ONU alerts off WhatsApp), and every such receiver has a route.
func TestWebhookRoutesNameAlertmanagerReceivers(t *testing.T) {
	receivers := webhookReceivers(t)
	posted := map[string]bool{}
	for _, name := range receivers {
		posted[name] = true
	}
	cfg := loadWebhookExample(t)
	routed := map[string]bool{}
	for i, r := range cfg.Routes {
		if r.Receiver == "" {
			for name := range posted {
				routed[name] = true
			}
			continue
		}
		routed[r.Receiver] = true
		if posted[r.Receiver] {
			continue
		}
		if as, defined := receivers[r.Receiver]; defined {
			t.Errorf("%s: routes[%d] (channels %v) names receiver %q, which %s posts as %q: it can never match",
				webhookExample, i, r.Channels, r.Receiver, alertmanagerExample, as)
		} else {
			t.Errorf("%s: routes[%d] (channels %v) names receiver %q, which %s does not define: it can never match",
				webhookExample, i, r.Channels, r.Receiver, alertmanagerExample)
		}
	}
	for name := range posted {
		if !routed[name] {
			t.Errorf("%s posts to ronda-webhook as %q, but %s has no route for it: its alerts reach nobody",
				alertmanagerExample, name, webhookExample)
		}
	}
}

// webhookChannels follows an alert through both examples: the receiver amtool says
// Alertmanager picks, then ronda-webhook's routes for that receiver. It returns the
// channels, sorted.
func webhookChannels(t *testing.T, amtool string, receivers map[string]string, cfg *config.Config, labels map[string]string) []string {
	t.Helper()
	args := []string{"config", "routes", "test", "--config.file=" + alertmanagerExample}
	for k, v := range labels {
		args = append(args, fmt.Sprintf("%s=%s", k, v))
	}
	out, err := exec.Command(amtool, args...).Output()
	if err != nil {
		t.Fatalf("amtool %v: %v", labels, err)
	}
	var channels []string
	for _, am := range strings.Split(strings.TrimSpace(string(out)), ",") {
		name, ok := receivers[am]
		if !ok {
			t.Errorf("alert %v: Alertmanager picks receiver %q, which does not post to ronda-webhook", labels, am)
			continue
		}
		m := &payload.Message{Receiver: am, Status: payload.StatusFiring,
			Alerts: []payload.Alert{{Status: payload.StatusFiring, Labels: labels}}}
		deliveries, unrouted := route.Route(cfg.Routes, name, m)
		if unrouted > 0 {
			t.Errorf("alert %v: no route of %s takes it (receiver %s)", labels, webhookExample, name)
		}
		for _, d := range deliveries {
			channels = append(channels, d.Channel)
		}
	}
	slices.Sort(channels)
	return slices.Compact(channels)
}

// TestEveryAlertReachesItsChannels follows every alert of rules/ through
// examples/alertmanager.yml and examples/ronda-webhook.yml to the channels it reaches:
// critical alerts go to WhatsApp, SMS and Telegram; ONU alerts of priority high (OnuDown,
// OnuLoopDetected) to the technicians' WhatsApp too (DESIGN.md: WhatsApp alerts with a
// priority); everything else to Telegram.
func TestEveryAlertReachesItsChannels(t *testing.T) {
	amtool := testtool.Need(t, "amtool")
	receivers := webhookReceivers(t)
	cfg := loadWebhookExample(t)
	checked := map[string]bool{}
	eachAlert(t, func(f string, r rule, labels map[string]string) {
		want := []string{"it-team"}
		switch {
		case r.Labels["severity"] == "critical":
			want = []string{"it-team", "owner-sms", "teknisi-wa"}
		case r.Labels["kind"] == "onu" && (r.Labels["priority"] == "critical" || r.Labels["priority"] == "high"):
			want = []string{"it-team", "teknisi-wa"}
		}
		if got := webhookChannels(t, amtool, receivers, cfg, labels); !slices.Equal(got, want) {
			t.Errorf("%s: %s (%s/%s) reaches %v, want %v", f, r.Alert, r.Labels["severity"], r.Labels["priority"], got, want)
		}
		checked[r.Alert] = true
	})
	// The technicians hear of a customer's ONU going down on WhatsApp.
	if !checked["OnuDown"] {
		t.Error("no OnuDown alert in rules/: update this test")
	}
	onuDown := map[string]string{"alertname": "OnuDown", "severity": "warning", "priority": "high", "kind": "onu",
		"instance": "olt-pasar", "unit": "Pasar Baru", "pon": "0/1", "onu": "7", "state": "down"}
	if got := webhookChannels(t, amtool, receivers, cfg, onuDown); !slices.Contains(got, "teknisi-wa") {
		t.Errorf("OnuDown reaches %v: not the technicians' WhatsApp (teknisi-wa)", got)
	}
	// Hands-off restore: a reboot of an auto_restore router runs ronda-restore auto.
	reboot := map[string]string{"alertname": "MikrotikRebooted", "severity": "warning", "priority": "high", "kind": "resource",
		"instance": "hotspot-pasar", "boot_time": "1767225600", "auto_restore": "true"}
	if got := webhookChannels(t, amtool, receivers, cfg, reboot); !slices.Equal(got, []string{"hotspot-restore"}) {
		t.Errorf("MikrotikRebooted of an auto_restore router reaches %v, want [hotspot-restore]", got)
	}
}
