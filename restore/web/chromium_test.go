package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rondanet/ronda/internal/browsertest"
	"github.com/rondanet/ronda/restore"
)

// TestInChromium walks the operator's flow in a real headless Chromium: router, restore
// point, users, Restore, Confirm, result; then a typed time. It also checks what only a
// browser shows: the style sheet passes the Content-Security-Policy, and on a phone-sized
// screen the page does not scroll sideways (wide tables scroll inside their box).
func TestInChromium(t *testing.T) {
	f := fixture()
	h, err := New(Options{Service: f, Location: wib, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := browsertest.New(t)

	var headerColour, pointsText string
	browsertest.Run(t, ctx, "the routers page",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`ul.routers`, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('header')).backgroundColor`, &headerColour),
		chromedp.Click(`a[href="/routers/hotspot-1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#points`, chromedp.ByQuery),
		chromedp.Text(`#points tbody`, &pointsText, chromedp.ByQuery),
	)
	if headerColour != "rgb(22, 50, 79)" {
		t.Errorf("the style sheet did not apply (header background %q): blocked by the CSP?", headerColour)
	}
	if first := strings.SplitN(strings.TrimSpace(pointsText), "\n", 2)[0]; !strings.Contains(first, "2026-11-24 18:21:07 WIB") {
		t.Errorf("the newest reboot is not first: %q", pointsText)
	}
	browsertest.Screenshot(t, ctx, "points")

	var planText, summary string
	browsertest.Run(t, ctx, "picking the newest point",
		chromedp.Click(`#points tbody tr:first-child a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan`, chromedp.ByQuery),
		chromedp.Text(`#plan tbody`, &planText, chromedp.ByQuery),
		chromedp.Text(`#summary`, &summary, chromedp.ByQuery),
	)
	for _, want := range []string{"alice", "4h 20m", "budi", "22h 59m 55s", "skipped: unlimited user", "skipped: expired voucher"} {
		if !strings.Contains(planText, want) {
			t.Errorf("the plan lacks %q:\n%s", want, planText)
		}
	}
	if summary != "2 users to restore, 1h 40m 5s to give back in total; 3 skipped." {
		t.Errorf("summary %q", summary)
	}
	browsertest.Screenshot(t, ctx, "plan")

	var question, result, resultText string
	browsertest.Run(t, ctx, "Restore, then Confirm",
		chromedp.Click(`#restore`, chromedp.ByQuery),
		chromedp.WaitVisible(`#question`, chromedp.ByQuery),
		chromedp.Text(`#question`, &question, chromedp.ByQuery),
	)
	if question != "Restore 2 users on hotspot-1 to 2026-11-24 18:14:30 WIB, giving back 1h 40m 5s in total?" {
		t.Errorf("question %q", question)
	}
	if n := f.applyCount(); n != 0 {
		t.Fatalf("applied %d times before Confirm", n)
	}
	browsertest.Screenshot(t, ctx, "confirm")
	browsertest.Run(t, ctx, "Confirm",
		chromedp.Click(`#confirm`, chromedp.ByQuery),
		chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery),
		chromedp.Text(`#result-summary`, &result, chromedp.ByQuery),
		chromedp.Text(`#result tbody`, &resultText, chromedp.ByQuery),
	)
	if result != "2 applied, 3 skipped, 0 failed; 1h 40m 5s given back." {
		t.Errorf("result %q", result)
	}
	if strings.Count(resultText, "applied") != 2 {
		t.Errorf("result rows:\n%s", resultText)
	}
	if n := f.applyCount(); n != 1 {
		t.Errorf("applied %d times", n)
	}
	browsertest.Screenshot(t, ctx, "result")

	// Back to the points, and a time typed into the form instead.
	var pointAt string
	browsertest.Run(t, ctx, "a chosen time",
		chromedp.Navigate(srv.URL+"/routers/hotspot-1"),
		chromedp.WaitVisible(`#at`, chromedp.ByQuery),
		chromedp.SetValue(`#at`, "2026-11-24T17:05:10", chromedp.ByQuery),
		chromedp.Submit(`#at`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan`, chromedp.ByQuery),
		chromedp.Text(`#point-at`, &pointAt, chromedp.ByQuery),
	)
	if pointAt != "2026-11-24 17:05:00 WIB" {
		t.Errorf("the chosen time's point is %q, want the scrape at or before 17:05:10 WIB", pointAt)
	}

	// A phone: 360 CSS pixels wide. The page itself must not scroll sideways.
	var pageWidth, tableBoxWidth int
	browsertest.Run(t, ctx, "a phone-sized screen",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(srv.URL+"/routers/hotspot-1/plan?"+pointA),
		chromedp.WaitVisible(`#plan`, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &pageWidth),
		chromedp.Evaluate(`document.querySelector('.scroll').clientWidth`, &tableBoxWidth),
	)
	if pageWidth > 360 || tableBoxWidth > 360 {
		t.Errorf("on a 360px screen the page is %dpx wide, the table box %dpx", pageWidth, tableBoxWidth)
	}
	browsertest.Screenshot(t, ctx, "phone")
}

// TestInChromiumARefusedRestoreNamesTheUsersWritten: when the router refuses a write, the
// users written all the same are named on the error page with the time they got back, as
// auto's summary names them: the operator must know who already has the time.
func TestInChromiumARefusedRestoreNamesTheUsersWritten(t *testing.T) {
	f := fixture()
	f.entries["hotspot-1"] = append(f.entries["hotspot-1"], restore.Entry{User: "eko", ID: "*6", UptimeThen: time.Hour, SessionThen: 7 * time.Second,
		Used: time.Hour + 7*time.Second, UptimeNow: time.Hour, Lost: 7 * time.Second, LimitThen: 2 * time.Hour, LimitNow: 2 * time.Hour, NewLimit: 2*time.Hour - 7*time.Second})
	f.refuse = map[string]bool{"budi": true}
	h, err := New(Options{Service: f, Location: wib, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := browsertest.New(t)

	var heading, reason string
	browsertest.Run(t, ctx, "Confirm a restore the router refuses in part",
		chromedp.Navigate(srv.URL+"/routers/hotspot-1/confirm?"+pointA),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Click(`#confirm`, chromedp.ByQuery),
		chromedp.WaitVisible(`#error`, chromedp.ByQuery),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
		chromedp.Text(`#error`, &reason, chromedp.ByQuery),
	)
	browsertest.Screenshot(t, ctx, "refused")
	if heading != "The restore failed" {
		t.Errorf("heading %q", heading)
	}
	for _, want := range []string{
		"router hotspot-1 refused to write limit-uptime for 1 user (budi)",
		"restored all the same: 2 users, 40m 7s in all: alice 40m, eko 7s",
		"pressing Restore again will not help until this is fixed",
	} {
		if !strings.Contains(reason, want) {
			t.Errorf("the page lacks %q:\n%s", want, reason)
		}
	}
}
