package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

// Credentials of the phone stand-ins, given to ronda-webhook through the environment
// variables examples/ronda-webhook.yml names.
const (
	e2eTelegramToken = "777:e2e-bot"
	e2eFonnteToken   = "fonnte-e2e"
	e2eZenzivaUser   = "zz-e2e-user"
	e2eZenzivaPass   = "zz-e2e-pass"
)

// phoneMessage is one message a WhatsApp or SMS stand-in accepted.
type phoneMessage struct{ provider, number, text string }

// phoneGateways stands in for Fonnte (WhatsApp: POST /send, Authorization: token, form
// target and message, always 200 with a status field) and Zenziva (SMS: form userkey,
// passkey, to, message; status "1" on success), refusing wrong credentials the way they do.
type phoneGateways struct {
	mu   sync.Mutex
	sent []phoneMessage
}

func (g *phoneGateways) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/fonnte/send":
		if r.Header.Get("Authorization") != e2eFonnteToken {
			fmt.Fprint(w, `{"status":false,"reason":"invalid token"}`)
			return
		}
		g.record("whatsapp", r.FormValue("target"), r.FormValue("message"))
		fmt.Fprintf(w, `{"status":true,"detail":"success! message in queue","id":["1"],"process":"pending","target":[%q]}`, r.FormValue("target"))
	case "/zenziva/sendsms":
		if r.FormValue("userkey") != e2eZenzivaUser || r.FormValue("passkey") != e2eZenzivaPass {
			fmt.Fprint(w, `{"status":"0","text":"Userkey / Passkey Salah"}`)
			return
		}
		g.record("sms", r.FormValue("to"), r.FormValue("message"))
		fmt.Fprintf(w, `{"messageId":"1","to":%q,"status":"1","text":"Success"}`, r.FormValue("to"))
	default:
		http.NotFound(w, r)
	}
}

func (g *phoneGateways) record(provider, number, text string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = append(g.sent, phoneMessage{provider, number, text})
}

func (g *phoneGateways) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sent)
}

// find returns the first message of provider to number holding every one of texts.
func (g *phoneGateways) find(provider, number string, texts ...string) (phoneMessage, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
next:
	for _, m := range g.sent {
		if m.provider != provider || m.number != number {
			continue
		}
		for _, s := range texts {
			if !strings.Contains(m.text, s) {
				continue next
			}
		}
		return m, true
	}
	return phoneMessage{}, false
}

// webhookConfigForStandIns writes examples/ronda-webhook.yml with its providers' URLs
// pointed at the stand-ins and its report's Prometheus at the demo's; nothing else changes.
func webhookConfigForStandIns(t *testing.T, telegramURL, gatewaysURL string) string {
	t.Helper()
	doc := readYAMLNode(t, filepath.Join(testtool.Root(), "examples", "ronda-webhook.yml"))
	setKey := func(m *yaml.Node, key, value string) {
		if v := mapValue(m, key); v != nil {
			v.Value = value
			return
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
	}
	pointed := 0
	for _, ch := range seq(mapValue(doc, "channels")) {
		for _, p := range []struct{ kind, key, url string }{
			{"telegram", "api_url", telegramURL},
			{"whatsapp", "url", gatewaysURL + "/fonnte/send"},
			{"sms", "url", gatewaysURL + "/zenziva/sendsms"},
		} {
			if m := mapValue(ch, p.kind); m != nil {
				setKey(m, p.key, p.url)
				pointed++
			}
		}
	}
	for _, r := range seq(mapValue(doc, "reports")) {
		setKey(r, "prometheus_url", "http://127.0.0.1:9090")
	}
	if pointed != 3 {
		t.Fatalf("examples/ronda-webhook.yml: %d Telegram, WhatsApp and SMS channels pointed at stand-ins, want 3", pointed)
	}
	file := filepath.Join(t.TempDir(), "ronda-webhook.yml")
	writeYAMLNode(t, file, doc)
	return file
}

// TestAlertsReachPhones is the whole chain with the shipped configuration: ronda-sim's
// timeline → ronda-exporter → Prometheus with rules/ → Alertmanager with
// examples/alertmanager.yml → ronda-webhook with examples/ronda-webhook.yml → stand-ins of
// the Telegram Bot API, Fonnte and Zenziva. Only `for` and Alertmanager's group timers are
// shortened (fast_test.go). It runs scripts/demo.sh, so the lab is the demo's.
func TestAlertsReachPhones(t *testing.T) {
	testtool.Need(t, "prometheus")
	testtool.Need(t, "prometheus-alertmanager")
	testtool.Need(t, "curl")
	bin := testtool.Binaries(t)
	tg := telegramtest.New(e2eTelegramToken)
	defer tg.Close()
	gateways := &phoneGateways{}
	gw := httptest.NewServer(gateways)
	defer gw.Close()

	demo := startDemo(t, bin, "RONDA_DEMO_WEBHOOK_CONFIG="+webhookConfigForStandIns(t, tg.URL, gw.URL),
		"TELEGRAM_BOT_TOKEN="+e2eTelegramToken, "FONNTE_TOKEN="+e2eFonnteToken,
		"ZENZIVA_USERKEY="+e2eZenzivaUser, "ZENZIVA_PASSKEY="+e2eZenzivaPass)
	const prom, control = "http://127.0.0.1:9090", "http://127.0.0.1:18080"

	// Before the timeline's power cut (1:30): who is online on hotspot-pasar, once
	// Prometheus has scraped the sessions.
	testtool.Eventually(t, 80*time.Second, "Prometheus has scraped hotspot-pasar's sessions", func(ctx context.Context) error {
		s, err := promQuery(ctx, prom, `count(mikrotik_hotspot_active_uptime_seconds{instance="hotspot-pasar"})`)
		if err != nil || len(s) != 1 {
			return fmt.Errorf("sessions: %v %v", s, err)
		}
		return nil
	})
	recorded := time.Now()
	before := usersByName(getJSON[[]simUser](t, control+"/routers/hotspot-pasar/users"))
	online := map[string]float64{}
	for _, s := range getJSON[[]simSession](t, control+"/routers/hotspot-pasar/active") {
		if before[s.User].LimitUptimeSeconds > 0 {
			online[s.User] = s.UptimeSeconds
		}
	}
	if len(online) == 0 {
		t.Fatal("no limited user online on hotspot-pasar before the power cut")
	}
	if up := pasarUptime(t, control); up < time.Hour {
		t.Fatalf("hotspot-pasar has been up only %s: the timeline's power cut came before the sessions were recorded (the machine is too slow for the demo)", up)
	}

	// An ONU power loss (the timeline's 0:45): a critical WhatsApp message to the
	// technicians with the ONU's fields, and an SMS to the owner.
	// Kantor Desa's ONU is olt-pasar's PON 2, ONU 2; the messages show its name and MAC.
	const technician, owner, kantorDesa = "6281234567890", "6281299998888", "E0:E8:E6:01:02:02"
	testtool.Eventually(t, 4*time.Minute, "the WhatsApp message about Kantor Desa's ONU", func(context.Context) error {
		if _, ok := gateways.find("whatsapp", technician, "ONU PWRDOWN", kantorDesa); !ok {
			return fmt.Errorf("none yet (%d messages on the stand-ins)", gateways.count())
		}
		return nil
	})
	wa, _ := gateways.find("whatsapp", technician, "ONU PWRDOWN", kantorDesa)
	for _, want := range []string{"[CRITICAL]", "OLT: *olt-pasar*", "PON: 0/2\nONU: 2\n", "*Kantor Desa*", "PwrDown (dying gasp)"} {
		if !strings.Contains(wa.text, want) {
			t.Errorf("the WhatsApp message lacks %q:\n%s", want, wa.text)
		}
	}
	if _, ok := gateways.find("whatsapp", "6281311112222", kantorDesa); !ok {
		t.Error("the second technician's number got no WhatsApp message about Kantor Desa")
	}
	testtool.Eventually(t, time.Minute, "the owner's SMS about the ONUs", func(context.Context) error {
		if _, ok := gateways.find("sms", owner, "ONU PWRDOWN"); !ok {
			return fmt.Errorf("none yet")
		}
		return nil
	})

	// A server unreachable (the timeline's 1:00) past SshHostDown's `for`: a Telegram
	// message with its unit and map link; then, the server back, the recovery message.
	const chat = "-1001234567890"
	testtool.Eventually(t, 4*time.Minute, "the Telegram message about web-pasar", func(context.Context) error {
		if countContaining(tg.Messages(), chat, "SERVER DOWN") == 0 {
			return fmt.Errorf("none yet (%d Telegram messages)", len(tg.Messages()))
		}
		return nil
	})
	down := telegramWith(tg.Messages(), chat, "SERVER DOWN", "web-pasar")
	for _, want := range []string{"<b>Pasar Baru</b>", `<a href="https://www.google.com/maps?q=-6.9147,107.6098">`} {
		if !strings.Contains(down, want) {
			t.Errorf("the SERVER DOWN message lacks %q:\n%s", want, down)
		}
	}
	postJSON(t, control+"/hosts/web-pasar/fault", `{"fault":"none"}`)
	testtool.Eventually(t, 3*time.Minute, "the Telegram recovery message about web-pasar", func(context.Context) error {
		if telegramWith(tg.Messages(), chat, "SERVER UP", "web-pasar") == "" {
			return fmt.Errorf("none yet")
		}
		return nil
	})

	// The router's power cut (1:30 to 2:00), then ronda-restore apply --yes: every limited
	// user online before the cut gets the session time back off their limit.
	testtool.Eventually(t, 3*time.Minute, "Prometheus has scraped hotspot-pasar after its boot", func(ctx context.Context) error {
		s, err := promQuery(ctx, prom, `time() - mikrotik_system_boot_time_seconds{instance="hotspot-pasar"}`)
		if err != nil || len(s) != 1 || s[0].Value > 600 {
			return fmt.Errorf("uptime: %v %v", s, err)
		}
		return nil
	})
	boot := time.Now().Add(-pasarUptime(t, control))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "ronda-restore"), "--config.file=examples/ronda.yml",
		"--prometheus.url="+prom, "--ledger.file="+filepath.Join(t.TempDir(), "ledger.json"),
		"apply", "--router", "hotspot-pasar", "--yes")
	cmd.Dir = testtool.Root()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ronda-restore apply --yes: %v\n%s", err, out)
	}
	after := usersByName(getJSON[[]simUser](t, control+"/routers/hotspot-pasar/users"))
	// The cut came between the recording and 30s before the boot (the timeline's 1:30 and
	// 2:00); the restore is exact to a scrape interval (15s) below the cut.
	cutLatest := boot.Add(-30 * time.Second).Add(time.Second)
	for user, session := range online {
		taken := before[user].LimitUptimeSeconds - after[user].LimitUptimeSeconds
		most := session + cutLatest.Sub(recorded).Seconds()
		if taken < session || taken > most {
			t.Errorf("%s: limit lowered by %.0fs, want between %.0fs (its session when recorded) and %.0fs (at the cut)\n%s", user, taken, session, most, out)
		}
	}

	// Every panel of every dashboard has data (dashboards_test.go).
	checkDashboardQueries(t, prom)
	stopDemo(t, demo)
}

// telegramWith returns the first Telegram message to chat holding both texts.
func telegramWith(msgs []telegramtest.Message, chat, a, b string) string {
	for _, m := range msgs {
		if m.ChatID == chat && strings.Contains(m.Text, a) && strings.Contains(m.Text, b) {
			return m.Text
		}
	}
	return ""
}

// pasarUptime is hotspot-pasar's uptime as the simulator tells it.
func pasarUptime(t *testing.T, control string) time.Duration {
	t.Helper()
	r := getJSON[struct {
		UptimeSeconds float64 `json:"uptime_seconds"`
	}](t, control+"/routers/hotspot-pasar")
	return time.Duration(r.UptimeSeconds * float64(time.Second))
}
