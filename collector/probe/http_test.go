package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

func adHoc(target, module string) string {
	return url.Values{"target": {target}, "module": {module}}.Encode()
}

func TestHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok": true}`) })
	mux.HandleFunc("/not-ok", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok": false}`) })
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"data": {"users": {"today": 17, "week": 80}}, "items": [{"count": "5"}]}`)
	})
	mux.HandleFunc("/stats-missing", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"data": {"users": {}}, "items": []}`)
	})
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"data": {"users": `) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `<html>maintenance</html>`) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/r2", http.StatusFound) })
	mux.HandleFunc("/r2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("X-Token") != "abc" || string(body) != `{"q":1}` {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	server := httptest.NewServer(mux)
	defer server.Close()
	cert := testtool.SelfSigned(t)
	h := setup(t, cert, "")
	u := server.URL

	t.Run("2xx", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/ok", "http_2xx"), "")
		wantSuccess(t, r)
		for name, want := range map[string]float64{
			"probe_http_status_code": 200, "probe_http_content_length": 12, "probe_http_uncompressed_body_length": 12,
			"probe_http_ssl": 0, "probe_http_redirects": 0, "probe_ip_protocol": 4, "probe_http_version": 1.1,
		} {
			if got, ok := r[name]; !ok || got != want {
				t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
			}
		}
		for _, phase := range httpPhases {
			if _, ok := r[`probe_http_duration_seconds{phase="`+phase+`"}`]; !ok {
				t.Errorf("phase %s missing", phase)
			}
		}
		if r[`probe_http_duration_seconds{phase="connect"}`] <= 0 {
			t.Error("connect phase not measured")
		}
	})
	t.Run("status not accepted", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/missing", "http_2xx"), "")
		wantFailure(t, r, "http_status")
		if r["probe_http_status_code"] != 404 {
			t.Errorf("status code %v, want 404", r["probe_http_status_code"])
		}
	})
	t.Run("body matches", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/ok", "http_match"), "")
		wantSuccess(t, r)
		if v, ok := r["probe_failed_due_to_regex"]; !ok || v != 0 {
			t.Errorf("probe_failed_due_to_regex = %v, %v; want 0", v, ok)
		}
	})
	t.Run("body mismatch", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/not-ok", "http_match"), "")
		wantFailure(t, r, "body_mismatch")
		if r["probe_failed_due_to_regex"] != 1 {
			t.Errorf("probe_failed_due_to_regex = %v, want 1", r["probe_failed_due_to_regex"])
		}
	})
	t.Run("redirects followed", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/redirect", "http_2xx"), "")
		wantSuccess(t, r)
		if r["probe_http_redirects"] != 2 {
			t.Errorf("redirects %v, want 2", r["probe_http_redirects"])
		}
	})
	t.Run("redirect loop", func(t *testing.T) {
		wantFailure(t, probeURL(t, h, adHoc(u+"/loop", "http_2xx"), ""), "protocol")
	})
	t.Run("redirects not followed", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/redirect", "http_no_redirect"), "")
		wantSuccess(t, r)
		if r["probe_http_status_code"] != 302 {
			t.Errorf("status %v, want the redirect's 302", r["probe_http_status_code"])
		}
	})
	t.Run("method, headers and body", func(t *testing.T) {
		wantSuccess(t, probeURL(t, h, adHoc(u+"/post", "http_post"), ""))
		wantFailure(t, probeURL(t, h, adHoc(u+"/post", "http_2xx"), ""), "http_status")
	})
	t.Run("json values", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/stats", "http_json"), "")
		wantSuccess(t, r)
		if r[`probe_json_value{name="users_today"}`] != 17 || r[`probe_json_value{name="first_count"}`] != 5 {
			t.Errorf("json values:\n%s", r)
		}
	})
	t.Run("json value missing", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/stats-missing", "http_json"), "")
		wantFailure(t, r, "json")
	})
	t.Run("malformed json", func(t *testing.T) {
		wantFailure(t, probeURL(t, h, adHoc(u+"/malformed", "http_json"), ""), "json")
		wantFailure(t, probeURL(t, h, adHoc(u+"/html", "http_json"), ""), "json")
	})
	t.Run("closed port", func(t *testing.T) {
		r := probeURL(t, h, adHoc("http://"+closedPort(t)+"/", "http_2xx"), "")
		wantFailure(t, r, "connect")
		// As with blackbox, the answer's series are there, at 0, when no answer came.
		for _, name := range []string{"probe_http_content_length", "probe_http_uncompressed_body_length", "probe_http_ssl", "probe_http_version", "probe_failed_due_to_regex"} {
			if v, ok := r[name]; !ok || v != 0 {
				t.Errorf("%s = %v, %v; want 0", name, v, ok)
			}
		}
	})
	t.Run("status fails before any regexp runs", func(t *testing.T) {
		r := probeURL(t, h, adHoc(u+"/post", "http_match"), "")
		wantFailure(t, r, "http_status")
		if v, ok := r["probe_failed_due_to_regex"]; !ok || v != 0 {
			t.Errorf("probe_failed_due_to_regex = %v, %v; want 0", v, ok)
		}
	})
	t.Run("silent listener", func(t *testing.T) {
		deadlineKept(t, h, adHoc("http://"+silentListener(t)+"/", "http_2xx"))
	})
	t.Run("unresolvable name", func(t *testing.T) {
		wantFailure(t, probeURL(t, h, adHoc("http://no-such-host.invalid/", "http_2xx"), ""), "dns_resolve")
	})
	t.Run("plain http when TLS is required", func(t *testing.T) {
		wantFailure(t, probeURL(t, h, adHoc(u+"/ok", "https_ca"), ""), "tls")
	})
}

// okOverTLS is an HTTPS server with cert answering "ok", until the test ends.
func okOverTLS(t *testing.T, cert testtool.Cert) *httptest.Server {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	server.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	server.StartTLS()
	t.Cleanup(server.Close)
	return server
}

func TestHTTPS(t *testing.T) {
	cert := testtool.SelfSigned(t)
	server := okOverTLS(t, cert)
	h := setup(t, cert, "")

	r := probeURL(t, h, adHoc(server.URL, "https_ca"), "")
	wantSuccess(t, r)
	leaf, err := x509.ParseCertificate(cert.TLS.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if r["probe_http_ssl"] != 1 || r["probe_ssl_earliest_cert_expiry"] != float64(leaf.NotAfter.Unix()) {
		t.Errorf("TLS series:\n%s", r)
	}
	if r[`probe_http_duration_seconds{phase="tls"}`] <= 0 {
		t.Error("tls phase not measured")
	}
	// Without the CA, the certificate is not trusted.
	wantFailure(t, probeURL(t, h, adHoc(server.URL, "http_2xx"), ""), "tls")
}

// TestModuleThatCannotBeBuiltFailsAsConfig: a module whose CA file went away between the
// config's check and its use fails every probe with reason config and says why; it does
// not probe with the system CAs instead (a tls failure pointing the wrong way).
func TestModuleThatCannotBeBuiltFailsAsConfig(t *testing.T) {
	cert := testtool.SelfSigned(t)
	server := okOverTLS(t, cert)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(modules), filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	var logs testtool.LogBuffer
	m := collector.NewManager(collector.Options{}, New(slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(func() { _ = m.Close() })
	m.ApplyConfig(cfg)
	rec := httptest.NewRecorder()
	m.Handler("probe").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?debug=true&"+adHoc(server.URL, "https_ca"), nil))
	if !strings.Contains(rec.Body.String(), `probe_failure_reason{reason="config"} 1`) || !strings.Contains(rec.Body.String(), "probe module https_ca cannot be used") {
		t.Errorf("a probe with a module whose CA file is gone:\n%s", rec.Body)
	}
	if !strings.Contains(logs.String(), "probe module cannot be used") {
		t.Errorf("the reload did not log the module's problem:\n%s", logs.String())
	}
}

func TestConfiguredHTTPTarget(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"data": {"users": {"today": 3}}, "items": [{"count": 1}]}`)
	}))
	defer server.Close()
	h := setup(t, testtool.SelfSigned(t), fmt.Sprintf(`
  - name: portal
    address: %s/stats
    module: http_json
    labels: {unit: Pusat}
`, server.URL))
	r := probeURL(t, h, "target=portal", "")
	wantSuccess(t, r)
	if r[`probe_json_value{name="users_today"}`] != 3 {
		t.Errorf("json value:\n%s", r)
	}
	if !strings.Contains(r.String(), "probe_duration_seconds") {
		t.Error("probe_duration_seconds missing")
	}
}

// TestHTTPSStalledHandshakeIsSafe: a target that takes the connection and never answers
// the TLS hello. The probe gives up at its deadline while the transport's dial goroutine
// is still in the handshake and writes its phase time later: under the race detector
// (make test) a phase map read and written without the lock is a failure, and without it
// a crash of the whole exporter (concurrent map read and write) waits to happen.
func TestHTTPSStalledHandshakeIsSafe(t *testing.T) {
	h := setupText(t, modules)
	silent := silentListener(t)
	for range 5 {
		wantFailure(t, probeURL(t, h, adHoc("https://"+silent+"/", "http_2xx"), "0.8"), "timeout")
	}
}
