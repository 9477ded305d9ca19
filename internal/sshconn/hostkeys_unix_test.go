//go:build unix

package sshconn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/sshconn"
	"github.com/rondanet/ronda/internal/testtool"
)

// TestKnownHostsSwappedForAFIFOIsRefused: known_hosts is read again at every dial; a FIFO
// put in its place since the config was checked is refused as config load refuses one, not
// opened (which would hang the dial until something wrote to the FIFO).
func TestKnownHostsSwappedForAFIFOIsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := ln.Addr().String()
	ln.Close() // nothing listens: a dial that gets past the host keys fails to connect
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, tofu := range []bool{false, true} {
		file := filepath.Join(t.TempDir(), "known_hosts")
		testtool.ReplaceWithFIFO(t, file, []byte(knownhosts.Line([]string{address}, hostKey)+"\n"))
		h := sshconn.New(sshconn.Config{Address: address, User: "ronda", Signer: signer,
			HostKeys: &sshconn.HostKeys{File: file, TrustOnFirstUse: tofu}, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := h.Run(ctx, sshconn.Request{Command: "true", Limit: 1 << 10})
		cancel()
		_ = h.Close()
		var cerr *collector.Error
		if !errors.As(err, &cerr) || cerr.Reason != collector.ReasonHostKey || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("trust_on_first_use %v: a known_hosts FIFO: %v, want a host_key failure saying it is not a regular file", tofu, err)
		}
	}
}
