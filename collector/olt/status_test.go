package olt_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/olt"
	"github.com/rondanet/ronda/config"
)

// TestStatusErrorNamesTheMethodSent: an OLT that answers an error status fails the scrape
// with an error that names the request as it was sent, method included: V-SOL's and
// HSGQ's logins are POSTs (the error said GET for every request).
func TestStatusErrorNamesTheMethodSent(t *testing.T) {
	for _, driver := range config.OLTDrivers {
		for _, tc := range []struct {
			status int
			reason collector.Reason
		}{
			{http.StatusInternalServerError, collector.ReasonDevice},
			{http.StatusUnauthorized, collector.ReasonAuth},
		} {
			var mu sync.Mutex
			var sent []string
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sent = append(sent, r.Method+" "+r.URL.Path)
				mu.Unlock()
				http.Error(w, "no", tc.status)
			}))
			target := config.OLTTarget{Name: "olt-1", Driver: driver, URL: server.URL, Username: testUser, Password: testPassword,
				MinInterval: config.Duration(time.Second), Timeout: config.Duration(5 * time.Second)}
			manager := collector.NewManager(collector.Options{}, olt.New(slog.New(slog.DiscardHandler), olt.Options{}))
			manager.ApplyConfig(&config.Config{OLT: []config.OLTTarget{target}})
			rec := httptest.NewRecorder()
			manager.Handler(config.KindOLT).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/olt?target=olt-1", nil))
			result, _ := manager.Latest("olt-1")
			_ = manager.Close()
			server.Close()

			mu.Lock()
			if len(sent) != 1 {
				t.Errorf("%s, HTTP %d: the OLT was sent %q, want one request", driver, tc.status, sent)
			} else if method, path, _ := strings.Cut(sent[0], " "); !strings.HasPrefix(result.Error, method+" ") ||
				!strings.Contains(result.Error, path) || result.Reason != tc.reason {
				t.Errorf("%s, HTTP %d: the scrape failed with %q (%s), want it to name the %s it sent, as %s",
					driver, tc.status, result.Error, result.Reason, sent[0], tc.reason)
			}
			mu.Unlock()
		}
	}
}
