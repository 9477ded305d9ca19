package mikrotik_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/mikrotik"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestReloadReadsAReplacedCAFile: the CA bundle replaced under the same file name (a
// renewed router certificate) is used after a reload: the kept connection, built with the
// old bundle, is not reused.
func TestReloadReadsAReplacedCAFile(t *testing.T) {
	right, wrong := testtool.SelfSigned(t), testtool.SelfSigned(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := sim.NewRouter(sim.Options{Username: testUser, Password: testPassword, Identity: "Pasar Baru"})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = r.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{right.TLS}}))
	}()
	t.Cleanup(func() { _ = r.Close(); _ = l.Close(); <-served })

	dir := t.TempDir()
	caFile, cfgFile := filepath.Join(dir, "router-ca.pem"), filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(testPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf("mikrotik:\n  - name: %s\n    address: %s\n    username: %s\n    password_file: pw\n    hotspot_users: none\n    tls:\n      ca_file: router-ca.pem\n      server_name: 127.0.0.1\n",
		routerName, l.Addr(), testUser)
	if err := os.WriteFile(cfgFile, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	coll := mikrotik.New(nil, mikrotik.Options{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	t.Cleanup(func() { _ = coll.Close() })
	load := func(ca []byte) {
		t.Helper()
		if err := os.WriteFile(caFile, ca, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(cfgFile)
		if err != nil {
			t.Fatal(err)
		}
		coll.Reload(cfg)
	}
	scrape := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ch := make(chan prometheus.Metric, 1000)
		err := coll.Scrape(ctx, routerName, slog.New(slog.DiscardHandler), ch)
		close(ch)
		for range ch {
		}
		return err
	}

	load(wrong.CertPEM)
	if err := scrape(); collector.Classify(context.Background(), err) != collector.ReasonTLS {
		t.Fatalf("with the wrong CA: %v, want a TLS failure", err)
	}
	load(right.CertPEM) // the same file name, the renewed contents
	if err := scrape(); err != nil {
		t.Fatalf("after the CA file was replaced and reloaded: %v", err)
	}
	load(right.CertPEM) // unchanged: the connection is kept, no new login
	logins := r.Logins()
	if err := scrape(); err != nil || r.Logins() != logins {
		t.Errorf("a reload with the same CA: %v, %d new logins, want the connection kept", err, r.Logins()-logins)
	}
}
