package olt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// driver reads one OLT's ONUs through its web interface. A driver is made per OLT and
// is never used by two scrapes at once (the collector holds the OLT's lock), so it may keep
// a session between reads.
type driver interface {
	// read fetches every ONU. Its error carries a collector reason (auth, protocol,
	// device, …) or is a network error collector.Classify understands.
	read(ctx context.Context) (*Snapshot, error)
}

// drivers builds each configured driver by name.
var drivers = map[string]func(t config.OLTTarget, client *http.Client) driver{
	config.OLTDriverHiOSO: newHiOSO,
	config.OLTDriverVSOL:  newVSOL,
	config.OLTDriverHSGQ:  newHSGQ,
}

// maxPageBytes bounds one page: a 16-PON all-ONU page is about 1 MB; more is not an OLT.
const maxPageBytes = 16 << 20

// statusError is an HTTP answer other than 200.
type statusError struct {
	code   int
	method string // as sent: V-SOL's and HSGQ's logins are POSTs
	url    string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.url, e.code, http.StatusText(e.code))
}

// do sends req and returns the body of a 200 answer, read into buf's memory when it is
// large enough (a driver that keeps its last page's buffer reads the next page without
// allocating; nil is fine). Failures carry their reason: 401 and 403 are auth, other
// statuses device, a body cut short or too long protocol.
func do(ctx context.Context, client *http.Client, req *http.Request, buf []byte) ([]byte, http.Header, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, err // network and deadline errors: collector.Classify knows them
	}
	defer resp.Body.Close()
	where := req.URL.Redacted()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, nil, collector.Fail(collector.ReasonAuth, &statusError{resp.StatusCode, req.Method, where})
	case resp.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, nil, collector.Fail(collector.ReasonDevice, &statusError{resp.StatusCode, req.Method, where})
	}
	body, err := readBody(io.LimitReader(resp.Body, maxPageBytes+1), resp.ContentLength, buf)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, nil, fmt.Errorf("reading %s: %w", where, ctx.Err())
	case err != nil:
		// The server promised more than it sent: a page cut short.
		return nil, nil, collector.Fail(collector.ReasonProtocol, fmt.Errorf("reading %s: %w", where, err))
	case len(body) > maxPageBytes:
		return nil, nil, collector.Failf(collector.ReasonProtocol, "reading %s: page larger than %d bytes", where, maxPageBytes)
	}
	return body, resp.Header, nil
}

// readBody reads r to its end into buf's memory, or into a new buffer sized from the
// answer's Content-Length (size, -1 when unknown) when buf is too small: one allocation for
// a page instead of io.ReadAll's dozen doublings, and none when the last page's buffer is
// reused. It returns what it read, also on error.
func readBody(r io.Reader, size int64, buf []byte) ([]byte, error) {
	want := 4 << 10
	if size >= 0 && size < maxPageBytes {
		want = int(size) + 1 // room to read the EOF without growing
	}
	if cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grows by append's rule: a length the server did not announce
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// isStatus reports whether err is an HTTP answer with the given code.
func isStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.code == code
}

// newRequest makes a request for path (with its query) under the OLT's base URL. A URL
// that does not parse fails as config, without url.Parse's message: that quotes the URL
// whole, with any password written into it (config refuses those; a driver may be handed
// one all the same), and its reason may quote a piece of one.
func newRequest(method, base, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, joinURL(base, path), body)
	if err != nil {
		return nil, collector.Failf(collector.ReasonConfig, "the OLT's url is not a valid URL")
	}
	return req, nil
}

// joinURL appends path (with its query) to the configured base URL.
func joinURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}
