package exporter

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/probe"
	"github.com/rondanet/ronda/config"
)

// TestLandingLinksAdHocProbesWithTheirModule: a recent ad-hoc probe's debug link must carry
// its module, or following it answers 404 (no configured target has that name).
func TestLandingLinksAdHocProbesWithTheirModule(t *testing.T) {
	cfg, err := config.Parse([]byte("probe:\n  - {name: gateway, address: 127.0.0.1}\n"), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := collector.NewManager(collector.Options{MaxConcurrent: 4}, probe.New(slog.New(slog.DiscardHandler)))
	m.ApplyConfig(cfg)
	t.Cleanup(func() { _ = m.Close() })

	// A closed port: the probe fails at once, which is all the history needs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	rec := httptest.NewRecorder()
	m.Handler("probe").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target="+closed+"&module=tcp_connect&debug=true", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("ad-hoc probe: %d %s", rec.Code, rec.Body)
	}

	rec = httptest.NewRecorder()
	landingPage(m).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`/probe?debug=true&amp;module=tcp_connect&amp;target=` + strings.ReplaceAll(closed, ":", "%3A"),
		`/probe?debug=true&amp;target=gateway`, // configured targets need no module
	} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q:\n%s", want, body)
		}
	}

	// The link works: it probes the same target with the same module.
	link := "/probe?debug=true&module=tcp_connect&target=" + closed
	rec = httptest.NewRecorder()
	m.Handler("probe").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, link, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "probe_success 0") {
		t.Errorf("following the link: %d\n%s", rec.Code, rec.Body)
	}
}
