package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

// maxExpectLines bounds how many lines a TCP probe reads looking for its expect pattern.
const maxExpectLines = 100

func probeTCP(ctx context.Context, m *module, address string, logger *slog.Logger, ch chan<- prometheus.Metric) error {
	cfg := m.cfg.TCP
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return collector.Failf(collector.ReasonConfig, "invalid address %q: %v", address, err)
	}
	// Always there, as with blackbox: 1 only when an expect pattern was read for and missed.
	regexFailed := 0.0
	defer func() { ch <- failedDueToRegex.Sample(regexFailed) }()
	ip, err := resolve(ctx, host, cfg.PreferredIPProtocol, ch)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline covers the handshake, the send and the reads after it.
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	logger.Debug("connected", "remote", conn.RemoteAddr())

	if cfg.TLS {
		t := m.tls.Clone()
		if t.ServerName == "" {
			t.ServerName = host
		}
		tc := tls.Client(conn, t)
		if err := tc.HandshakeContext(ctx); err != nil {
			return collector.Fail(collector.ReasonTLS, fmt.Errorf("TLS handshake: %w", err))
		}
		state := tc.ConnectionState()
		if expiry, ok := earliestExpiry(&state); ok {
			ch <- sslEarliestExpiry.Sample(float64(expiry.Unix()))
		}
		conn = tc
	}
	if cfg.Send != "" {
		if _, err := conn.Write([]byte(cfg.Send)); err != nil {
			return fmt.Errorf("sending: %w", err)
		}
	}
	if m.expect == nil {
		return nil
	}
	scanner := bufio.NewScanner(conn)
	for range maxExpectLines {
		if !scanner.Scan() {
			break
		}
		if m.expect.Match(scanner.Bytes()) {
			return nil
		}
	}
	regexFailed = 1
	if err := scanner.Err(); err != nil && (ctx.Err() != nil || isTimeout(err)) {
		return collector.Fail(collector.ReasonTimeout, fmt.Errorf("waiting for an answer matching %q: %w", m.expect, err))
	}
	return collector.Failf(ReasonBodyMismatch, "no line of the answer matched %q", m.expect)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
