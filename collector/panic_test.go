package collector

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestAPanickingScrapeFailsAndTheExporterLivesOn: a collector that panics, whether on the
// goroutine the framework starts for its scrape (mikrotik, probe, ad-hoc targets) or on
// the request's (ssh, olt), fails that scrape as other, saying "bug: panic", and nothing
// more: the process lives on (a panic on a goroutine of the framework's took it down,
// every target of every kind with it), the panic is logged with its stack and the target,
// counted, the series added before it are not exported, the scrape's slot is free again
// (a panic that net/http recovered once kept it for good), and the next scrape works.
func TestAPanickingScrapeFailsAndTheExporterLivesOn(t *testing.T) {
	fam := NewFamily("mikrotik_fake_value", "A value.", prometheus.GaugeValue)
	for _, tc := range []struct {
		name         string
		kind, path   string
		up, reason   string // the kind's shared series
		newCollector func(panicNext *atomic.Bool) Collector
	}{
		{"channel collector, on a goroutine of the framework's", "mikrotik", "?target=router-a", "mikrotik_up", "mikrotik_scrape_failure_reason",
			func(panicNext *atomic.Bool) Collector {
				return &fakeCollector{kind: "mikrotik", scrape: func(_ context.Context, target string, _ *slog.Logger, ch chan<- prometheus.Metric) error {
					ch <- prometheus.MustNewConstMetric(fakeDesc, prometheus.GaugeValue, 1, target)
					if panicNext.Swap(false) {
						panic("collector bug")
					}
					return nil
				}}
			}},
		{"batch collector, on a goroutine of the framework's", "mikrotik", "?target=router-a", "mikrotik_up", "mikrotik_scrape_failure_reason",
			func(panicNext *atomic.Bool) Collector {
				c := &batchLike{fakeCollector: &fakeCollector{kind: "mikrotik"}}
				c.scrapeInto = func(_ context.Context, b *Batch) error {
					b.Add(fam, 1)
					if panicNext.Swap(false) {
						panic("collector bug")
					}
					return nil
				}
				return c
			}},
		{"deadline keeper, on the request's goroutine", "mikrotik", "?target=router-a", "mikrotik_up", "mikrotik_scrape_failure_reason",
			func(panicNext *atomic.Bool) Collector {
				c := &batchLike{fakeCollector: &fakeCollector{kind: "mikrotik"}, keeps: true}
				c.scrapeInto = func(_ context.Context, b *Batch) error {
					b.Add(fam, 1)
					if panicNext.Swap(false) {
						panic("collector bug")
					}
					return nil
				}
				return c
			}},
		{"ad-hoc probe, on a goroutine of the framework's", "probe", "?target=192.0.2.7&module=icmp", "probe_success", "probe_failure_reason",
			func(panicNext *atomic.Bool) Collector {
				p := &probeLike{fakeCollector: &fakeCollector{kind: "probe"}}
				p.adHocScrape = func(_ context.Context, address string, ch chan<- prometheus.Metric) error {
					ch <- prometheus.MustNewConstMetric(adHocDesc, prometheus.GaugeValue, float64(len(address)))
					if panicNext.Swap(false) {
						panic("collector bug")
					}
					return nil
				}
				return p
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
			cfg, err := config.Parse([]byte(testConfig), "test.yml")
			if err != nil {
				t.Fatal(err)
			}
			var panicNext atomic.Bool
			var logs testtool.LogBuffer
			reg := prometheus.NewRegistry()
			m := NewManager(Options{
				Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
				Registerer:    reg,
				MaxConcurrent: 1,
			}, tc.newCollector(&panicNext))
			defer m.Close()
			m.ApplyConfig(cfg)
			server := httptest.NewServer(m.Handler(tc.kind))
			defer server.Close()
			scrape := func() map[string]*dtoFamily {
				t.Helper()
				resp, err := server.Client().Get(server.URL + tc.path)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %s", resp.Status, body)
				}
				return parseExposition(t, string(body))
			}

			panicNext.Store(true)
			fams := scrape()
			if fams[tc.up].values[""] != 0 || fams[tc.reason].values["reason=other"] != 1 {
				t.Errorf("the panicking scrape: %s %v, %s %v; want 0 and reason other",
					tc.up, fams[tc.up].values, tc.reason, fams[tc.reason].values)
			}
			for name := range fams {
				if name == "mikrotik_fake_value" || name == "probe_fake_address_length" {
					t.Errorf("%s, added before the panic, was exported", name)
				}
			}
			if recent := m.Recent(); len(recent) == 0 || recent[0].Success || recent[0].Reason != ReasonOther ||
				!strings.Contains(recent[0].Error, "bug: panic") || !strings.Contains(recent[0].Error, "collector bug") {
				t.Errorf("the scrape's record: %+v, want a failure as other saying bug: panic: collector bug", recent)
			}
			if got := counterValue(t, reg, "ronda_exporter_scrape_errors_total", "kind", tc.kind, "reason", "other"); got != 1 {
				t.Errorf("ronda_exporter_scrape_errors_total{reason=other} = %v, want 1", got)
			}
			if got := counterValue(t, reg, "ronda_exporter_scrape_panics_total", "kind", tc.kind); got != 1 {
				t.Errorf("ronda_exporter_scrape_panics_total = %v, want 1", got)
			}
			log := logs.String()
			for _, want := range []string{"level=ERROR", "target=" + strings.TrimPrefix(strings.Split(tc.path, "&")[0], "?target="), "collector bug", "panic_test.go"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log does not say %q (the panic, its stack and the target):\n%s", want, log)
				}
			}
			if strings.Contains(log, "s3cret") {
				t.Errorf("the log shows the target's password:\n%s", log)
			}
			if n := len(m.slots[tc.kind]); n != 0 {
				t.Errorf("%d slot(s) still taken after the panicking scrape", n)
			}

			if fams := scrape(); fams[tc.up].values[""] != 1 {
				t.Errorf("the scrape after the panic: %s %v, want 1", tc.up, fams[tc.up].values)
			}
		})
	}
}

// counterValue is the value of the counter named name with the labels given as pairs in
// reg, or -1 when there is no such series.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labelPairs ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range s.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labelPairs); i += 2 {
				if have[labelPairs[i]] != labelPairs[i+1] {
					continue series
				}
			}
			return s.GetCounter().GetValue()
		}
	}
	return -1
}
