package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rondanet/ronda/alertmanager-webhook/outbox"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram/telegramtest"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestStoreFailureAnswers500 shows the one case that gets a 5xx: the notification could
// not be stored. Alertmanager then retries it; a 2xx here would lose it.
func TestStoreFailureAnswers500(t *testing.T) {
	tg := telegramtest.New(token)
	defer tg.Close()
	dir := t.TempDir()
	writeConfig(t, dir, tg.URL, "")
	a := &App{opts: Options{ConfigFile: filepath.Join(dir, "ronda-webhook.yml"), MaxBodyBytes: DefaultMaxBodyBytes}, log: testLogger(io.Discard)}
	reg := prometheus.NewRegistry()
	a.metrics = newMetrics(reg)
	st, err := store.Open(filepath.Join(dir, "outbox.db"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a.store = st
	a.outbox = outbox.New(outbox.Options{Store: st, Metrics: outbox.NewMetrics(reg)})
	cfg, channels, err := a.load()
	if err != nil {
		t.Fatal(err)
	}
	a.put(cfg, channels)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); a.outbox.Wait() }()
	if err := a.outbox.Start(ctx); err != nil {
		t.Fatal(err)
	}

	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		a.handleAlert(rec, httptest.NewRequest(http.MethodPost, "/alert", bytes.NewReader(notification("g", "firing", "OLTDown"))))
		return rec
	}
	if rec := serve(); rec.Code != http.StatusOK {
		t.Fatalf("with a working store: %d %s", rec.Code, rec.Body)
	}
	// Let that one be delivered and leave the store before the store fails.
	testtool.Eventually(t, 10*time.Second, "first notification delivered", func(context.Context) error {
		pending, err := st.Items(store.Pending)
		if err != nil || len(tg.Messages()) == 0 || len(pending) != 0 {
			return fmt.Errorf("messages %d, pending %d, err %v", len(tg.Messages()), len(pending), err)
		}
		return nil
	})
	if err := st.Close(); err != nil { // the disk is gone, as far as the store knows
		t.Fatal(err)
	}
	rec := serve()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "cannot store the notification") {
		t.Errorf("with a failing store: %d %q, want 500 saying it could not be stored", rec.Code, rec.Body)
	}
	if got := testutil.ToFloat64(a.metrics.storeErrors); got != 1 {
		t.Errorf("store errors counted: %v, want 1", got)
	}
}
