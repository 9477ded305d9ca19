package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/store"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
)

// TestAReloadDuringAReportSendsItOnceWithTheNewConfig: a reload while a scheduled report's
// queries are in flight cuts them short. That report must not go out with "context
// canceled" for its numbers, nor be lost: it is rendered again after the reload, with the
// new configuration, even where the new one would not catch up a missed tick.
func TestAReloadDuringAReportSendsItOnceWithTheNewConfig(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			// The report's first query hangs until the reload cuts it short.
			close(arrived)
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"42"]}]}}`)
	}))
	defer prom.Close()
	defer close(release)

	// Daily reports, in a zone where it is the first hour of the day: the start sends the
	// tick missed at midnight. The new configuration moves the report's clock to a zone
	// where it is the evening (its last tick is past the first half of the day, too late to
	// catch up): only the reload's own care sends the report it interrupted.
	now := time.Now().UTC()
	morning := -now.Hour() // UTC offsets Etc/GMT names run from -12 to +14
	if morning < -12 {
		morning += 24
	}
	evening := morning - 6
	if evening < -12 {
		evening += 24
	}
	zone := func(offset int) string { return fmt.Sprintf("Etc/GMT%+d", -offset) } // POSIX signs: Etc/GMT-7 is UTC+7
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, tg.URL, "")
	base, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	writeReport := func(tz, version string) {
		t.Helper()
		cfg := fmt.Sprintf("%stimezone: %s\nreports:\n  - name: daily\n    prometheus_url: %s\n    interval: 24h\n    channels: [it-team]\n"+
			"    queries: {answer: 'vector(42)'}\n"+
			"    template: '%s answer={{ .Sum \"answer\" }}{{ range $n, $e := .Errors }} {{ $n }} failed: {{ $e }}{{ end }}'\n",
			base, tz, prom.URL, version)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeReport(zone(morning), "v1")
	st, err := store.Open(filepath.Join(dir, "outbox.db"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetLastTick("daily", now.Add(-25*time.Hour)); err != nil { // yesterday's was sent
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	in := start(t, dir)
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the report missed at midnight was not started")
	}
	writeReport(zone(evening), "v2")
	resp, err := http.Post(in.url+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %s", resp.Status)
	}
	msgs := waitMessages(t, tg, 2)
	in.stop(t) // nothing more can be queued
	for _, m := range msgs {
		if m.Text != "v2 answer=42" {
			t.Errorf("report %q, want it rendered with the new configuration, its query answered", m.Text)
		}
	}
	if msgs = tg.Messages(); len(msgs) != 2 {
		t.Errorf("%d messages, want the report once in each chat: %+v", len(msgs), msgs)
	}
}
