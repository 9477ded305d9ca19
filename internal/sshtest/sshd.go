// Package sshtest runs the real OpenSSH sshd on 127.0.0.1 for tests: generated host and
// client keys, a known_hosts file, and everything in the test's temporary folder.
package sshtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/internal/testtool"
)

// SSHD is a running sshd.
type SSHD struct {
	Addr string
	Port int
	// Dir holds every file; Bin is first on the sessions' PATH (stand-ins like systemctl).
	Dir, Bin string
	// User is the account to log in as (the one running the test).
	User string
	// ClientKeyFile is an ed25519 key sshd accepts; KnownHostsFile holds sshd's host key.
	ClientKeyFile, KnownHostsFile string
	HostKey                       ssh.Signer
	proc                          *testtool.Process
	t                             testing.TB
}

// Options change the server.
type Options struct {
	// Port reuses a port (to restart a server with another host key at the same address).
	Port int
	// Dir reuses a folder (its client key and known_hosts).
	Dir string
	// MaxSessions is sshd's MaxSessions (sessions per connection); 0 keeps its default, 10.
	MaxSessions int
}

// Start runs sshd until the test ends.
func Start(t testing.TB, opts Options) *SSHD {
	t.Helper()
	sshd := testtool.Need(t, "sshd")
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if u.Uid == "0" {
		// sshd run as root insists on its privilege separation folder, which the Debian
		// package creates at boot and a container may lack.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := opts.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	s := &SSHD{Dir: dir, Bin: filepath.Join(dir, "bin"), User: u.Username, t: t,
		ClientKeyFile: filepath.Join(dir, "client_key"), KnownHostsFile: filepath.Join(dir, "known_hosts")}
	if err := os.MkdirAll(s.Bin, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Port = opts.Port
	if s.Port == 0 {
		s.Port = testtool.FreePort(t)
	}
	s.Addr = testtool.Addr(s.Port)

	// A fresh host key on every start: a restart is a reinstalled host.
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostKeyFile := filepath.Join(dir, fmt.Sprintf("host_key_%d", time.Now().UnixNano()))
	writeKey(t, hostKeyFile, hostPriv)
	s.HostKey, _ = ssh.NewSignerFromKey(hostPriv)

	if _, err := os.Stat(s.ClientKeyFile); os.IsNotExist(err) {
		_, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
		writeKey(t, s.ClientKeyFile, clientPriv)
		signer, _ := ssh.NewSignerFromKey(clientPriv)
		authorized := string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
		if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(authorized), 0o600); err != nil {
			t.Fatal(err)
		}
		line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey.PublicKey())
		if err := os.WriteFile(s.KnownHostsFile, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	cfg := strings.Join([]string{
		"ListenAddress 127.0.0.1",
		fmt.Sprintf("Port %d", s.Port),
		"HostKey " + hostKeyFile,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"LogLevel VERBOSE",
		"SetEnv PATH=" + s.Bin + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
	}, "\n") + "\n"
	if opts.MaxSessions > 0 {
		cfg += fmt.Sprintf("MaxSessions %d\n", opts.MaxSessions)
	}
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.proc = testtool.Start(t, sshd, "-D", "-e", "-f", cfgFile)
	testtool.Eventually(t, 10*time.Second, "sshd listening", func(context.Context) error {
		if strings.Contains(s.proc.Output(), "Server listening on 127.0.0.1") {
			return nil
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("sshd exited: %s", s.proc.Output())
		default:
		}
		return fmt.Errorf("not yet listening")
	})
	return s
}

// Log is what sshd logged so far.
func (s *SSHD) Log() string { return s.proc.Output() }

// Stop ends the server.
func (s *SSHD) Stop() { s.proc.Stop() }

// Logins counts the logins sshd accepted.
func (s *SSHD) Logins() int { return strings.Count(s.Log(), "Accepted publickey") }

// Script puts an executable stand-in named name, with the shell script body, first on
// the sessions' PATH.
func (s *SSHD) Script(name, body string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.Bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// WrongClientKey writes a key sshd does not accept and returns its file.
func (s *SSHD) WrongClientKey() string {
	s.t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
	file := filepath.Join(s.Dir, "wrong_key")
	writeKey(s.t, file, priv)
	return file
}

func writeKey(t testing.TB, file string, key any) {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}
