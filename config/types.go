// Package config reads and validates ronda-exporter's configuration file.
//
// The file names every device ronda talks to, once. A target's name becomes its Prometheus
// `instance` label (through /sd) and is how ronda-restore finds a router again, so names are
// unique across every kind of target.
package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	// MikroTik lists the RouterOS routers scraped on /mikrotik.
	MikroTik []MikroTikTarget `yaml:"mikrotik,omitempty"`
	// OLT lists the EPON/GPON OLTs scraped on /olt (olt.go).
	OLT []OLTTarget `yaml:"olt,omitempty"`
	// SSH lists the Linux hosts scraped over SSH on /ssh (ssh.go).
	SSH []SSHTarget `yaml:"ssh,omitempty"`
	// Probe lists the reachability probes served on /probe (probe.go).
	Probe []ProbeTarget `yaml:"probe,omitempty"`
	// ProbeModules says how probes probe, by module name (probe.go).
	ProbeModules map[string]ProbeModule `yaml:"probe_modules,omitempty"`

	// filename is the file the config was read from; relative paths resolve against its folder.
	filename string
	// lines maps every key path found in the file (`mikrotik[1].address`) to its line, so
	// checks made after decoding can still point the operator at the right line.
	lines map[string]int
}

// Kinds of target, each served on its own endpoint (/mikrotik, …) and used as metric prefix.
const (
	KindMikroTik = "mikrotik"
	KindOLT      = "olt"
	KindSSH      = "ssh"
	KindProbe    = "probe"
)

// Target is what every kind of target has in common: enough for /sd, the landing page and
// the scrape deadline.
type Target struct {
	Kind    string
	Name    string
	Labels  map[string]string
	Timeout time.Duration
}

// HotspotUsers chooses which hotspot users get per-user series.
type HotspotUsers string

const (
	// HotspotUsersAll exports every user.
	HotspotUsersAll HotspotUsers = "all"
	// HotspotUsersLimited exports only users with a limit-uptime (the ones ronda-restore can help).
	HotspotUsersLimited HotspotUsers = "limited"
	// HotspotUsersNone exports totals only, for hotspots with very many users.
	HotspotUsersNone HotspotUsers = "none"
)

// MikroTikTarget is one RouterOS router reached over the API (8728) or api-ssl (8729).
type MikroTikTarget struct {
	Name string `yaml:"name"`
	// Address is host:port; the port defaults to 8728, or 8729 when tls is set.
	Address  string `yaml:"address"`
	Username string `yaml:"username"`
	// PasswordFile names a file holding the password (trailing newline ignored), relative
	// to the config file's folder. After loading it holds the path that was read.
	PasswordFile string `yaml:"password_file,omitempty"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// TLS, when present, switches to api-ssl.
	TLS *TLSConfig `yaml:"tls,omitempty"`
	// HotspotUsers is all (default), limited or none.
	HotspotUsers HotspotUsers `yaml:"hotspot_users,omitempty"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further. Default 10s.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`

	// Password is resolved from PasswordFile or PasswordEnv when the config is loaded.
	Password Secret `yaml:"-"`
}

// TLSConfig configures api-ssl. The router needs a certificate: without one RouterOS offers
// only anonymous Diffie-Hellman, which Go's TLS does not speak.
type TLSConfig struct {
	// CAFile is a PEM bundle of the CAs that sign the router's certificate, relative to the
	// config file's folder; empty means the system roots. After loading it holds the path
	// that was read.
	CAFile             string `yaml:"ca_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
	// caDigest is the CA bundle's SHA-256 when the config was loaded: two configs naming
	// the same file differ when its contents do, so a reload after the CA was replaced
	// under the same name makes new connections with it.
	caDigest [sha256.Size]byte
}

// Client builds the TLS settings of a connection (api-ssl, a probe); nil when t is nil (a
// plain API). Load has checked and resolved ca_file already; the bundle is read again
// here, by the caller setting up the connection, and checked again as load checks it.
func (t *TLSConfig) Client() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cfg := &tls.Config{
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // the operator's explicit choice
		MinVersion:         tls.VersionTLS12,
	}
	if t.CAFile != "" {
		pem, err := readSmallFile(t.CAFile, maxCAFileSize)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file %s: %s", t.CAFile, fileErrorReason(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Secret holds a password or token. It prints, logs and marshals as "<secret>" so a config
// dump or a log line can never reveal it; use Reveal where the real value is needed.
type Secret string

const redacted = "<secret>"

// Reveal returns the secret's real value.
func (s Secret) Reveal() string { return string(s) }

// String hides the value.
func (s Secret) String() string { return redacted }

// GoString hides the value from %#v too.
func (s Secret) GoString() string { return redacted }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalYAML hides the value from config dumps.
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// MarshalText hides the value from JSON and other text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Duration is a time.Duration written like Prometheus durations: 500ms, 10s, 1m30s.
type Duration time.Duration
