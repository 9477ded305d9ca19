package routeros_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/routeros"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/testtool"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	c := testtool.SelfSigned(t)
	return c.TLS, c.Pool
}

// startTLSRouter serves the simulated router's API over TLS, as api-ssl does.
func startTLSRouter(t *testing.T, cert tls.Certificate) (*sim.Router, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := sim.NewRouter(sim.Options{Username: testUser, Password: testPassword})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = r.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}}))
	}()
	t.Cleanup(func() {
		_ = r.Close()
		_ = l.Close()
		<-served
	})
	return r, l.Addr().String()
}

func TestAPISSL(t *testing.T) {
	cert, pool := selfSigned(t)
	_, addr := startTLSRouter(t, cert)

	trusted := routeros.New(routeros.Config{Address: addr, Username: testUser, Password: testPassword,
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	t.Cleanup(func() { _ = trusted.Close() })
	if _, err := identity(withTimeout(t, 5*time.Second), trusted); err != nil {
		t.Fatalf("identity over api-ssl: %v", err)
	}

	untrusted := routeros.New(routeros.Config{Address: addr, Username: testUser, Password: testPassword,
		TLS: &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}})
	t.Cleanup(func() { _ = untrusted.Close() })
	ctx := withTimeout(t, 5*time.Second)
	_, err := identity(ctx, untrusted)
	if reason := collector.Classify(ctx, err); reason != collector.ReasonTLS {
		t.Fatalf("untrusted certificate: reason %q (%v), want tls", reason, err)
	}
}

// TestTLSToAPlainPort: the plain API reads the ClientHello as words; depending on its random
// bytes it waits for more (the handshake runs into the deadline) or answers something that
// is not TLS. Either way the error must say it was the TLS handshake.
func TestTLSToAPlainPort(t *testing.T) {
	r := startRouter(t, sim.Options{})
	c := routeros.New(routeros.Config{Address: r.Addr(), Username: testUser, Password: testPassword,
		TLS: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}) //nolint:gosec // test
	t.Cleanup(func() { _ = c.Close() })
	ctx := withTimeout(t, 300*time.Millisecond)
	_, err := identity(ctx, c)
	if reason := collector.Classify(ctx, err); reason != collector.ReasonTimeout && reason != collector.ReasonTLS {
		t.Fatalf("TLS to the plain API port: reason %q (%v), want timeout or tls", reason, err)
	}
	if !strings.Contains(err.Error(), "TLS handshake") || !strings.Contains(err.Error(), "api-ssl") {
		t.Errorf("error %q does not point at the TLS handshake and the api-ssl port", err)
	}
}
