package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

const secret = "hunter2-very-secret"

// stubCollector answers every scrape with one series naming the target.
type stubCollector struct{}

var stubDesc = prometheus.NewDesc("mikrotik_stub_scraped", "Set by the stub collector.", []string{"name"}, nil)

func (stubCollector) Kind() string          { return config.KindMikroTik }
func (stubCollector) Reload(*config.Config) {}
func (stubCollector) Close() error          { return nil }
func (stubCollector) Scrape(_ context.Context, target string, _ *slog.Logger, ch chan<- prometheus.Metric) error {
	ch <- prometheus.MustNewConstMetric(stubDesc, prometheus.GaugeValue, 1, target)
	return nil
}

func writeConfig(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "router.password"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("mikrotik:\n")
	for _, n := range names {
		b.WriteString("  - name: " + n + "\n    address: 127.0.0.1:8728\n    username: ronda\n    password_file: router.password\n    labels: {unit: Test}\n")
	}
	path := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type running struct {
	base   string
	client *http.Client
	reload chan chan error
	done   chan error
}

// start runs the exporter in-process on a free port until the test ends.
func start(t *testing.T, configFile, webConfigFile string, client *http.Client) *running {
	t.Helper()
	addrs := []string{"127.0.0.1:0"}
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: new(bool), WebConfigFile: &webConfigFile}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	r := &running{reload: make(chan chan error), done: make(chan error, 1), client: client}
	go func() {
		r.done <- Run(ctx, Options{
			ConfigFile: configFile,
			Web:        flags,
			Logger:     slog.New(slog.DiscardHandler),
			Reload:     r.reload,
			Collectors: func(*slog.Logger) []collector.Collector { return []collector.Collector{stubCollector{}} },
			Ready:      func(a []string) { ready <- a[0] },
		})
	}()
	scheme := "http"
	if webConfigFile != "" {
		scheme = "https"
	}
	select {
	case addr := <-ready:
		r.base = scheme + "://" + addr
	case err := <-r.done:
		cancel()
		t.Fatalf("exporter did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Run returned %v after its context ended, want nil", err)
		}
	})
	if r.client == nil {
		r.client = &http.Client{Timeout: 10 * time.Second}
	}
	return r
}

func (r *running) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestRunServesEveryEndpoint(t *testing.T) {
	dir := t.TempDir()
	r := start(t, writeConfig(t, dir, "router-a", "router-b"), "", nil)

	code, body := r.do(t, http.MethodGet, "/mikrotik?target=router-a")
	if code != 200 || !strings.Contains(body, `mikrotik_stub_scraped{name="router-a"} 1`) || !strings.Contains(body, "mikrotik_up 1") {
		t.Errorf("/mikrotik: %d\n%s", code, body)
	}
	code, body = r.do(t, http.MethodGet, "/sd")
	var groups []map[string]any
	if err := json.Unmarshal([]byte(body), &groups); code != 200 || err != nil || len(groups) != 2 {
		t.Errorf("/sd: %d %v\n%s", code, err, body)
	}
	code, body = r.do(t, http.MethodGet, "/metrics")
	for _, want := range []string{
		"ronda_exporter_build_info{",
		`ronda_exporter_scrapes_total{kind="mikrotik",outcome="success"} 1`,
		"ronda_exporter_config_last_reload_successful 1",
		`ronda_exporter_targets{kind="mikrotik"} 2`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	code, body = r.do(t, http.MethodGet, "/")
	for _, want := range []string{"router-a", "router-b", "unit=Test", "not scraped yet", `<span class="ok">up</span>`, "/mikrotik?debug=true&amp;target=router-a"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q:\n%s", want, body)
		}
	}
	if code, _ := r.do(t, http.MethodGet, "/nope"); code != http.StatusNotFound {
		t.Errorf("/nope: got %d, want 404", code)
	}
	for _, p := range []string{"/-/healthy", "/-/ready"} {
		if code, _ := r.do(t, http.MethodGet, p); code != 200 {
			t.Errorf("%s: got %d", p, code)
		}
	}
}

func TestConfigPageHidesSecrets(t *testing.T) {
	r := start(t, writeConfig(t, t.TempDir(), "router-a"), "", nil)
	code, body := r.do(t, http.MethodGet, "/config")
	if code != 200 || !strings.Contains(body, "password_file: ") || !strings.Contains(body, "router.password") {
		t.Errorf("/config: %d\n%s", code, body)
	}
	if strings.Contains(body, secret) {
		t.Errorf("/config reveals the password:\n%s", body)
	}
}

func TestReloadSwapsOnlyValidConfig(t *testing.T) {
	dir := t.TempDir()
	file := writeConfig(t, dir, "router-a")
	r := start(t, file, "", nil)

	if code, _ := r.do(t, http.MethodGet, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: got %d, want 405", code)
	}

	// A valid change through POST /-/reload: router-b appears.
	writeConfig(t, dir, "router-a", "router-b")
	if code, body := r.do(t, http.MethodPost, "/-/reload"); code != 200 {
		t.Fatalf("POST /-/reload: %d %s", code, body)
	}
	if code, _ := r.do(t, http.MethodGet, "/mikrotik?target=router-b"); code != 200 {
		t.Errorf("router-b after reload: got %d, want 200", code)
	}

	// A broken edit: the reload fails, says where, and the previous config keeps working.
	if err := os.WriteFile(file, []byte("mikrotik:\n  - name: router-c\n    adress: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := r.do(t, http.MethodPost, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "ronda.yml:3") {
		t.Errorf("broken reload: got %d %q, want 500 naming ronda.yml:3", code, body)
	}
	if code, _ := r.do(t, http.MethodGet, "/mikrotik?target=router-b"); code != 200 {
		t.Errorf("router-b after a failed reload: got %d, want 200 (old config stays)", code)
	}
	_, metrics := r.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(metrics, "ronda_exporter_config_last_reload_successful 0") ||
		!strings.Contains(metrics, "ronda_exporter_config_reloads_failed_total 1") {
		t.Errorf("reload gauges after a failed reload wrong:\n%s", grep(metrics, "reload"))
	}

	// The SIGHUP path (main turns SIGHUP into a reload request): fixed file, reload succeeds.
	writeConfig(t, dir, "router-c")
	done := make(chan error, 1)
	r.reload <- done
	if err := <-done; err != nil {
		t.Fatalf("reload request: %v", err)
	}
	if code, _ := r.do(t, http.MethodGet, "/mikrotik?target=router-c"); code != 200 {
		t.Errorf("router-c after SIGHUP reload: got %d", code)
	}
	if code, _ := r.do(t, http.MethodGet, "/mikrotik?target=router-b"); code != http.StatusNotFound {
		t.Errorf("router-b after it was removed: got %d, want 404", code)
	}
	_, metrics = r.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(metrics, "ronda_exporter_config_last_reload_successful 1") {
		t.Errorf("reload gauge not back to 1:\n%s", grep(metrics, "reload"))
	}
}

func TestRunRefusesInvalidConfigAtStart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte("mikrotk: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := []string{"127.0.0.1:0"}
	err := Run(context.Background(), Options{ConfigFile: file, Web: &web.FlagConfig{WebListenAddresses: &addrs}})
	if err == nil || !strings.Contains(err.Error(), "ronda.yml:1") || !strings.Contains(err.Error(), `did you mean "mikrotik"`) {
		t.Errorf("Run with a bad config: got %v", err)
	}
}

func TestCheckConfig(t *testing.T) {
	var out strings.Builder
	file := writeConfig(t, t.TempDir(), "a", "b")
	if err := CheckConfig(file, &out); err != nil || out.String() != file+" is valid (mikrotik: 2)\n" {
		t.Errorf("CheckConfig: %v %q", err, out.String())
	}
	if err := CheckConfig(filepath.Join(t.TempDir(), "missing.yml"), &out); err == nil {
		t.Error("CheckConfig of a missing file succeeded")
	}
}

func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+
		"\nbasic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	r := start(t, writeConfig(t, dir, "router-a"), webConfig, client)

	if code, _ := r.do(t, http.MethodGet, "/sd"); code != http.StatusUnauthorized {
		t.Errorf("/sd without credentials: got %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, r.base+"/sd", nil)
	req.SetBasicAuth("prometheus", "scrape-pass")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var groups []struct{ Labels map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&groups); err != nil || len(groups) != 1 || groups[0].Labels["__scheme__"] != "https" {
		t.Errorf("/sd over TLS with credentials: %d %v %+v", resp.StatusCode, err, groups)
	}
}

func writeCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	c := testtool.SelfSigned(t)
	certFile, keyFile = c.WriteFiles(t, dir)
	return certFile, keyFile, c.Pool
}

func grep(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestDefaultCollectorsServeEveryKind(t *testing.T) {
	var got []string
	for _, c := range DefaultCollectors(slog.New(slog.DiscardHandler)) {
		got = append(got, c.Kind())
		_ = c.Close()
	}
	if !slices.Contains(got, config.KindMikroTik) {
		t.Errorf("default collectors %v lack %s", got, config.KindMikroTik)
	}
}
