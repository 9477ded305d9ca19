package olt_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/olt"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestURLPasswordNeverShown: config refuses an OLT URL with credentials, but a driver given
// one all the same (a config built in code) must not put its password in the scrape's
// error, which is logged and shown on the landing page: not when the URL does not parse
// (url.Parse's error quotes it whole), nor when the OLT answers an error.
func TestURLPasswordNeverShown(t *testing.T) {
	const secret = "hunter2"
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer failing.Close()
	var targets []config.OLTTarget
	for _, driver := range config.OLTDrivers {
		for name, url := range map[string]string{
			"unparsed": "http://admin:" + secret + "@192.0.2.10:port",
			"answers":  strings.Replace(failing.URL, "://", "://admin:"+secret+"@", 1),
		} {
			targets = append(targets, config.OLTTarget{Name: driver + "-" + name, Driver: driver, URL: url,
				Username: testUser, Password: testPassword, MinInterval: config.Duration(time.Second), Timeout: config.Duration(5 * time.Second)})
		}
	}
	var logs testtool.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	manager := collector.NewManager(collector.Options{Logger: logger}, olt.New(logger, olt.Options{}))
	defer manager.Close()
	manager.ApplyConfig(&config.Config{OLT: targets})
	for _, target := range targets {
		rec := httptest.NewRecorder()
		manager.Handler(config.KindOLT).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/olt?target="+target.Name, nil))
		if got := series(t, rec.Body.String()); got["olt_up"] != 0 {
			t.Errorf("%s: olt_up %v, want 0", target.Name, got["olt_up"])
		}
		result, _ := manager.Latest(target.Name)
		if result.Error == "" || strings.Contains(result.Error, secret) {
			t.Errorf("%s: the scrape's error shows the password (or is empty): %q", target.Name, result.Error)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log shows the password:\n%s", logs.String())
	}
}
