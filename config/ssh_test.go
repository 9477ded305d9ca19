package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/config"
)

func TestSSHTargets(t *testing.T) {
	cfg, err := config.Load("testdata/valid-ssh.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SSH) != 3 {
		t.Fatalf("%d ssh targets", len(cfg.SSH))
	}
	web, db, nas := cfg.SSH[0], cfg.SSH[1], cfg.SSH[2]
	for _, tc := range []struct {
		target  config.SSHTarget
		keyType string
	}{{web, ssh.KeyAlgoED25519}, {db, ssh.KeyAlgoECDSA256}, {nas, ssh.KeyAlgoRSA}} {
		if tc.target.Signer == nil || tc.target.Signer.PublicKey().Type() != tc.keyType {
			t.Errorf("%s: key not read as %s", tc.target.Name, tc.keyType)
		}
	}
	if web.Address != "192.0.2.10:22" || db.Address != "[192.0.2.11]:2222" {
		t.Errorf("addresses %q %q", web.Address, db.Address)
	}
	if web.MaxSessions != config.DefaultSSHMaxSessions || db.MaxSessions != 4 {
		t.Errorf("max sessions %d %d", web.MaxSessions, db.MaxSessions)
	}
	if c := web.Commands[0]; c.Value != config.SSHValueFirstNumber || time.Duration(c.Timeout) != config.DefaultSSHCommandTimeout {
		t.Errorf("command defaults %+v", c)
	}
	if c := web.Commands[1]; c.Value != config.SSHValueExitStatus || time.Duration(c.Timeout) != 10*time.Second {
		t.Errorf("command %+v", c)
	}
	if !strings.HasSuffix(nas.KnownHostsFile, "/testdata/ssh/new_known_hosts") || !nas.TrustOnFirstUse {
		t.Errorf("TOFU target %+v", nas)
	}
	if targets := cfg.Targets(); targets[1].Timeout != 20*time.Second || targets[0].Labels["unit"] != "Pasar Baru" {
		t.Errorf("targets %+v", targets)
	}
}

// TestSSHKeyNeverInErrors: a private key given where known_hosts belongs (and the
// reverse) is refused without quoting the key.
func TestSSHKeyNeverInErrors(t *testing.T) {
	_, err := config.Parse([]byte(`
ssh:
  - name: h
    address: 192.0.2.1
    user: u
    private_key_file: ssh/known_hosts
    known_hosts_file: ssh/client_ed25519
`), "testdata/inline.yml")
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "AAAA") || strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "b3BlbnNza") {
		t.Errorf("key material in the error: %v", err)
	}
}
