package collector

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestPanickingCollectorFreesItsSlot: a collector scraped on the request's goroutine (a
// DeadlineKeeper) that panics is recovered by net/http, which drops the connection; the
// scrape's concurrency slot is free again all the same, so the next scrape runs instead of
// waiting for a slot that never comes back.
func TestPanickingCollectorFreesItsSlot(t *testing.T) {
	t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
	cfg, err := config.Parse([]byte(testConfig), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	fam := NewFamily("mikrotik_fake_value", "A value.", prometheus.GaugeValue)
	var panicNext atomic.Bool
	c := &batchLike{fakeCollector: &fakeCollector{kind: config.KindMikroTik}, keeps: true}
	c.scrapeInto = func(_ context.Context, b *Batch) error {
		if !onHandlerGoroutine() {
			t.Error("the keeper runs on a goroutine of its own: net/http would not recover its panic")
		}
		if panicNext.Swap(false) {
			panic("collector bug")
		}
		b.Add(fam, 1)
		return nil
	}
	m := NewManager(Options{MaxConcurrent: 1}, c)
	defer m.Close()
	m.ApplyConfig(cfg)
	var serverLog testtool.LogBuffer
	server := httptest.NewUnstartedServer(m.Handler(config.KindMikroTik))
	server.Config.ErrorLog = log.New(&serverLog, "", 0)
	server.Start()
	defer server.Close()

	panicNext.Store(true)
	if resp, err := server.Client().Get(server.URL + "?target=router-a"); err == nil {
		resp.Body.Close()
		t.Fatalf("the panicking scrape was answered (%s): the test checks nothing", resp.Status)
	}
	if !strings.Contains(serverLog.String(), "collector bug") {
		t.Errorf("net/http did not log the recovered panic:\n%s", serverLog.String())
	}
	if n := len(m.slots[config.KindMikroTik]); n != 0 {
		t.Errorf("%d slot(s) still taken after the panicking scrape", n)
	}
	req, _ := http.NewRequest(http.MethodGet, server.URL+"?target=router-a", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "1")
	resp, err := server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if fams := parseExposition(t, string(body)); fams["mikrotik_up"].values[""] != 1 {
		t.Errorf("the scrape after the panic:\n%s", body)
	}
}
