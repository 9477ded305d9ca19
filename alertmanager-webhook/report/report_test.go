package report

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	ronda "github.com/rondanet/ronda/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// prometheus is a stand-in for /api/v1/query answering in Prometheus's shapes.
func prometheus(t *testing.T, results map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.FormValue("time") != "1795996800.000" {
			t.Errorf("query at time %q", r.FormValue("time"))
		}
		if r.FormValue("nocache") != "1" {
			t.Errorf("nocache=%q: VictoriaMetrics would evaluate 30s earlier", r.FormValue("nocache"))
		}
		w.Header().Set("Content-Type", "application/json")
		q := r.FormValue("query")
		res, ok := results[q]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "bad_data", "error": "invalid parameter \"query\": unknown metric in " + q})
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, res)
	}))
}

func TestOLTReportGolden(t *testing.T) {
	srv := prometheus(t, map[string]string{
		config.DefaultOLTQueries["online"]:      `{"metric":{"instance":"olt-pasar"},"value":[1795996800,"118"]},{"metric":{"instance":"olt-masjid"},"value":[1795996800,"60"]}`,
		config.DefaultOLTQueries["total"]:       `{"metric":{"instance":"olt-pasar"},"value":[1795996800,"128"]},{"metric":{"instance":"olt-masjid"},"value":[1795996800,"64"]}`,
		config.DefaultOLTQueries["temperature"]: `{"metric":{"instance":"olt-pasar"},"value":[1795996800,"41.26"]}`,
		// rx_power fails: the report says so instead of not arriving.
	})
	defer srv.Close()
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	for _, lang := range []string{"id", "en"} {
		cfg := config.Report{Name: "olt-hourly", PrometheusURL: srv.URL, Interval: ronda.Duration(time.Hour), Timeout: ronda.Duration(5 * time.Second),
			Channels: []string{"wa"}, Queries: config.DefaultOLTQueries, Language: lang}
		var got []string
		r, err := New(cfg, jakarta, func(key, name string, tick time.Time, channels []string, text string) error {
			if !tick.IsZero() {
				t.Errorf("a run on demand records the tick %v", tick)
			}
			got = append(got, key, text)
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // 07:00 WIB
		if err := r.RunOnce(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		if got[0] != "report:olt-hourly:2026-11-30T00:00:00Z" {
			t.Errorf("key %q", got[0])
		}
		text := strings.ReplaceAll(got[1], "\x1e", "⏎")
		golden := "testdata/olt-report." + lang + ".golden"
		if *update {
			os.WriteFile(golden, []byte(text), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if text != string(want) {
			t.Errorf("report:\n%s\nwant:\n%s", text, want)
		}
	}
}

// TestReportBehindMultiTenantProxy: a report reaches a Mimir-style API as ronda-restore
// does: the path prefix kept, X-Scope-OrgID sent, basic auth from the HTTP client file
// (the password from its own file), partial_response=false, and a warning in the answer
// shown as the query's failure rather than as a smaller number.
func TestReportBehindMultiTenantProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		switch {
		case r.URL.Path != "/prometheus/api/v1/query":
			http.NotFound(w, r)
			return
		case r.Header.Get("X-Scope-OrgID") != "rtrw-pasar" || user != "ronda" || pass != "s3cret":
			http.Error(w, "no tenant or wrong credentials", http.StatusUnauthorized)
			return
		case r.FormValue("partial_response") != "false":
			t.Errorf("partial_response=%q", r.FormValue("partial_response"))
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.FormValue("query"), "rx_power") {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["store gateway unreachable"]}`)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"olt-pasar"},"value":[1795996800,"7"]}]}}`)
	}))
	defer srv.Close()

	dir := t.TempDir()
	os.WriteFile(dir+"/password", []byte("s3cret\n"), 0o600)
	os.WriteFile(dir+"/http.yml", []byte("basic_auth:\n  username: ronda\n  password_file: password\n"), 0o600)
	cfgFile := dir + "/ronda-webhook.yml"
	os.WriteFile(cfgFile, []byte(`channels:
  - name: wa
    whatsapp: {provider: fonnte, url: "http://127.0.0.1:1/send", token_env: REPORT_TEST_TOKEN, numbers: ["6281234567890"]}
routes:
  - receiver: ops
    channels: [wa]
reports:
  - name: olt-hourly
    prometheus_url: `+srv.URL+`/prometheus
    prometheus_org_id: rtrw-pasar
    prometheus_http_config_file: http.yml
    channels: [wa]
    language: en
`), 0o600)
	t.Setenv("REPORT_TEST_TOKEN", "x")
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg.Reports[0], time.UTC, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.Render(context.Background(), time.Unix(1795996800, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<b>olt-pasar</b>: 7/7 online (100.0%)", "⚠️ rx_power: the server warned that the answer may be incomplete: store gateway unreachable"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// memLedger is a Ledger in memory.
type memLedger map[string]time.Time

func (m memLedger) LastTick(name string) (time.Time, bool, error) {
	t, ok := m[name]
	return t, ok, nil
}

func (m memLedger) SetLastTick(name string, tick time.Time) error {
	m[name] = tick
	return nil
}

// TestCatchUp: at its start, a runner sends the report of the last tick when that tick
// was missed (ronda-webhook down at 07:00 WIB) and it is still the first half of the
// interval after it; never more than that one, never twice, and nothing for a report it
// has no record of.
func TestCatchUp(t *testing.T) {
	srv := prometheus(t, map[string]string{
		config.DefaultOLTQueries["online"]: `{"metric":{"instance":"olt-pasar"},"value":[1795996800,"118"]}`,
		config.DefaultOLTQueries["total"]:  `{"metric":{"instance":"olt-pasar"},"value":[1795996800,"128"]}`,
	})
	defer srv.Close()
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	tick := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // 07:00 WIB
	for _, tt := range []struct {
		name     string
		last     time.Time // zero: no record
		now      time.Time
		sent     bool
		lastThen time.Time
	}{
		{"missed, back 20 minutes later", tick.Add(-time.Hour), tick.Add(20 * time.Minute), true, tick},
		{"missed, back after a week", tick.Add(-7 * 24 * time.Hour), tick.Add(5 * time.Minute), true, tick},
		{"already sent", tick, tick.Add(20 * time.Minute), false, tick},
		{"missed, back too near the next tick", tick.Add(-time.Hour), tick.Add(40 * time.Minute), false, tick.Add(-time.Hour)},
		{"a report never run before", time.Time{}, tick.Add(20 * time.Minute), false, tick},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Report{Name: "olt-hourly", PrometheusURL: srv.URL, Interval: ronda.Duration(time.Hour), Timeout: ronda.Duration(5 * time.Second),
				Channels: []string{"wa"}, Queries: config.DefaultOLTQueries}
			var keys []string
			ledger := memLedger{}
			r, err := New(cfg, jakarta, func(key, name string, tick time.Time, _ []string, _ string) error {
				keys = append(keys, key)
				if !tick.IsZero() { // as the outbox does, in the write that queues it
					ledger[name] = tick
				}
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.last.IsZero() {
				ledger["olt-hourly"] = tt.last
			}
			r.WithLedger(ledger).catchUp(context.Background(), tt.now)
			if sent := len(keys) > 0; sent != tt.sent || len(keys) > 1 || sent && keys[0] != "report:olt-hourly:2026-11-30T00:00:00Z" {
				t.Errorf("sent %v, want the 07:00 report: %v", keys, tt.sent)
			}
			if got := ledger["olt-hourly"]; !got.Equal(tt.lastThen) {
				t.Errorf("the ledger's last tick is %v, want %v", got, tt.lastThen)
			}
		})
	}
}

// TestTicksFallOnTheLocalClock: ticks are whole intervals on the clock of the report's
// zone, daily ones at local midnight.
func TestTicksFallOnTheLocalClock(t *testing.T) {
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	for _, tt := range []struct {
		interval time.Duration
		now      time.Time
		want     time.Time
	}{
		{time.Hour, time.Date(2026, 11, 30, 0, 20, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{time.Hour, time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)},
		{24 * time.Hour, time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)}, // 00:00 WIB
		{15 * time.Minute, time.Date(2026, 11, 30, 3, 44, 59, 0, time.UTC), time.Date(2026, 11, 30, 3, 30, 0, 0, time.UTC)},
	} {
		r := &Runner{cfg: config.Report{Interval: ronda.Duration(tt.interval)}, loc: jakarta}
		if got := r.tickBefore(tt.now); !got.Equal(tt.want) {
			t.Errorf("%s ticks, at %v: %v, want %v", tt.interval, tt.now, got, tt.want)
		}
	}
}

// TestRenderStoppedByItsCallerRendersNothing: queries cut short by the caller's context (a
// reload stopping the reports) make Render fail, with no text to send; queries its own
// timeout cut short are failures the report tells of, as any other.
func TestRenderStoppedByItsCallerRendersNothing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		stop    bool // the caller's context ends while the query waits
	}{
		{"the caller stops it", time.Minute, true},
		{"its own timeout", time.Nanosecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.stop {
					cancel()
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release)
			cfg := config.Report{Name: "olt-hourly", PrometheusURL: srv.URL, Interval: ronda.Duration(time.Hour), Timeout: ronda.Duration(tt.timeout),
				Channels: []string{"wa"}, Queries: map[string]string{"online": "up"}, Template: "online={{ .Sum \"online\" }}{{ range $n, $e := .Errors }} {{ $n }}: {{ $e }}{{ end }}"}
			r, err := New(cfg, time.UTC, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			text, err := r.Render(ctx, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
			switch {
			case tt.stop && (err == nil || !errors.Is(err, context.Canceled) || text != ""):
				t.Errorf("Render = %q, %v; want no text and the caller's cancellation", text, err)
			case !tt.stop && (err != nil || !strings.HasPrefix(text, "online=0 online: ") || !strings.HasSuffix(text, "context deadline exceeded")):
				t.Errorf("Render = %q, %v; want the report telling of the query's timeout", text, err)
			}
		})
	}
}

// TestAReportStoppedIsResumedNotSent: a report stopped while it was being rendered is not
// queued and its tick not recorded; Run's start returns the tick, and a runner made
// afterwards, given it by Resume, sends it at once, even where catch-up would not (past the
// first half of the interval after it).
func TestAReportStoppedIsResumedNotSent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	var queries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if queries.Add(1) == 1 { // the first run's query: a reload stops it
			cancel()
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795996800,"118"]}]}}`)
	}))
	defer srv.Close()
	defer close(release)
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	tick := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // 07:00 WIB
	cfg := config.Report{Name: "olt-hourly", PrometheusURL: srv.URL, Interval: ronda.Duration(time.Hour), Timeout: ronda.Duration(time.Minute),
		Channels: []string{"wa"}, Queries: map[string]string{"online": "up"}, Template: "online={{ .Sum \"online\" }}{{ range $n, $e := .Errors }} {{ $n }}: {{ $e }}{{ end }}"}
	ledger := memLedger{"olt-hourly": tick.Add(-time.Hour)}
	var texts []string
	enqueue := func(_, name string, tick time.Time, _ []string, text string) error {
		texts = append(texts, text)
		ledger[name] = tick
		return nil
	}
	first, err := New(cfg, jakarta, enqueue, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.WithLedger(ledger).start(ctx, tick.Add(20*time.Minute)); !got.Equal(tick) || len(texts) > 0 || !ledger["olt-hourly"].Equal(tick.Add(-time.Hour)) {
		t.Fatalf("stopped: returned %v, queued %q, last tick %v; want %v returned, nothing queued, nor recorded", got, texts, ledger["olt-hourly"], tick)
	}
	next, err := New(cfg, jakarta, enqueue, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := next.WithLedger(ledger).Resume(tick).start(context.Background(), tick.Add(40*time.Minute)); !got.IsZero() {
		t.Errorf("resumed: returned %v", got)
	}
	if len(texts) != 1 || texts[0] != "online=118" || !ledger["olt-hourly"].Equal(tick) {
		t.Errorf("resumed: queued %q, last tick %v; want the report once, tick %v", texts, ledger["olt-hourly"], tick)
	}
}
