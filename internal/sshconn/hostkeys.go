package sshconn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/config"
)

// HostKeys verifies host keys against a known_hosts file, re-read at every dial so that an
// operator who replaces a host's key line needs no reload.
type HostKeys struct {
	// File is the known_hosts file.
	File string
	// TrustOnFirstUse records the key of a host the file does not know yet (never one that
	// differs from a known key: that is refused as always).
	TrustOnFirstUse bool
	// Insecure accepts any key. It exists for labs; every connection logs a warning.
	Insecure bool
	Logger   *slog.Logger
}

// tofuMu serialises appends to known_hosts files across hosts sharing one file.
var tofuMu sync.Mutex

// ErrHostKey marks a host key that was refused.
var ErrHostKey = errors.New("host key refused")

// callback returns the ssh.HostKeyCallback for one dial.
func (k *HostKeys) callback() (ssh.HostKeyCallback, error) {
	if k.Insecure {
		return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
			k.logger().Warn("NOT verifying the SSH host key (insecure_ignore_host_key is set): anyone on the path can impersonate this host",
				"host", hostname, "fingerprint", ssh.FingerprintSHA256(key))
			return nil
		}, nil
	}
	check, err := k.load()
	if err != nil {
		return nil, err
	}
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		var keyErr *knownhosts.KeyError
		if err == nil || !errors.As(err, &keyErr) {
			return err
		}
		if len(keyErr.Want) > 0 {
			return fmt.Errorf("%w: %s offered %s %s, which differs from the key known for it in %s (line %d): if the host was reinstalled, replace that line",
				ErrHostKey, hostname, key.Type(), ssh.FingerprintSHA256(key), keyErr.Want[0].Filename, keyErr.Want[0].Line)
		}
		if !k.TrustOnFirstUse {
			return fmt.Errorf("%w: %s (key %s %s) is not in %s: add it (ssh-keyscan) or set trust_on_first_use",
				ErrHostKey, hostname, key.Type(), ssh.FingerprintSHA256(key), k.File)
		}
		return k.record(hostname, remote, key)
	}, nil
}

func (k *HostKeys) load() (ssh.HostKeyCallback, error) {
	// Checked as config load checks it: knownhosts.New would open a FIFO put in the file's
	// place since, and wait on it past every deadline.
	switch err := config.CheckRegularFile(k.File); {
	case errors.Is(err, os.ErrNotExist) && k.TrustOnFirstUse:
		return func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }, nil
	case err != nil:
		return nil, fmt.Errorf("%w: reading known_hosts: %v", ErrHostKey, err)
	}
	check, err := knownhosts.New(k.File)
	if err != nil {
		return nil, fmt.Errorf("%w: reading known_hosts: %v", ErrHostKey, err)
	}
	return check, nil
}

// record appends hostname's key to the file, unless another host's connection recorded
// one in the meantime, which must then match.
func (k *HostKeys) record(hostname string, remote net.Addr, key ssh.PublicKey) error {
	tofuMu.Lock()
	defer tofuMu.Unlock()
	if check, err := k.load(); err == nil {
		if err := check(hostname, remote, key); err == nil {
			return nil
		} else if keyErr, ok := errors.AsType[*knownhosts.KeyError](err); ok && len(keyErr.Want) > 0 {
			return fmt.Errorf("%w: %s offered %s, which differs from the key just recorded for it", ErrHostKey, hostname, ssh.FingerprintSHA256(key))
		}
	}
	f, err := os.OpenFile(k.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%w: trust on first use: %v", ErrHostKey, err)
	}
	_, werr := fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("%w: trust on first use: %v", ErrHostKey, werr)
	}
	k.logger().Warn("trusted an SSH host key on first use and recorded it in known_hosts; check the fingerprint out of band",
		"host", hostname, "key_type", key.Type(), "fingerprint", ssh.FingerprintSHA256(key), "file", k.File)
	return nil
}

// Algorithms lists the host key algorithms of the keys known_hosts holds for address, in
// the file's order, so the handshake asks for a key that can be verified: without it, a
// host offering ed25519 first fails against a known_hosts holding only its RSA key. Nil
// means no preference (unknown host, insecure mode).
func (k *HostKeys) Algorithms(address string) []string {
	if k.Insecure {
		return nil
	}
	check, err := k.load()
	if err != nil {
		return nil
	}
	// Asking about a key that cannot match makes knownhosts list the keys it knows.
	err = check(address, &net.TCPAddr{IP: net.IPv4zero}, probeKey{})
	keyErr, ok := errors.AsType[*knownhosts.KeyError](err)
	if !ok {
		return nil
	}
	want := slices.Clone(keyErr.Want)
	slices.SortFunc(want, func(a, b knownhosts.KnownKey) int { return a.Line - b.Line })
	var algos []string
	seen := map[string]bool{}
	for _, want := range want {
		for _, a := range algorithmsFor(want.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

func (k *HostKeys) logger() *slog.Logger {
	if k.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Logger
}

// probeKey is a public key no known_hosts line can hold.
type probeKey struct{}

func (probeKey) Type() string                        { return "ronda-probe" }
func (probeKey) Marshal() []byte                     { return []byte("ronda-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }
