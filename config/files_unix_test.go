//go:build unix

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/testtool"
)

// A FIFO named as a password file, CA file, passphrase, key or known_hosts file would block
// the load (and a reload, which holds the exporter's reload lock) until something wrote to
// it. Each is refused at once, with the file named.
func TestFIFOFilesAreRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"router.password", "ca.pem", "key.passphrase", "id_ed25519", "known_hosts"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
	}
	testdata := testdataDir(t)
	data := `
mikrotik:
  - {name: pw, address: 192.0.2.1, username: u, password_file: router.password}
  - {name: ca, address: 192.0.2.2, username: u, password_env: RONDA_TEST_PASSWORD, tls: {ca_file: ca.pem}}
ssh:
  - {name: key, address: 192.0.2.3, user: u, private_key_file: id_ed25519, known_hosts_file: ` + testdata + `/ssh/known_hosts}
  - name: passphrase
    address: 192.0.2.4
    user: u
    private_key_file: ` + testdata + `/ssh/client_ecdsa_encrypted
    passphrase_file: key.passphrase
    known_hosts_file: ` + testdata + `/ssh/known_hosts
  - {name: hosts, address: 192.0.2.5, user: u, private_key_file: ` + testdata + `/ssh/client_ed25519, known_hosts_file: known_hosts}
`
	t.Setenv("RONDA_TEST_PASSWORD", "from-env")
	done := make(chan error, 1)
	go func() {
		_, err := config.Parse([]byte(data), filepath.Join(dir, "ronda.yml"))
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		// Unblock the stuck open so the test binary can finish.
		for _, name := range []string{"router.password", "ca.pem", "key.passphrase", "id_ed25519", "known_hosts"} {
			if f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
		t.Fatal("Parse still blocked after 5s on FIFOs")
	}
	if err == nil {
		t.Fatal("Parse accepted FIFOs as files")
	}
	for _, want := range []string{
		"mikrotik[0].password_file: cannot read password file " + dir + "/router.password: not a regular file",
		"mikrotik[1].tls.ca_file: cannot read CA file " + dir + "/ca.pem: not a regular file",
		"ssh[0].private_key_file: cannot read private key file " + dir + "/id_ed25519: not a regular file",
		"ssh[1].passphrase_file: cannot read passphrase file " + dir + "/key.passphrase: not a regular file",
		"ssh[2].known_hosts_file: cannot read known_hosts file " + dir + "/known_hosts: not a regular file",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%s", want, err)
		}
	}
}

// A CA file is read again where a connection's TLS settings are made (TLSConfig.Client);
// replaced by a FIFO since the config was checked, it is refused there as load refuses it,
// not opened.
func TestCAFileSwappedForAFIFOIsRefusedByClient(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	pem, err := os.ReadFile(filepath.Join(testdataDir(t), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RONDA_TEST_PASSWORD", "from-env")
	cfg, err := config.Parse([]byte(`
mikrotik:
  - {name: ca, address: 192.0.2.2, username: u, password_env: RONDA_TEST_PASSWORD, tls: {ca_file: ca.pem}}
`), filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.MikroTik[0].TLS.Client(); err != nil {
		t.Fatalf("with the CA file as checked: %v", err)
	}
	testtool.ReplaceWithFIFO(t, ca, pem)
	if _, err := cfg.MikroTik[0].TLS.Client(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a CA file swapped for a FIFO: %v, want an error saying it is not a regular file", err)
	}
}
