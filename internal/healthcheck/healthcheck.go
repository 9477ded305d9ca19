// Package healthcheck asks a ronda binary's /-/healthy endpoint whether it is alive. It is
// the container health check of the ronda image: the image is distroless (no shell, no
// wget or curl), so the check is a small static binary of its own.
package healthcheck

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Options say how to reach the endpoint.
type Options struct {
	// Timeout bounds the whole request: Docker runs the check with its own timeout, and a
	// check that hangs past it counts as failed without saying why.
	Timeout time.Duration
	// InsecureSkipVerify accepts any certificate: the check dials localhost, which a
	// certificate made for the service's public name does not cover.
	InsecureSkipVerify bool
}

// Check fetches rawURL and returns nil for a 2xx answer, else an error that says what
// went wrong (status and the start of the body, or the transport error).
func Check(ctx context.Context, rawURL string, o Options) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", rawURL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify}, //nolint:gosec // opt-in, for localhost checks
			Proxy:           nil,                                                   // a proxy from the environment must not answer for the container
		},
		// A health endpoint that redirects (to a login page) is not healthy.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s: %q", u.Redacted(), resp.Status, body)
	}
	return nil
}
