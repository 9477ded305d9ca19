package collector

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
)

// targetKeeper is a kind that, as the real ones do, looks a scrape's target up in the
// configuration it was last given, and fails as config for one it does not know.
// midReload, when set, runs inside Reload once the new targets are taken: a hook to look
// at the manager while a collector is still reloading (closing connections, reading CA
// files).
type targetKeeper struct {
	*fakeCollector
	mu        sync.Mutex
	cfg       *config.Config
	midReload func()
}

func (k *targetKeeper) Reload(cfg *config.Config) {
	k.mu.Lock()
	k.cfg = cfg
	hook := k.midReload
	k.mu.Unlock()
	if hook != nil {
		hook()
	}
}

func (k *targetKeeper) Scrape(_ context.Context, target string, _ *slog.Logger, ch chan<- prometheus.Metric) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.cfg.Target(target); !ok {
		return Failf(ReasonConfig, "no target %q", target)
	}
	ch <- prometheus.MustNewConstMetric(fakeDesc, prometheus.GaugeValue, 1, target)
	return nil
}

// TestRenameDuringReloadNeverFailsAsConfig: while the collectors take a configuration
// that renames router-b to router-c, a scrape finds each name in both the manager's
// configuration and its collector's, or in neither: router-b is unknown (404), router-c
// waits for its collector and succeeds. Neither fails as config.
func TestRenameDuringReloadNeverFailsAsConfig(t *testing.T) {
	t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
	before, err := config.Parse([]byte(testConfig), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	after, err := config.Parse([]byte(strings.Replace(testConfig, "name: router-b", "name: router-c", 1)), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	k := &targetKeeper{fakeCollector: &fakeCollector{kind: config.KindMikroTik}}
	m := NewManager(Options{}, k)
	m.ApplyConfig(before)
	h := m.Handler(config.KindMikroTik)

	reloading, finish, applied := make(chan struct{}), make(chan struct{}), make(chan struct{})
	k.midReload = func() { close(reloading); <-finish }
	go func() { m.ApplyConfig(after); close(applied) }()
	<-reloading

	if rec := get(t, h, "/mikrotik?target=router-b", nil); rec.Code != http.StatusNotFound {
		t.Errorf("router-b while its collector reloads: status %d, want 404 (it is gone):\n%s", rec.Code, rec.Body)
	}
	renamed := make(chan string)
	go func() { renamed <- get(t, h, "/mikrotik?target=router-c", nil).Body.String() }()
	close(finish)
	<-applied
	if fams := parseExposition(t, <-renamed); fams["mikrotik_up"].values[""] != 1 {
		t.Errorf("router-c scraped while its collector reloaded: mikrotik_up %v, want 1", fams["mikrotik_up"].values[""])
	}
}
