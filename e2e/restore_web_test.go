package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/rondanet/ronda/internal/browsertest"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestRestoreWebPageInChromium is the field story on a phone: the power goes while users
// are online, the router boots, and the operator opens `ronda-restore serve` (behind basic
// auth) in a real Chromium, picks the reboot, sees the users, presses Restore and Confirm.
// The simulated router then holds the new limits: each affected user keeps the time left
// before the cut, to within one scrape interval; skipped users are untouched; opening the
// plan again shows everything already restored.
func TestRestoreWebPageInChromium(t *testing.T) {
	l := startRestoreLab(t)
	rec := l.powerCut(t, 5)
	before, truth := rec.users, rec.sessions

	// ronda-restore serve, with basic auth from an exporter-toolkit web config.
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("field-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, "basic_auth_users:\n  operator: "+string(hash)+"\n")
	addr := testtool.Addr(testtool.FreePort(t))
	serve := testtool.Start(t, filepath.Join(l.bin, "ronda-restore"),
		"--config.file="+l.exporterConfig, "--prometheus.url="+l.prom, "--ledger.file="+l.ledger, "--since=1h",
		"serve", "--web.listen-address="+addr, "--web.config.file="+webConfig)
	serve.WaitHTTP(t, "http://operator:field-pass@"+addr+"/-/ready")
	if code := httpStatus(t, "http://"+addr+"/"); code != http.StatusUnauthorized {
		t.Fatalf("the page without credentials: %d, want 401", code)
	}
	writesBefore := len(getJSON[[]json.RawMessage](t, l.control+"/routers/hs/writes"))

	ctx := browsertest.New(t)
	base := "http://" + addr
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("operator:field-pass"))
	var pointsText, planText, question, result string
	browsertest.Run(t, ctx, "from the routers to the plan",
		network.Enable(),
		network.SetExtraHTTPHeaders(network.Headers{"Authorization": auth}),
		chromedp.Navigate(base+"/"),
		chromedp.Click(`a[href="/routers/hs"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#points`, chromedp.ByQuery),
		chromedp.Text(`#points tbody`, &pointsText, chromedp.ByQuery),
		chromedp.Click(`#points tbody tr:first-child a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan`, chromedp.ByQuery),
		chromedp.Text(`#plan tbody`, &planText, chromedp.ByQuery),
	)
	browsertest.Screenshot(t, ctx, "e2e-plan")
	if n := strings.Count(strings.TrimSpace(pointsText), "Show users"); n != 1 {
		t.Errorf("want the one reboot, the page lists %d:\n%s", n, pointsText)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(planText, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = line
		}
	}
	for user, want := range map[string]string{"alice": "\trestore", "erin": "\trestore", "frank": "\trestore",
		"carol": "\trestore", "dave": "\trestore", "bob": "\tskipped: unlimited user"} {
		if !strings.Contains(rows[user], want) {
			t.Errorf("%s's row %q, want %q", user, rows[user], want)
		}
	}

	browsertest.Run(t, ctx, "Restore and Confirm",
		chromedp.Click(`#restore`, chromedp.ByQuery),
		chromedp.WaitVisible(`#question`, chromedp.ByQuery),
		chromedp.Text(`#question`, &question, chromedp.ByQuery),
	)
	if n := len(getJSON[[]json.RawMessage](t, l.control+"/routers/hs/writes")); n != writesBefore {
		t.Fatalf("the router was written %d times before Confirm", n-writesBefore)
	}
	browsertest.Run(t, ctx, "Confirm",
		chromedp.Click(`#confirm`, chromedp.ByQuery),
		chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery),
		chromedp.Text(`#result-summary`, &result, chromedp.ByQuery),
	)
	browsertest.Screenshot(t, ctx, "e2e-result")
	restored := 0
	for _, line := range strings.Split(planText, "\n") {
		if strings.HasSuffix(line, "\trestore") {
			restored++
		}
	}
	if !strings.HasPrefix(question, fmt.Sprintf("Restore %d users on hs to ", restored)) {
		t.Errorf("question %q, want %d users", question, restored)
	}
	if !strings.HasPrefix(result, fmt.Sprintf("%d applied, ", restored)) || !strings.Contains(result, " 0 failed;") {
		t.Errorf("result %q, want %d applied and none failed", result, restored)
	}

	after := usersByName(getJSON[[]simUser](t, l.control+"/routers/hs/users"))
	for _, name := range []string{"alice", "erin", "frank", "carol", "dave"} {
		b, a := before[name], after[name]
		// The limit that gives back exactly the session forgotten at the cut (RouterOS's
		// floor is 1s); the restore point is up to one scrape before the cut, and RouterOS
		// counts whole seconds, so the user may keep that much more, never less.
		want := max(b.LimitUptimeSeconds-truth[name], 1)
		if d := a.LimitUptimeSeconds - want; d < 0 || d > (scrapeInterval+time.Second).Seconds() {
			t.Errorf("%s: limit %vs, the truth is %vs (limit %vs, session %vs at the cut)", name, a.LimitUptimeSeconds, want, b.LimitUptimeSeconds, truth[name])
		}
		if a.UptimeSeconds != b.UptimeSeconds {
			t.Errorf("%s: stored uptime changed %v → %v", name, b.UptimeSeconds, a.UptimeSeconds)
		}
	}
	for _, name := range []string{"bob", "vc-old"} {
		if before[name] != after[name] {
			t.Errorf("%s was touched: %+v → %+v", name, before[name], after[name])
		}
	}
	type write struct{ User, Field string }
	writes := getJSON[[]write](t, l.control+"/routers/hs/writes")[writesBefore:]
	if len(writes) != restored {
		t.Errorf("%d writes, want %d: %+v", len(writes), restored, writes)
	}
	for _, w := range writes {
		if w.Field != "limit-uptime" {
			t.Errorf("the page wrote %s of %s", w.Field, w.User)
		}
	}

	// The plan now: everyone already restored, no Restore button.
	var again string
	var buttons int
	browsertest.Run(t, ctx, "the plan after the restore",
		chromedp.Navigate(base+"/routers/hs"),
		chromedp.Click(`#points tbody tr:first-child a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan`, chromedp.ByQuery),
		chromedp.Text(`#summary`, &again, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#restore').length`, &buttons),
	)
	if !strings.HasPrefix(again, "0 users to restore") || buttons != 0 {
		t.Errorf("after the restore the plan says %q with %d Restore buttons", again, buttons)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
