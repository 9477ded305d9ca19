package web

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"

	"github.com/rondanet/ronda/internal/testtool"
)

// TestRunWithTLSAndBasicAuth serves the page as `ronda-restore serve` does, with an
// exporter-toolkit web config: TLS and basic auth on every path, Secure cookies over TLS,
// and a clean stop when the context ends.
func TestRunWithTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	cert := testtool.SelfSigned(t)
	certFile, keyFile := cert.WriteFiles(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("field-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+
		"\nbasic_auth_users:\n  operator: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := []string{"127.0.0.1:0"}
	systemd := false
	flags := &toolkit.FlagConfig{WebListenAddresses: &listen, WebSystemdSocket: &systemd, WebConfigFile: &webConfig}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan []string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Service: fixture(), Location: wib, Now: func() time.Time { return now }}, flags,
			func(a []string) { addrs <- a })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "https://" + a[0]
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}
	get := func(path, user, pass string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, path := range []string{"/", "/routers/hotspot-1", "/-/healthy"} {
		if resp, _ := get(path, "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d", path, resp.StatusCode)
		}
		if resp, _ := get(path, "operator", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d", path, resp.StatusCode)
		}
	}
	for path, want := range map[string]string{"/-/healthy": "Healthy", "/-/ready": "Ready", "/routers/hotspot-1": "2026-11-24 18:14:30 WIB"} {
		resp, body := get(path, "operator", "field-pass")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	resp, _ := get("/", "operator", "field-pass")
	if c := resp.Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("over TLS the session cookie is not Secure: %+v", c)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
}
