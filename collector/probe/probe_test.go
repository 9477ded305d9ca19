package probe

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// modules is the probe_modules section every test shares; tests add targets of their own.
const modules = `
probe_modules:
  http_json:
    prober: http
    http:
      json_values:
        - {name: users_today, path: data.users.today}
        - {name: first_count, path: 'items[0].count'}
  http_match:
    prober: http
    http:
      fail_if_body_not_matches_regexp: ['"ok":\s*true']
  http_no_redirect:
    prober: http
    http:
      follow_redirects: false
      valid_status_codes: [302]
  http_post:
    prober: http
    http:
      method: POST
      headers: {X-Token: abc}
      body: '{"q":1}'
      valid_status_codes: [201]
  https_ca:
    prober: http
    http:
      fail_if_not_ssl: true
      tls_config: {ca_file: ca.pem}
  tcp_expect:
    prober: tcp
    tcp:
      send: "PING\n"
      expect: "^PONG"
  tcp_tls:
    prober: tcp
    tcp:
      tls: true
      tls_config: {ca_file: ca.pem}
`

// setup builds a Manager serving /probe over the probe collector with the given targets
// (YAML list items under probe:), and a CA file trusting cert.
func setup(t *testing.T, cert testtool.Cert, targets string) http.Handler {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	text := modules
	if targets != "" {
		text += "probe:\n" + targets
	}
	return setupIn(t, dir, text)
}

// setupText is setup with a whole config file's text.
func setupText(t *testing.T, text string) http.Handler {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), testtool.SelfSigned(t).CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return setupIn(t, dir, text)
}

func setupIn(t *testing.T, dir, text string) http.Handler {
	t.Helper()
	cfg, err := config.Parse([]byte(text), filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatal(err)
	}
	m := collector.NewManager(collector.Options{MaxConcurrent: 8}, New(testLogger(t)))
	m.ApplyConfig(cfg)
	t.Cleanup(func() { _ = m.Close() })
	return m.Handler("probe")
}

// result is one probe's answer: every series as `name{label="v"}` → value.
type result map[string]float64

func (r result) reason() string {
	for k, v := range r {
		if strings.HasPrefix(k, "probe_failure_reason{") && v == 1 {
			return strings.TrimSuffix(strings.TrimPrefix(k, `probe_failure_reason{reason="`), `"}`)
		}
	}
	return ""
}

func (r result) String() string {
	var lines []string
	for k, v := range r {
		lines = append(lines, fmt.Sprintf("%s %v", k, v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func probeURL(t *testing.T, h http.Handler, query string, timeout string) result {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/probe?"+query, nil)
	if timeout != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", timeout)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("/probe?%s: status %d: %s", query, rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, rec.Body)
	}
	out := result{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			key := name
			if len(m.GetLabel()) > 0 {
				var ls []string
				for _, l := range m.GetLabel() {
					ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				key += "{" + strings.Join(ls, ",") + "}"
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

func wantSuccess(t *testing.T, r result) {
	t.Helper()
	if r["probe_success"] != 1 {
		t.Fatalf("probe_success = %v (reason %q), want 1\n%s", r["probe_success"], r.reason(), r)
	}
}

func wantFailure(t *testing.T, r result, reason string) {
	t.Helper()
	if r["probe_success"] != 0 || r.reason() != reason {
		t.Fatalf("probe_success %v reason %q, want 0 with reason %q\n%s", r["probe_success"], r.reason(), reason, r)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// silentListener accepts connections and never answers until the test ends.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(&testtool.LogBuffer{}, nil))
}

// deadlineKept checks a probe of a silent peer gave up within its deadline (with generous
// slack for a loaded machine), as a timeout.
func deadlineKept(t *testing.T, h http.Handler, query string) {
	t.Helper()
	start := time.Now()
	r := probeURL(t, h, query, "1.5") // 1s after the 0.5s offset
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the probe took %v; its deadline was 1s", took)
	}
	wantFailure(t, r, "timeout")
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// An ad-hoc probe (/probe?target=ADDRESS&module=M) gets its module's timeout as its cap, like
// a configured target without one: a module allowed 25s is not cut to 10s.
func TestAdHocProbeIsCappedByItsModulesTimeout(t *testing.T) {
	cfg, err := config.Parse([]byte("probe_modules:\n  slow_http: {prober: http, timeout: 25s}\n"), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := New(testLogger(t))
	c.Reload(cfg)
	for module, want := range map[string]time.Duration{"slow_http": 25 * time.Second, "http_2xx": config.DefaultProbeTimeout} {
		target, err := c.AdHoc(url.Values{"target": {"https://api.example/health"}, "module": {module}})
		if err != nil || target == nil {
			t.Fatalf("%s: %v", module, err)
		}
		if target.Timeout != want {
			t.Errorf("%s: ad-hoc probe capped at %v, want %v", module, target.Timeout, want)
		}
	}
}
