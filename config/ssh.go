package config

import (
	"crypto/x509"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Defaults for SSH targets.
const (
	// DefaultSSHTimeout bounds one scrape of an SSH host unless the target sets its own.
	DefaultSSHTimeout = 10 * time.Second
	// DefaultSSHPort is sshd's port.
	DefaultSSHPort = "22"
	// DefaultSSHMaxSessions leaves most of sshd's MaxSessions (10 per connection) free.
	DefaultSSHMaxSessions = 2
	// DefaultSSHCommandTimeout bounds one custom command.
	DefaultSSHCommandTimeout = 5 * time.Second
)

// How a custom command's value is read.
const (
	// SSHValueExitStatus exports only the exit status.
	SSHValueExitStatus = "exit_status"
	// SSHValueFirstNumber exports the first number the command prints.
	SSHValueFirstNumber = "first_number"
	// SSHValuePrometheus reads the output as Prometheus text format.
	SSHValuePrometheus = "prometheus"
)

// maxPrivateKeyFileSize is far above any real key (a 16384-bit RSA key is about 13 KiB).
const maxPrivateKeyFileSize = 64 << 10

// SSHTarget is one Linux host read over SSH.
type SSHTarget struct {
	Name string `yaml:"name"`
	// Address is host or host:port; the port defaults to 22.
	Address string `yaml:"address"`
	// User is the account ronda logs in as (an unprivileged one is enough).
	User string `yaml:"user"`
	// PrivateKeyFile is an OpenSSH or PEM private key (ed25519, ECDSA or RSA), relative to
	// the config file's folder. It is read when the config is loaded.
	PrivateKeyFile string `yaml:"private_key_file"`
	// PassphraseFile holds the key's passphrase, when it has one.
	PassphraseFile string `yaml:"passphrase_file,omitempty"`
	// KnownHostsFile is an OpenSSH known_hosts file that holds the host's key. Required
	// unless insecure_ignore_host_key is set.
	KnownHostsFile string `yaml:"known_hosts_file,omitempty"`
	// TrustOnFirstUse records the key of a host known_hosts does not know yet into it. A
	// key that differs from a known one is still refused.
	TrustOnFirstUse bool `yaml:"trust_on_first_use,omitempty"`
	// InsecureIgnoreHostKey accepts any host key. For labs only; logged on every connection.
	InsecureIgnoreHostKey bool `yaml:"insecure_ignore_host_key,omitempty"`
	// HostKeyAlgorithms restricts the host key algorithms; by default those of the keys
	// known_hosts holds for the host come first.
	HostKeyAlgorithms []string `yaml:"host_key_algorithms,omitempty"`
	// Units lists the systemd units whose state is exported.
	Units []string `yaml:"units,omitempty"`
	// Commands are run on every scrape.
	Commands []SSHCommand `yaml:"commands,omitempty"`
	// MaxSessions bounds the sessions open at once on the host's connection. Default 2.
	MaxSessions int `yaml:"max_sessions,omitempty"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`

	// Signer is the private key, parsed when the config is loaded.
	Signer ssh.Signer `yaml:"-"`
}

// SSHCommand is a command the operator wants run on every scrape.
type SSHCommand struct {
	// Name is the command label's value.
	Name string `yaml:"name"`
	// Command is run by the remote /bin/sh.
	Command string `yaml:"command"`
	// Timeout stops the command (with timeout(1) on the host). Default 5s.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Value is exit_status (default), first_number or prometheus.
	Value string `yaml:"value,omitempty"`
}

var (
	// A unit name as systemd allows it (unit_name_is_valid), with its type suffix.
	validUnit = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$`)
	// A command name becomes a label value: kept short and plain.
	validCommandName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// sshHostKeyAlgorithms are the host key algorithms x/crypto/ssh can verify.
var sshHostKeyAlgorithms = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA,
	ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256,
}

func (t *SSHTarget) target() Target {
	return Target{
		Kind:    KindSSH,
		Name:    t.Name,
		Labels:  maps.Clone(t.Labels),
		Timeout: t.Timeout.orDefault(DefaultSSHTimeout),
	}
}

func (t *SSHTarget) common() (string, map[string]string, Duration) {
	return t.Name, t.Labels, t.Timeout
}

func (SSHTarget) refusedKeys() map[string]refusal {
	return map[string]refusal{
		"password":    {message: "password logins are not supported: use a key (private_key_file)", settles: "private_key_file"},
		"private_key": {message: "inline keys are not accepted: put the key in a file (private_key_file)", settles: "private_key_file"},
		"passphrase":  {message: "inline passphrases are not accepted: put it in a file (passphrase_file)", settles: "passphrase_file"},
	}
}

func (t *SSHTarget) check(c *checker, path string) {
	if t.Address == "" {
		c.missing(path+".address", "required: the host's SSH address, host or host:port")
	} else if _, _, err := splitAddress(t.Address); err != nil {
		c.report(path+".address", "%q is not a valid address: %v", t.Address, err)
	}
	if t.User == "" {
		c.missing(path+".user", "required: the account ronda logs in as")
	}
	t.Signer = c.sshPrivateKey(path, &t.PrivateKeyFile, &t.PassphraseFile)
	t.checkHostKeys(c, path)
	t.checkUnits(c, path)
	t.checkCommands(c, path)
	if t.MaxSessions < 0 || t.MaxSessions > 10 || (t.MaxSessions == 0 && c.present(path+".max_sessions")) {
		c.report(path+".max_sessions", "must be from 1 to 10 (sshd allows 10 sessions per connection by default), got %d", t.MaxSessions)
	}
}

func (t *SSHTarget) checkHostKeys(c *checker, path string) {
	khPath := path + ".known_hosts_file"
	switch {
	case t.InsecureIgnoreHostKey && t.TrustOnFirstUse:
		c.report(path+".insecure_ignore_host_key", "set only one of insecure_ignore_host_key and trust_on_first_use")
	case t.InsecureIgnoreHostKey && t.KnownHostsFile != "":
		c.report(path+".insecure_ignore_host_key", "set only one of insecure_ignore_host_key and known_hosts_file")
	case t.InsecureIgnoreHostKey:
	case t.KnownHostsFile == "":
		c.missing(khPath, "required: a known_hosts file holding the host's key (ssh-keyscan -H host >> known_hosts), or trust_on_first_use: true with a file to record it in")
	default:
		t.KnownHostsFile = c.resolve(t.KnownHostsFile)
		err := CheckRegularFile(t.KnownHostsFile)
		switch {
		case errors.Is(err, os.ErrNotExist) && t.TrustOnFirstUse:
			if info, err := os.Stat(filepath.Dir(t.KnownHostsFile)); err != nil || !info.IsDir() {
				c.report(khPath, "the folder of %s does not exist, so trust_on_first_use cannot create the file", t.KnownHostsFile)
			}
		case err != nil:
			c.report(khPath, "cannot read known_hosts file %s: %s", t.KnownHostsFile, fileErrorReason(err))
		default:
			if _, err := knownhosts.New(t.KnownHostsFile); err != nil {
				c.report(khPath, "%s is not a valid known_hosts file: %s", t.KnownHostsFile, strings.TrimPrefix(err.Error(), "knownhosts: "))
			}
		}
	}
	for i, algo := range t.HostKeyAlgorithms {
		if !slices.Contains(sshHostKeyAlgorithms, algo) {
			c.report(indexPath(path+".host_key_algorithms", i), "unknown host key algorithm %q (known: %s)", algo, strings.Join(sshHostKeyAlgorithms, ", "))
		}
	}
}

func (t *SSHTarget) checkUnits(c *checker, path string) {
	seen := map[string]bool{}
	for i, unit := range t.Units {
		p := indexPath(path+".units", i)
		switch {
		case !validUnit.MatchString(unit):
			c.report(p, "%q is not a systemd unit name with its type (like nginx.service)", unit)
		case seen[unit]:
			c.report(p, "%q is listed twice", unit)
		}
		seen[unit] = true
	}
}

func (t *SSHTarget) checkCommands(c *checker, path string) {
	seen := map[string]bool{}
	for i := range t.Commands {
		cmd := &t.Commands[i]
		p := indexPath(path+".commands", i)
		switch {
		case cmd.Name == "":
			c.missing(p+".name", "required: the command label's value")
		case !validCommandName.MatchString(cmd.Name):
			c.report(p+".name", "%q is not a valid command name: use at most 64 letters, digits and . _ - :", cmd.Name)
		case seen[cmd.Name]:
			c.report(p+".name", "%q is the name of an earlier command", cmd.Name)
		}
		seen[cmd.Name] = true
		if strings.TrimSpace(cmd.Command) == "" {
			c.missing(p+".command", "required: the shell command to run")
		}
		c.checkTimeout(p+".timeout", cmd.Timeout)
		switch cmd.Value {
		case SSHValueExitStatus, SSHValueFirstNumber, SSHValuePrometheus:
		default:
			if cmd.Value != "" || c.present(p+".value") {
				c.report(p+".value", "must be exit_status, first_number or prometheus, got %q", cmd.Value)
			}
		}
	}
}

// sshPrivateKey reads and parses the private key (and its passphrase) under path. The
// messages never quote the files' content.
func (c *checker) sshPrivateKey(path string, keyFile, passFile *string) ssh.Signer {
	keyPath, passPath := path+".private_key_file", path+".passphrase_file"
	var passphrase []byte
	if *passFile != "" {
		*passFile = c.resolve(*passFile)
		data, err := readSmallFile(*passFile, maxPasswordFileSize)
		if err != nil {
			c.report(passPath, "cannot read passphrase file %s: %s", *passFile, fileErrorReason(err))
			return nil
		}
		passphrase = []byte(trimLineEnd(string(data)))
	}
	if *keyFile == "" {
		c.missing(keyPath, "required: a private key file (ed25519, ECDSA or RSA) whose public key is in the user's authorized_keys")
		return nil
	}
	*keyFile = c.resolve(*keyFile)
	data, err := readSmallFile(*keyFile, maxPrivateKeyFileSize)
	if err != nil {
		c.report(keyPath, "cannot read private key file %s: %s", *keyFile, fileErrorReason(err))
		return nil
	}
	var signer ssh.Signer
	if passphrase != nil {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, passphrase)
	} else {
		signer, err = ssh.ParsePrivateKey(data)
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		c.report(keyPath, "private key file %s is encrypted: set passphrase_file", *keyFile)
		return nil
	case errors.Is(err, x509.IncorrectPasswordError):
		c.report(passPath, "the passphrase in %s does not decrypt %s", *passFile, *keyFile)
		return nil
	case err != nil:
		c.report(keyPath, "private key file %s cannot be used: %s", *keyFile, keyErrorReason(err))
		return nil
	}
	switch signer.PublicKey().Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSA:
	default:
		c.report(keyPath, "private key file %s holds a %s key: use ed25519, ECDSA or RSA", *keyFile, signer.PublicKey().Type())
		return nil
	}
	return signer
}

// keyErrorReason keeps x/crypto/ssh's message (which names the problem, never the key).
func keyErrorReason(err error) string {
	return strings.TrimPrefix(err.Error(), "ssh: ")
}

func (t *SSHTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultSSHTimeout)
	}
	if t.MaxSessions == 0 {
		t.MaxSessions = DefaultSSHMaxSessions
	}
	t.Address = withDefaultPort(t.Address, DefaultSSHPort)
	for i := range t.Commands {
		if t.Commands[i].Timeout == 0 {
			t.Commands[i].Timeout = Duration(DefaultSSHCommandTimeout)
		}
		if t.Commands[i].Value == "" {
			t.Commands[i].Value = SSHValueExitStatus
		}
	}
}
