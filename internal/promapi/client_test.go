package promapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seen is what the fake server saw of one request.
type seen struct {
	path, query, at, partial, nocache, orgID, auth, method string
}

func fakeServer(t *testing.T, status int, body []byte) (*httptest.Server, chan seen) {
	t.Helper()
	requests := make(chan seen, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		requests <- seen{
			path: r.URL.Path, query: r.PostForm.Get("query"), at: r.PostForm.Get("time"),
			partial: r.PostForm.Get("partial_response"), nocache: r.PostForm.Get("nocache"), orgID: r.Header.Get("X-Scope-OrgID"),
			auth: r.Header.Get("Authorization"), method: r.Method,
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, requests
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestQuerySendsWhatBackendsNeed(t *testing.T) {
	srv, requests := fakeServer(t, 200, fixture(t, "matrix.json"))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "prom.yml")
	if err := os.WriteFile(cfgFile, []byte("basic_auth:\n  username: ronda\n  password_file: pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpCfg, err := LoadHTTPConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{URL: srv.URL + "/prometheus/", HTTP: httpCfg, OrgID: "tenant-1"})
	if err != nil {
		t.Fatal(err)
	}
	series, err := c.Matrix(ctx(t), `mikrotik_up{instance="a"}[5m]`, time.UnixMilli(1700000000123))
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 {
		t.Fatalf("got %d series", len(series))
	}
	got := <-requests
	want := seen{
		path: "/prometheus/api/v1/query", query: `mikrotik_up{instance="a"}[5m]`, at: "1700000000.123",
		partial: "false", nocache: "1", orgID: "tenant-1", auth: "Basic cm9uZGE6aHVudGVyMg==", method: http.MethodPost,
	}
	if got != want {
		t.Errorf("request\n got %+v\nwant %+v", got, want)
	}
}

func TestBearerToken(t *testing.T) {
	srv, requests := fakeServer(t, 200, fixture(t, "empty.json"))
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prom.yml")
	if err := os.WriteFile(cfgFile, []byte("authorization:\n  credentials: tok3n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpCfg, err := LoadHTTPConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{URL: srv.URL, HTTP: httpCfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Matrix(ctx(t), "up[1m]", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	got := <-requests
	if got.auth != "Bearer tok3n" || got.orgID != "" || got.path != "/api/v1/query" {
		t.Errorf("request %+v", got)
	}
}

func TestQueryErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		file        string
		unreachable bool
		apiErr      bool
		contains    string
	}{
		{"bad query, 400", 400, "error-bad-data.json", false, true, "bad_data"},
		{"timeout, 503", 503, "error-timeout.json", false, true, "query timed out"},
		{"warnings", 200, "warnings-thanos.json", false, true, "may be incomplete"},
		{"partial", 200, "partial-victoriametrics.json", false, true, "partial"},
		{"proxy error page", 502, "not-json.html", true, false, "502 Bad Gateway"},
		{"garbage with 200", 200, "not-json.html", false, false, "not a Prometheus API answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeServer(t, tc.status, fixture(t, tc.file))
			c, err := New(Options{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Query(ctx(t), "the_query", time.Unix(1700000000, 0))
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("want *Error, got %v", err)
			}
			if qe.Unreachable != tc.unreachable || qe.Query != "the_query" || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %v (unreachable %v)", err, qe.Unreachable)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) != tc.apiErr {
				t.Errorf("APIError: got %v, want %v", !tc.apiErr, tc.apiErr)
			}
		})
	}
}

func TestWrongResultType(t *testing.T) {
	srv, _ := fakeServer(t, 200, fixture(t, "vector.json"))
	c, _ := New(Options{URL: srv.URL})
	if _, err := c.Matrix(ctx(t), "x", time.Now()); err == nil || !strings.Contains(err.Error(), "want a matrix") {
		t.Errorf("got %v", err)
	}
	srv, _ = fakeServer(t, 200, fixture(t, "matrix.json"))
	c, _ = New(Options{URL: srv.URL})
	if _, err := c.Vector(ctx(t), "x", time.Now()); err == nil || !strings.Contains(err.Error(), "want a vector") {
		t.Errorf("got %v", err)
	}
}

func TestUnreachableAndDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, _ := New(Options{URL: "http://" + addr})
	_, err = c.Query(ctx(t), "up", time.Now())
	var qe *Error
	if !errors.As(err, &qe) || !qe.Unreachable {
		t.Errorf("closed port: got %v", err)
	}

	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, _ = New(Options{URL: srv.URL, Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err = c.Query(ctx(t), "up", time.Now())
	if !errors.As(err, &qe) || !qe.Unreachable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled server: got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the query outlived its deadline by far: %v", time.Since(start))
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:9090", "ftp://x", "http://", "http://u:p@x:9090", "http://x:9090/?a=b", "http://x/%zz"} {
		if _, err := New(Options{URL: u}); err == nil {
			t.Errorf("New(%q) accepted it", u)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("the password is in the error: %v", err)
		}
	}
}

// TestBadURLErrorsHideThePassword: a URL with a password that New refuses for another
// reason first (it does not parse, its scheme, no host) is not quoted as written: the
// error ends up on ronda-restore's and ronda-webhook's output.
func TestBadURLErrorsHideThePassword(t *testing.T) {
	for _, u := range []string{
		"prometheus:hunter2@mon:9090",           // no scheme
		"ftp://ronda:hunter2@mon:9090",          // wrong scheme
		"http://ronda:hunter2@",                 // no host
		"http://ronda:hunter2@mon:90 90",        // does not parse
		"http://ronda:hunter2@mon:9090/%zz",     // does not parse, in the path
		"http://ronda:hun ter2@mon:9090",        // a password url.Parse cannot read
		"http://ronda:hunter2@mon:9090/?q=1",    // query
		"https://ronda:hunter2@mon:9090/prom/#", // fragment
	} {
		_, err := New(Options{URL: u})
		if err == nil {
			t.Errorf("New(%q) accepted it", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ter2") {
			t.Errorf("New(%q): the password is in the error: %v", u, err)
		}
		if !strings.Contains(err.Error(), "prometheus URL") {
			t.Errorf("New(%q): the error does not say which setting is wrong: %v", u, err)
		}
	}
}
