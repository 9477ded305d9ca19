package sshconn_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/internal/sshconn"
)

// TestAlgorithmsFromKnownHosts: the handshake asks first for the key types known_hosts
// holds for the host, in the file's order, RSA as its SHA-2 signatures first.
func TestAlgorithmsFromKnownHosts(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pub := func(k any) ssh.PublicKey {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return s.PublicKey()
	}
	lines := knownhosts.Line([]string{"db.lan"}, pub(rsaKey)) + "\n" +
		knownhosts.Line([]string{"db.lan"}, pub(ecKey)) + "\n" +
		knownhosts.Line([]string{"[web.lan]:2222"}, pub(edKey)) + "\n"
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &sshconn.HostKeys{File: file}
	for addr, want := range map[string][]string{
		"db.lan:22":    {ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256},
		"web.lan:2222": {ssh.KeyAlgoED25519},
		"web.lan:22":   nil, // another port is another host
		"other.lan:22": nil,
	} {
		if got := k.Algorithms(addr); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
	if got := (&sshconn.HostKeys{Insecure: true}).Algorithms("db.lan:22"); got != nil {
		t.Errorf("insecure: %v", got)
	}
}
