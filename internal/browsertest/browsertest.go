// Package browsertest runs web pages in a real headless Chromium for tests, driven over the
// DevTools protocol with chromedp.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rondanet/ronda/internal/testtool"
)

// Timeout bounds one test's whole browser session: starting Chromium on a loaded 2-core
// machine under the race detector takes seconds, a page a few hundred milliseconds.
const Timeout = 3 * time.Minute

// New starts a headless Chromium (Debian's chromium; a missing one fails the test) in a
// fresh profile and returns a context for chromedp.Run, ended when the test ends. Every
// chromedp action run with it is bounded by Timeout.
func New(t testing.TB) context.Context {
	t.Helper()
	exe := testtool.Need(t, "chromium")
	// Not t.TempDir: Chromium's helper processes may still be writing to the profile for a
	// moment after the browser closed, and TempDir's cleanup fails the test on that.
	profile, err := os.MkdirTemp("", "ronda-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		// Chromium refuses to start as root with its sandbox; tests run as root in CI.
		chromedp.NoSandbox,
		// Only loopback is ever talked to; keep Chromium's own background traffic off.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		// chromedp reports protocol messages it cannot decode (newer Chromium); they do not
		// fail the test, but they belong in its log.
		t.Logf("chromedp: "+format, args...)
	}))
	t.Cleanup(func() {
		_ = chromedp.Cancel(browserCtx) // closes the browser and waits for it
		cancelBrowser()
		cancelAlloc()
		cancel()
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove Chromium's profile %s", profile)
	})
	// Start the browser now, so a Chromium that cannot start fails here with its reason.
	if err := chromedp.Run(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return browserCtx
}

// Run runs the actions, failing the test with what the page showed when one fails.
func Run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var url, text string
		snap, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = chromedp.Run(snap, chromedp.Location(&url), chromedp.Text("body", &text, chromedp.ByQuery))
		t.Fatalf("%s: %v\npage %s shows:\n%s", what, err, url, strings.TrimSpace(text))
	}
}

// Screenshot saves the page as a PNG in the test's temporary folder when the environment
// variable RONDA_SCREENSHOTS names a folder; for looking at a page while developing.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("RONDA_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := fmt.Sprintf("%s/%s.png", dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}
