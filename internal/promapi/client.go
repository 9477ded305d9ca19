// Package promapi is a small client of the Prometheus HTTP query API (/api/v1/query) that
// works the same against Prometheus, Thanos, Mimir, Cortex and VictoriaMetrics.
//
// It asks only for instant queries: an instant query of a raw range selector (x[5m])
// returns the real samples with their real timestamps, which is what ronda-restore reads
// history with; "@" modifiers and lookback settings are avoided because not every backend
// has them. Every answer that is not a complete success is an error: a status other than
// success, an errorType, warnings (Thanos and Mimir report partial data as warnings) and
// VictoriaMetrics' isPartial. partial_response=false is sent with every query so Thanos
// fails instead of answering with part of the data, and nocache=1 so VictoriaMetrics
// evaluates at the time asked: without it, a time within -search.latencyOffset (30s) of
// now is silently moved back to now minus that offset, and an instant vector asked for
// "now" describes half a minute ago (raw range selectors are not moved, but nothing here
// should depend on which kind of query it is). Backends that do not know a parameter
// ignore it.
//
// The client_golang API client is not used on purpose: its signatures change between minor
// versions, and ronda needs strict decoding and the partial-response rules above.
package promapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/rondanet/ronda/config"
)

// DefaultTimeout bounds one query when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes caps an answer: a query that would return more is a mistake (a missing
// label matcher), not something to hold in memory.
const maxResponseBytes = 512 << 20

// Options say how to reach the API.
type Options struct {
	// URL is the server's base URL with any path prefix (http://mimir:8080/prometheus);
	// /api/v1/query is appended to it.
	URL string
	// HTTP carries authentication (basic auth, bearer token, OAuth2) and TLS settings; nil
	// means plain HTTP(S) with the system's CAs.
	HTTP *promconfig.HTTPClientConfig
	// OrgID, when set, is sent as X-Scope-OrgID (Mimir, Cortex, Loki-style tenancy).
	OrgID string
	// Timeout bounds each query, on top of the caller's context. Zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent names the program in requests; default "ronda".
	UserAgent string
}

// Client runs queries. It is safe for concurrent use.
type Client struct {
	endpoint string // full URL of /api/v1/query
	client   *http.Client
	orgID    string
	timeout  time.Duration
	agent    string
}

// LoadHTTPConfig reads a Prometheus-style HTTP client configuration file (basic_auth,
// authorization, oauth2, tls_config, proxy_url, …), as used under a scrape config.
// Relative file names in it resolve against the file's folder.
func LoadHTTPConfig(filename string) (*promconfig.HTTPClientConfig, error) {
	cfg, _, err := promconfig.LoadHTTPConfigFile(filename)
	if err != nil {
		return nil, fmt.Errorf("prometheus client config %s: %w", filename, err)
	}
	cfg.SetDirectory(filepath.Dir(filename))
	return cfg, nil
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	// The URL is quoted in errors as shown: a password in it would reach the programs'
	// output and logs (the check of credentials below comes after the others).
	shown := config.URLWithoutPassword(opts.URL)
	u, err := config.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %w", shown, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("prometheus URL %q: must start with http:// or https://", shown)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q: no host", shown)
	}
	if u.User != nil {
		// Credentials in a URL end up in logs and process listings.
		return nil, fmt.Errorf("prometheus URL %s: put credentials in the client config file (basic_auth), not in the URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("prometheus URL %s: must not have a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	u.RawPath = ""

	httpCfg := promconfig.DefaultHTTPClientConfig
	if opts.HTTP != nil {
		httpCfg = *opts.HTTP
	}
	if err := httpCfg.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus client config: %w", err)
	}
	agent := opts.UserAgent
	if agent == "" {
		agent = "ronda"
	}
	client, err := promconfig.NewClientFromConfig(httpCfg, "prometheus", promconfig.WithUserAgent(agent))
	if err != nil {
		return nil, fmt.Errorf("prometheus client config: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{endpoint: u.String(), client: client, orgID: opts.OrgID, timeout: timeout, agent: agent}, nil
}

// Endpoint is the query URL the client sends to.
func (c *Client) Endpoint() string { return c.endpoint }

// Query runs an instant query evaluated at time at and decodes its answer.
func (c *Client) Query(ctx context.Context, query string, at time.Time) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	form := url.Values{
		"query":            {query},
		"time":             {FormatTime(at)},
		"partial_response": {"false"},
		"nocache":          {"1"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Query: query, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.orgID != "" {
		req.Header.Set("X-Scope-OrgID", c.orgID)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, &Error{Query: query, Unreachable: true, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, &Error{Query: query, Unreachable: true, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if len(body) > maxResponseBytes {
		return nil, &Error{Query: query, Err: fmt.Errorf("answer larger than %d MiB", maxResponseBytes>>20)}
	}
	res, err := Decode(body)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) || resp.StatusCode/100 == 2 {
			return nil, &Error{Query: query, Status: resp.StatusCode, Err: err}
		}
		// Not the API's JSON at all: a proxy's or load balancer's error page.
		return nil, &Error{Query: query, Status: resp.StatusCode, Unreachable: resp.StatusCode >= 500,
			Err: fmt.Errorf("HTTP %s: %s", resp.Status, snippet(body))}
	}
	if resp.StatusCode/100 != 2 {
		return nil, &Error{Query: query, Status: resp.StatusCode, Err: fmt.Errorf("HTTP %s with a success body", resp.Status)}
	}
	return res, nil
}

// Matrix runs an instant query that must return a range vector (a raw range selector).
func (c *Client) Matrix(ctx context.Context, query string, at time.Time) ([]Series, error) {
	res, err := c.Query(ctx, query, at)
	if err != nil {
		return nil, err
	}
	if res.Type != TypeMatrix {
		return nil, &Error{Query: query, Err: fmt.Errorf("want a matrix, got a %s", res.Type)}
	}
	return res.Matrix, nil
}

// Vector runs an instant query that must return an instant vector.
func (c *Client) Vector(ctx context.Context, query string, at time.Time) ([]Instant, error) {
	res, err := c.Query(ctx, query, at)
	if err != nil {
		return nil, err
	}
	if res.Type != TypeVector {
		return nil, &Error{Query: query, Err: fmt.Errorf("want a vector, got a %s", res.Type)}
	}
	return res.Vector, nil
}

// FormatTime writes t as the API's time parameter: Unix seconds with millisecond
// precision, the resolution of Prometheus timestamps.
func FormatTime(t time.Time) string {
	ms := t.UnixMilli()
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

// FormatRange writes a duration as a PromQL range ("90061ms"), rounded up to the
// millisecond so the range never falls short.
func FormatRange(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatInt(int64(max(ms, 1)), 10) + "ms"
}

// Error is a query that failed.
type Error struct {
	Query string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Unreachable reports that the server could not be reached or answered like a broken
	// proxy (a 5xx without the API's JSON): worth retrying later.
	Unreachable bool
	Err         error
}

func (e *Error) Error() string { return fmt.Sprintf("prometheus query %s: %v", e.Query, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return strconv.Quote(s)
}
