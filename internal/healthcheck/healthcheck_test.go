package healthcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Healthy.\n")) })
	mux.HandleFunc("/sick", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "store broken", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/-/healthy", http.StatusFound) })
	mux.HandleFunc("/hang", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }) // until the client gives up
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	closed := httptest.NewServer(mux)
	closed.Close()

	for _, tc := range []struct {
		name, url string
		opts      Options
		want      string // "" for healthy, else part of the error
	}{
		{"healthy", srv.URL + "/-/healthy", Options{}, ""},
		{"5xx names status and body", srv.URL + "/sick", Options{}, "503 Service Unavailable: \"store broken\\n\""},
		{"redirect is not healthy", srv.URL + "/login", Options{}, "302 Found"},
		{"nothing listening", closed.URL + "/-/healthy", Options{}, "connection refused"},
		{"deadline", srv.URL + "/hang", Options{Timeout: 200 * time.Millisecond}, "deadline exceeded"},
		{"TLS verified by default", tlsSrv.URL + "/-/healthy", Options{}, "certificate"},
		{"TLS skip verify", tlsSrv.URL + "/-/healthy", Options{InsecureSkipVerify: true}, ""},
		{"not a URL", "localhost:9850/-/healthy", Options{}, "not an http(s) URL"},
		{"credentials are not printed", strings.Replace(srv.URL, "http://", "http://u:secret@", 1) + "/sick", Options{}, "u:xxxxx@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(context.Background(), tc.url, tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check: %v, want healthy", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check: %v, want an error containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Fatalf("Check: %v shows the password", err)
			}
		})
	}
}
