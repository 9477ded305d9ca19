package olt_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/olt"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/olt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testUser     = "admin"
	testPassword = "olt-pa55"
)

// t0 is the simulated time the labs start at.
var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// clock is a manual clock shared by a simulated OLT and the collector.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lab is one or more simulated OLTs on loopback, scraped through the exporter's framework
// (GET /olt?target=…) as Prometheus does it.
type lab struct {
	clock   *clock
	olts    map[string]*sim.OLT
	targets []config.OLTTarget
	manager *collector.Manager
	handler http.Handler
}

type oltSpec struct {
	name        string
	personality sim.Personality
	onus        []*sim.ONU
	minInterval time.Duration
}

func newLab(t *testing.T, specs ...oltSpec) *lab {
	t.Helper()
	l := &lab{clock: &clock{now: t0}, olts: map[string]*sim.OLT{}}
	for _, s := range specs {
		onus := s.onus
		if onus == nil {
			onus = sim.Populate(1, 4, 16, t0)
		}
		o := sim.New(sim.Options{Personality: s.personality, Username: testUser, Password: testPassword, PONs: 4, ONUs: onus, Clock: l.clock})
		if err := o.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = o.Close() })
		l.olts[s.name] = o
		mi := s.minInterval
		if mi == 0 {
			mi = 30 * time.Second
		}
		driver := config.OLTDriverHiOSO
		switch s.personality {
		case sim.HSGQ:
			driver = config.OLTDriverHSGQ
		case sim.VSOL:
			driver = config.OLTDriverVSOL
		}
		l.targets = append(l.targets, config.OLTTarget{
			Name: s.name, Driver: driver, URL: o.URL(), Username: testUser,
			Password: config.Secret(testPassword), MinInterval: config.Duration(mi),
		})
	}
	coll := olt.New(nil, olt.Options{Now: l.clock.Now})
	l.manager = collector.NewManager(collector.Options{}, coll)
	t.Cleanup(func() { _ = l.manager.Close() })
	l.apply()
	l.handler = l.manager.Handler(config.KindOLT)
	return l
}

// apply hands the lab's targets (as the test changed them) to the collector.
func (l *lab) apply() {
	l.manager.ApplyConfig(&config.Config{OLT: append([]config.OLTTarget(nil), l.targets...)})
}

func (l *lab) target(name string) *config.OLTTarget {
	for i := range l.targets {
		if l.targets[i].Name == name {
			return &l.targets[i]
		}
	}
	panic("no target " + name)
}

// scrape is GET /olt?target=name with Prometheus's timeout header; it returns the raw
// exposition and its series as name,label=value,… → value.
func (l *lab) scrape(t *testing.T, name string, timeout time.Duration) (string, map[string]float64) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/olt?target="+name, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	rec := httptest.NewRecorder()
	l.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String(), series(t, rec.Body.String())
}

func series(t *testing.T, text string) map[string]float64 {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, text)
	}
	out := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			key := name
			labels := m.GetLabel()
			slices.SortFunc(labels, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
			for _, lp := range labels {
				key += "," + lp.GetName() + "=" + lp.GetValue()
			}
			out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return out
}
