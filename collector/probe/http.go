package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/probe/jsonpath"
)

// maxBody bounds how much of an answer a probe reads: enough for any status page or JSON
// API, and a cap on memory when a URL serves a large file by mistake.
const maxBody = 8 << 20

// maxRedirects is how many redirects are followed, like Go's default client.
const maxRedirects = 10

var (
	httpStatusCode = collector.NewFamily("probe_http_status_code",
		"Status code of the last HTTP answer (after redirects); 0 when none came.", prometheus.GaugeValue)
	httpContentLength = collector.NewFamily("probe_http_content_length",
		"Content-Length of the last HTTP answer; -1 when unknown.", prometheus.GaugeValue)
	httpBodyLength = collector.NewFamily("probe_http_uncompressed_body_length",
		"Bytes of the last HTTP answer's body, once decompressed.", prometheus.GaugeValue)
	httpRedirects = collector.NewFamily("probe_http_redirects",
		"Redirects followed.", prometheus.GaugeValue)
	httpSSL = collector.NewFamily("probe_http_ssl",
		"1 if the last HTTP answer came over TLS, 0 if not.", prometheus.GaugeValue)
	httpVersion = collector.NewFamily("probe_http_version",
		"HTTP version of the last answer (1.1, 2).", prometheus.GaugeValue)
	httpDuration = collector.NewFamily("probe_http_duration_seconds",
		"Time spent in each phase of the HTTP requests, summed over redirects: resolve, connect, tls, processing (request sent to first byte of the answer), transfer.",
		prometheus.GaugeValue, "phase")
	sslEarliestExpiry = collector.NewFamily("probe_ssl_earliest_cert_expiry",
		"When the first certificate of the chain the target presented expires, as a Unix timestamp.", prometheus.GaugeValue)
	failedDueToRegex = collector.NewFamily("probe_failed_due_to_regex",
		"1 if the answer's content failed a configured regular expression, 0 if not.", prometheus.GaugeValue)
	jsonValueFamily = collector.NewFamily("probe_json_value",
		"A number read from the JSON answer at a configured path, by the configured name.", prometheus.GaugeValue, "name")
)

var httpPhases = []string{"resolve", "connect", "tls", "processing", "transfer"}

// httpTimes sums the phases of every request of one probe (one per redirect).
// httpTimes are a request's phases, written by the transport's goroutines (the dial
// one may still run after the probe gave up) and read by the probe: all under mu.
type httpTimes struct {
	mu     sync.Mutex
	phases map[string]time.Duration

	connectStart, tlsStart, wroteRequest, firstByte time.Time
}

// mark sets *at to now.
func (t *httpTimes) mark(at *time.Time) {
	t.mu.Lock()
	*at = time.Now()
	t.mu.Unlock()
}

// add adds the time since *since (when set) to a phase.
func (t *httpTimes) add(phase string, since *time.Time) {
	t.mu.Lock()
	if !since.IsZero() {
		t.phases[phase] += time.Since(*since)
	}
	t.mu.Unlock()
}

// phase is a phase's time so far.
func (t *httpTimes) phase(p string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phases[p]
}

func (t *httpTimes) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart:      func(string, string) { t.mark(&t.connectStart) },
		ConnectDone:       func(string, string, error) { t.add("connect", &t.connectStart) },
		TLSHandshakeStart: func() { t.mark(&t.tlsStart) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { t.add("tls", &t.tlsStart) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { t.mark(&t.wroteRequest) },
		GotFirstResponseByte: func() {
			t.mark(&t.firstByte)
			t.add("processing", &t.wroteRequest)
		},
	}
}

func probeHTTP(ctx context.Context, m *module, address string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	cfg := m.cfg.HTTP
	target, err := url.Parse(address)
	if err != nil {
		return collector.Failf(collector.ReasonConfig, "invalid URL %q: %v", address, err)
	}
	times := &httpTimes{phases: make(map[string]time.Duration, len(httpPhases))}
	status, redirects := 0, 0
	var contentLength, bodyLength int64
	var version, ssl, regexFailed float64
	defer func() {
		// These series exist whatever happened, as with blackbox, so a failing target's
		// dashboards show zeros rather than gaps.
		for _, p := range httpPhases {
			ch <- httpDuration.Sample(times.phase(p).Seconds(), p)
		}
		ch <- httpStatusCode.Sample(float64(status))
		ch <- httpRedirects.Sample(float64(redirects))
		ch <- httpContentLength.Sample(float64(contentLength))
		ch <- httpBodyLength.Sample(float64(bodyLength))
		ch <- httpVersion.Sample(version)
		ch <- httpSSL.Sample(ssl)
		ch <- failedDueToRegex.Sample(regexFailed)
	}()

	// The target's own host is resolved here (once, with the preferred IP protocol, timed
	// as the resolve phase); hosts that redirects lead to are resolved by the dialer.
	resolveStart := time.Now()
	ip, err := resolve(ctx, target.Hostname(), cfg.PreferredIPProtocol, ch)
	times.add("resolve", &resolveStart)
	if err != nil {
		return err
	}
	dialer := &net.Dialer{}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && host == target.Hostname() {
				addr = net.JoinHostPort(ip.String(), port)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:    m.tls.Clone(),
		DisableKeepAlives:  true, // every probe measures a fresh connection
		ForceAttemptHTTP2:  true,
		DisableCompression: false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			redirects = len(via)
			if !*cfg.FollowRedirects {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return nil
		},
	}

	var body io.Reader
	if cfg.Body != "" {
		body = strings.NewReader(cfg.Body.Reveal())
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, times.trace()), cfg.Method, target.String(), body)
	if err != nil {
		return collector.Failf(collector.ReasonConfig, "building the request: %v", err)
	}
	for k, v := range cfg.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "ronda-probe")
	}

	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "redirects") {
			return collector.Fail(collector.ReasonProtocol, err)
		}
		return err // Classify tells timeout, tls and connect apart
	}
	defer resp.Body.Close()
	status = resp.StatusCode

	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	times.add("transfer", &times.firstByte)

	contentLength, bodyLength = resp.ContentLength, int64(len(data))
	version = httpVersionNumber(resp.ProtoMajor, resp.ProtoMinor)
	if resp.TLS != nil {
		ssl = 1
		if expiry, ok := earliestExpiry(resp.TLS); ok {
			ch <- sslEarliestExpiry.Sample(float64(expiry.Unix()))
		}
	}

	if readErr != nil {
		return fmt.Errorf("reading the answer: %w", readErr)
	}
	if len(data) > maxBody {
		return collector.Failf(collector.ReasonProtocol, "the answer is larger than %d bytes", maxBody)
	}

	// Checked in blackbox's order: status, TLS, then content; probe_failed_due_to_regex
	// stays 0 unless a regexp ran and failed.
	if !statusAccepted(status, m.validStatus) {
		return collector.Failf(ReasonHTTPStatus, "status %d is not accepted (want %s)", status, describeStatus(m.validStatus))
	}
	if cfg.FailIfSSL && resp.TLS != nil {
		return collector.Failf(collector.ReasonTLS, "the answer came over TLS and fail_if_ssl is set")
	}
	if cfg.FailIfNotSSL && resp.TLS == nil {
		return collector.Failf(collector.ReasonTLS, "the answer did not come over TLS and fail_if_not_ssl is set")
	}
	if err := matchBody(data, m.bodyMatch, m.bodyNotMatch); err != nil {
		regexFailed = 1
		return collector.Fail(ReasonBodyMismatch, err)
	}
	if len(m.jsonValues) > 0 {
		return extractJSON(data, m.jsonValues, logger, ch)
	}
	return nil
}

// extractJSON sends every configured value it finds; any value missing fails the probe,
// because the API no longer answers what the operator relies on.
func extractJSON(data []byte, values []jsonValue, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	doc, err := jsonpath.Decode(data)
	if err != nil {
		return collector.Fail(ReasonJSON, err)
	}
	var missing []error
	for _, v := range values {
		n, err := v.path.Lookup(doc)
		if err != nil {
			missing = append(missing, err)
			continue
		}
		ch <- jsonValueFamily.Sample(n, v.name)
		logger.Debug("json value", "name", v.name, "path", v.path.String(), "value", n)
	}
	if len(missing) > 0 {
		return collector.Fail(ReasonJSON, errors.Join(missing...))
	}
	return nil
}

func matchBody(data []byte, failIfMatches, failIfNotMatches []*regexp.Regexp) error {
	for _, re := range failIfMatches {
		if re.Match(data) {
			return fmt.Errorf("the answer matches %q", re)
		}
	}
	for _, re := range failIfNotMatches {
		if !re.Match(data) {
			return fmt.Errorf("the answer does not match %q", re)
		}
	}
	return nil
}

func statusAccepted(status int, valid []int) bool {
	if len(valid) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(valid, status)
}

func describeStatus(valid []int) string {
	if len(valid) == 0 {
		return "2xx"
	}
	return strings.Trim(fmt.Sprint(valid), "[]")
}

func httpVersionNumber(major, minor int) float64 {
	return float64(major) + float64(minor)/10
}

func earliestExpiry(state *tls.ConnectionState) (time.Time, bool) {
	var earliest time.Time
	for _, cert := range state.PeerCertificates {
		if earliest.IsZero() || cert.NotAfter.Before(earliest) {
			earliest = cert.NotAfter
		}
	}
	return earliest, !earliest.IsZero()
}
