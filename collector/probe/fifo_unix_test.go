//go:build unix

package probe

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestCAFileSwappedForAFIFOFailsAsConfig: a module's CA file is read again when the
// collector takes the config; replaced by a FIFO since the config was checked, it is
// refused as config load refuses one, not opened (which would hang the reload until
// something wrote to the FIFO).
func TestCAFileSwappedForAFIFOFailsAsConfig(t *testing.T) {
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
	testtool.ReplaceWithFIFO(t, ca, cert.CertPEM)
	m := collector.NewManager(collector.Options{}, New(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { _ = m.Close() })
	m.ApplyConfig(cfg)
	rec := httptest.NewRecorder()
	m.Handler("probe").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?debug=true&"+adHoc(server.URL, "https_ca"), nil))
	if !strings.Contains(rec.Body.String(), `probe_failure_reason{reason="config"} 1`) || !strings.Contains(rec.Body.String(), "not a regular file") {
		t.Errorf("a probe with a module whose CA file is now a FIFO:\n%s", rec.Body)
	}
}
