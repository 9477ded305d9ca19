package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondanet/ronda/config"
)

// Every testdata/invalid-*.yml file, with the exact error it must produce. A file missing
// from this table fails TestInvalidFilesAreAllListed, so no case goes unchecked.
var invalidFiles = map[string]struct {
	env  map[string]string // set for the case; names listed with "" are unset
	want string
}{
	"invalid-unknown-key.yml": {want: `
testdata/invalid-unknown-key.yml:4: mikrotik[0].adress: unknown key (did you mean "address"?)`},
	"invalid-unknown-key-no-suggestion.yml": {want: `
testdata/invalid-unknown-key-no-suggestion.yml:7: mikrotik[0].colour: unknown key (known keys here: name, address, username, password_file, password_env, tls, hotspot_users, timeout, labels)`},
	"invalid-unknown-section.yml": {want: `
testdata/invalid-unknown-section.yml:1: onu: unknown key (did you mean "olt"?)`},
	"invalid-tls-unknown-key.yml": {want: `
testdata/invalid-tls-unknown-key.yml:7: mikrotik[0].tls.ca_fil: unknown key (did you mean "ca_file"?)`},
	"invalid-labels-type.yml": {want: `
testdata/invalid-labels-type.yml:7: mikrotik[0].labels: expected a mapping of names to values (name: value), got a list`},
	"invalid-label-value-type.yml": {want: `
testdata/invalid-label-value-type.yml:7: mikrotik[0].labels.unit: expected text, got a list`},
	"invalid-section-type.yml": {want: `
testdata/invalid-section-type.yml:2: mikrotik: expected a list (lines starting with -), got a mapping`},
	"invalid-root-list.yml": {want: `
testdata/invalid-root-list.yml:1: expected a mapping of settings (key: value), got a list`},
	"invalid-bool.yml": {want: `
testdata/invalid-bool.yml:7: mikrotik[0].tls.insecure_skip_verify: expected true or false, got "maybe"`},
	"invalid-duplicate-key.yml": {want: `
testdata/invalid-duplicate-key.yml:6: mikrotik[0].address: duplicate key: already set on line 3`},
	"invalid-duplicate-name.yml": {want: `
testdata/invalid-duplicate-name.yml:7: mikrotik[1].name: "hotspot-pasar" is already the name of mikrotik[0] (line 2): names must be unique across all targets`},
	"invalid-name.yml": {want: `
testdata/invalid-name.yml:2: mikrotik[0].name: "Pasar Baru/1" is not a valid name: use only letters, digits and . _ - : (the name becomes the instance label value and a URL parameter)`},
	"invalid-missing-required.yml": {want: `
testdata/invalid-missing-required.yml:2: mikrotik[0].name: required: every target needs a name (it becomes the instance label)
testdata/invalid-missing-required.yml:2: mikrotik[0].address: required: the router's API address, host or host:port
testdata/invalid-missing-required.yml:2: mikrotik[0].username: required: the RouterOS user ronda logs in as (a read-only group is enough)`},
	"invalid-address.yml": {want: `
testdata/invalid-address.yml:3: mikrotik[0].address: "https://192.0.2.1" is not a valid address: write only host or host:port, with no scheme (like http://) and no path
testdata/invalid-address.yml:7: mikrotik[1].address: "router.lan:99999" is not a valid address: the port must be a number from 1 to 65535, got "99999"
testdata/invalid-address.yml:11: mikrotik[2].address: "2001:db8::1:8728:x" is not a valid address: not host or host:port (an IPv6 address with a port goes in brackets: [2001:db8::1]:8729)
testdata/invalid-address.yml:15: mikrotik[3].address: "router lan" is not a valid address: not a host name or IP address`},
	"invalid-password-both.yml": {
		env: map[string]string{"RONDA_TEST_PASSWORD": "from-env"},
		want: `
testdata/invalid-password-both.yml:6: mikrotik[0].password_env: set only one of password_file and password_env`},
	"invalid-password-neither.yml": {want: `
testdata/invalid-password-neither.yml:2: mikrotik[0].password_file: required: set password_file (a file holding the password) or password_env (an environment variable holding it)`},
	"invalid-password-inline.yml": {want: `
testdata/invalid-password-inline.yml:5: mikrotik[0].password: inline passwords are not accepted: put it in a file (password_file) or the environment (password_env)`},
	"invalid-password-file-missing.yml": {want: `
testdata/invalid-password-file-missing.yml:5: mikrotik[0].password_file: cannot read password file $TESTDATA/secrets/no-such.password: no such file or directory`},
	"invalid-password-env-unset.yml": {
		env: map[string]string{"RONDA_TEST_UNSET_PASSWORD": ""},
		want: `
testdata/invalid-password-env-unset.yml:5: mikrotik[0].password_env: environment variable RONDA_TEST_UNSET_PASSWORD is not set`},
	"invalid-hotspot-users.yml": {want: `
testdata/invalid-hotspot-users.yml:6: mikrotik[0].hotspot_users: must be all, limited or none, got "some"`},
	"invalid-timeout-type.yml": {want: `
testdata/invalid-timeout-type.yml:6: mikrotik[0].timeout: expected a duration like 10s or 1m30s, got "ten"
testdata/invalid-timeout-type.yml:11: mikrotik[1].timeout: expected a duration like 10s or 1m30s, got "10" (a unit is needed: 10s)`},
	"invalid-timeout-range.yml": {want: `
testdata/invalid-timeout-range.yml:6: mikrotik[0].timeout: must be more than 0, got -5s (leave it out for the default)
testdata/invalid-timeout-range.yml:11: mikrotik[1].timeout: must be more than 0, got 0s (leave it out for the default)
testdata/invalid-timeout-range.yml:16: mikrotik[2].timeout: must be at most 5m, got 10m`},
	"invalid-label-name.yml": {want: `
testdata/invalid-label-name.yml:7: mikrotik[0].labels.unit-name: "unit-name" is not a valid label name: use letters, digits and _, not starting with a digit
testdata/invalid-label-name.yml:8: mikrotik[0].labels["1st"]: "1st" is not a valid label name: use letters, digits and _, not starting with a digit
testdata/invalid-label-name.yml:9: mikrotik[0].labels["map location"]: "map location" is not a valid label name: use letters, digits and _, not starting with a digit`},
	"invalid-unknown-module.yml": {want: `
testdata/invalid-unknown-module.yml:4: probe[0].module: unknown module "htp_2xx"; modules: http_2xx, icmp, tcp_connect`},
	"invalid-probe-address.yml": {want: `
testdata/invalid-probe-address.yml:3: probe[0].address: "192.0.2.1:80" is not a valid icmp target: an icmp target is a host without a port; use 192.0.2.1
testdata/invalid-probe-address.yml:5: probe[1].address: "192.0.2.1" is not a valid tcp target: a tcp target needs a port: host:port
testdata/invalid-probe-address.yml:8: probe[2].address: "portal.example.net/health" is not a valid http target: an http target is a URL starting with http:// or https://
testdata/invalid-probe-address.yml:10: probe[3].address: required: what to probe (a host for icmp, host:port for tcp, a URL for http, the DNS server for dns)
testdata/invalid-probe-address.yml:12: probe[4].address: "https://monitor:xxxxx@portal.example.net/health" is not a valid http target: credentials do not go in the URL, which /config and the logs show: send an Authorization header (http.headers) instead`},
	"invalid-probe-module.yml": {want: `
testdata/invalid-probe-module.yml:3: probe_modules.bad_prober.prober: must be icmp, tcp, http or dns, got "smtp"
testdata/invalid-probe-module.yml:4: probe_modules.no_prober.prober: required: icmp, tcp, http or dns
testdata/invalid-probe-module.yml:8: probe_modules.mixed.icmp: settings for the icmp prober in a module whose prober is http
testdata/invalid-probe-module.yml:12: probe_modules.api.http.method: write the method in capitals, like GET or POST, got "get"
testdata/invalid-probe-module.yml:13: probe_modules.api.http.valid_status_codes[1]: 99 is not an HTTP status code (100 to 599)
testdata/invalid-probe-module.yml:14: probe_modules.api.http.fail_if_body_matches_regexp[0]: "(unclosed" is not a valid regular expression: missing closing ): ` + "`(unclosed`" + `
testdata/invalid-probe-module.yml:16: probe_modules.api.http.json_values[0].path: "data..x" is not a valid path: a key is missing after the dot at "..x"
testdata/invalid-probe-module.yml:17: probe_modules.api.http.json_values[1].name: "a" is already the name of another value
testdata/invalid-probe-module.yml:18: probe_modules.api.http.json_values[2].name: required: the name label of the value's probe_json_value series
testdata/invalid-probe-module.yml:19: probe_modules.dns_nothing.dns: required for the dns prober: at least dns.query_name
testdata/invalid-probe-module.yml:25: probe_modules.dns_bad.dns.query_type: "AXFRX" is not a DNS query type this prober knows (A, AAAA, ANY, CAA, CNAME, MX, NS, PTR, SOA, SRV, TXT)
testdata/invalid-probe-module.yml:26: probe_modules.dns_bad.dns.transport_protocol: must be udp or tcp, got "quic"
testdata/invalid-probe-module.yml:27: probe_modules.dns_bad.dns.valid_rcodes[0]: "OKAY" is not a DNS response code (FORMERR, NOERROR, NOTIMP, NXDOMAIN, REFUSED, SERVFAIL)
testdata/invalid-probe-module.yml:31: probe_modules.ping.icmp.packets: must be from 1 to 100, got 1000
testdata/invalid-probe-module.yml:32: probe_modules.ping.icmp.preferred_ip_protocol: must be ip4 or ip6, got "ipv4"
testdata/invalid-probe-module.yml:36: probe_modules.ping_zeros.icmp.packets: must be from 1 to 100, got 0 (leave it out for the default 3)
testdata/invalid-probe-module.yml:37: probe_modules.ping_zeros.icmp.interval: must be more than 0, got 0s (leave it out for the default 100ms)
testdata/invalid-probe-module.yml:38: probe_modules.ping_zeros.icmp.payload_size: must be from 24 to 65000 bytes, got 0 (leave it out for the default 56)`},
	"invalid-label-reserved.yml": {want: `
testdata/invalid-label-reserved.yml:7: mikrotik[0].labels.instance: instance is reserved: /sd sets it to the target name
testdata/invalid-label-reserved.yml:8: mikrotik[0].labels.job: job is reserved: Prometheus sets it to the scrape job's name
testdata/invalid-label-reserved.yml:9: mikrotik[0].labels.__address__: label names starting with __ are reserved for Prometheus`},
	"invalid-ca-file-missing.yml": {want: `
testdata/invalid-ca-file-missing.yml:7: mikrotik[0].tls.ca_file: cannot read CA file $TESTDATA/no-such-ca.pem: no such file or directory`},
	"invalid-ca-file-not-pem.yml": {want: `
testdata/invalid-ca-file-not-pem.yml:7: mikrotik[0].tls.ca_file: $TESTDATA/not-pem.pem is not a valid CA bundle: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)`},
	"invalid-ca-file-key.yml": {want: `
testdata/invalid-ca-file-key.yml:7: mikrotik[0].tls.ca_file: $TESTDATA/key-not-ca.pem is not a valid CA bundle: block 1 is a PRIVATE KEY, not a CERTIFICATE`},
	"invalid-yaml-syntax.yml": {want: `
testdata/invalid-yaml-syntax.yml:5: invalid YAML: did not find expected '-' indicator`},
	"invalid-yaml-unclosed-quote.yml": {want: `
testdata/invalid-yaml-unclosed-quote.yml:3: invalid YAML: found unexpected end of stream`},
	"invalid-yaml-tab.yml": {want: `
testdata/invalid-yaml-tab.yml:2: invalid YAML: found character that cannot start any token (indent with spaces: YAML does not allow tabs there)`},
	"invalid-two-documents.yml": {want: `
testdata/invalid-two-documents.yml:2: a second YAML document (after ---) is not allowed: put every setting in one`},
	"invalid-several.yml": {
		env: map[string]string{"RONDA_TEST_UNSET_PASSWORD": ""},
		want: `
testdata/invalid-several.yml:7: mikrotik[0].timeout: must be at most 5m, got 1h
testdata/invalid-several.yml:9: mikrotik[0].labels.job: job is reserved: Prometheus sets it to the scrape job's name
testdata/invalid-several.yml:11: mikrotik[1].name: "hotspot-pasar" is already the name of mikrotik[0] (line 3): names must be unique across all targets
testdata/invalid-several.yml:12: mikrotik[1].adress: unknown key (did you mean "address"?)
testdata/invalid-several.yml:14: mikrotik[1].password_env: environment variable RONDA_TEST_UNSET_PASSWORD is not set
testdata/invalid-several.yml:15: mikrotik[1].hotspot_users: must be all, limited or none, got "everyone"
testdata/invalid-several.yml:16: mikrotik[1].timeout: expected a duration like 10s or 1m30s, got "ten"`},
	"invalid-olt.yml": {
		env: map[string]string{"RONDA_TEST_PASSWORD": "from-env"},
		want: `
testdata/invalid-olt.yml:2: olt[0].username: required: the web interface user ronda logs in as
testdata/invalid-olt.yml:3: olt[0].driver: unknown driver "zte": use one of hioso, vsol, hsgq
testdata/invalid-olt.yml:4: olt[0].url: "192.168.1.100" is not a usable URL: it must start with http:// or https://
testdata/invalid-olt.yml:6: olt[0].min_interval: must be between 1s and 1h, got 0s
testdata/invalid-olt.yml:9: olt[1].url: "http://admin:xxxxx@192.168.1.101" is not a usable URL: credentials do not go in the URL: use username and password_file
testdata/invalid-olt.yml:11: olt[1].password: inline passwords are not accepted: put it in a file (password_file) or the environment (password_env)
testdata/invalid-olt.yml:12: olt[2].driver: required: the OLT's driver, one of hioso, vsol, hsgq
testdata/invalid-olt.yml:13: olt[2].url: "ftp://192.168.1.102/" is not a usable URL: it must start with http:// or https://
testdata/invalid-olt.yml:16: olt[2].min_interval: must be between 1s and 1h, got 2h`},
	"invalid-ssh.yml": {want: `
testdata/invalid-ssh.yml:2: ssh[0].user: required: the account ronda logs in as
testdata/invalid-ssh.yml:2: ssh[0].known_hosts_file: required: a known_hosts file holding the host's key (ssh-keyscan -H host >> known_hosts), or trust_on_first_use: true with a file to record it in
testdata/invalid-ssh.yml:3: ssh[0].address: "web 1" is not a valid address: not a host name or IP address
testdata/invalid-ssh.yml:5: ssh[0].units[0]: "nginx" is not a systemd unit name with its type (like nginx.service)
testdata/invalid-ssh.yml:5: ssh[0].units[2]: "nginx.service" is listed twice
testdata/invalid-ssh.yml:6: ssh[0].host_key_algorithms[0]: unknown host key algorithm "ssh-dss" (known: ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, rsa-sha2-512, rsa-sha2-256, ssh-rsa, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com)
testdata/invalid-ssh.yml:7: ssh[0].max_sessions: must be from 1 to 10 (sshd allows 10 sessions per connection by default), got 11
testdata/invalid-ssh.yml:9: ssh[0].commands[0].name: "queue delay" is not a valid command name: use at most 64 letters, digits and . _ - :
testdata/invalid-ssh.yml:10: ssh[0].commands[0].command: required: the shell command to run
testdata/invalid-ssh.yml:11: ssh[0].commands[0].value: must be exit_status, first_number or prometheus, got "number"
testdata/invalid-ssh.yml:14: ssh[0].commands[1].timeout: must be more than 0, got 0s (leave it out for the default)
testdata/invalid-ssh.yml:18: ssh[1].password: password logins are not supported: use a key (private_key_file)
testdata/invalid-ssh.yml:19: ssh[1].insecure_ignore_host_key: set only one of insecure_ignore_host_key and trust_on_first_use`},
	"invalid-ssh-keys.yml": {want: `
testdata/invalid-ssh-keys.yml:5: ssh[0].private_key_file: private key file $TESTDATA/ssh/client_ecdsa_encrypted is encrypted: set passphrase_file
testdata/invalid-ssh-keys.yml:11: ssh[1].passphrase_file: the passphrase in $TESTDATA/ssh/wrong.passphrase does not decrypt $TESTDATA/ssh/client_ecdsa_encrypted
testdata/invalid-ssh-keys.yml:16: ssh[2].private_key_file: private key file $TESTDATA/ssh/known_hosts cannot be used: no key found
testdata/invalid-ssh-keys.yml:17: ssh[2].known_hosts_file: $TESTDATA/ssh/bad_known_hosts is not a valid known_hosts file: $TESTDATA/ssh/bad_known_hosts:1: illegal base64 data at input byte 9
testdata/invalid-ssh-keys.yml:21: ssh[3].private_key_file: cannot read private key file $TESTDATA/ssh/no-such-key: no such file or directory
testdata/invalid-ssh-keys.yml:22: ssh[3].known_hosts_file: cannot read known_hosts file $TESTDATA/ssh/no-such-known-hosts: no such file or directory`},
}

func TestInvalidFiles(t *testing.T) {
	for name, tc := range invalidFiles {
		t.Run(name, func(t *testing.T) {
			setEnv(t, tc.env)
			cfg, err := config.Load(filepath.Join("testdata", name))
			if err == nil {
				t.Fatalf("Load succeeded (%d targets), want an error", len(cfg.Targets()))
			}
			want := strings.ReplaceAll(strings.TrimPrefix(tc.want, "\n"), "$TESTDATA", testdataDir(t))
			if got := err.Error(); got != want {
				t.Errorf("wrong error\n got: %s\nwant: %s", got, want)
			}
			var configErr *config.Error
			if !errors.As(err, &configErr) {
				t.Fatalf("error is a %T, want *config.Error", err)
			}
			if n := strings.Count(want, "\n") + 1; len(configErr.Problems) != n {
				t.Errorf("%d problems, want %d", len(configErr.Problems), n)
			}
			for i := 1; i < len(configErr.Problems); i++ {
				if configErr.Problems[i].Line < configErr.Problems[i-1].Line {
					t.Errorf("problems not sorted by line: %+v", configErr.Problems)
				}
			}
		})
	}
}

func TestInvalidFilesAreAllListed(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := invalidFiles[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected error in invalidFiles", f)
		}
	}
	if len(files) != len(invalidFiles) {
		t.Errorf("%d invalid files in testdata, %d in the table", len(files), len(invalidFiles))
	}
}

// testdataDir is the absolute path of testdata, as messages name files.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// setEnv sets each variable for the test; an empty value means "make sure it is unset".
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for name, value := range env {
		t.Setenv(name, value) // also restores the variable after the test
		if value == "" {
			if err := os.Unsetenv(name); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	_, err := config.Load("testdata/no-such-config.yml")
	want := "testdata/no-such-config.yml: cannot read the config file: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	var configErr *config.Error
	if !errors.As(err, &configErr) {
		t.Fatalf("error is a %T, want *config.Error", err)
	}
}

func TestErrorFormat(t *testing.T) {
	err := &config.Error{File: "ronda.yml", Problems: []config.Problem{
		{Line: 0, Key: "", Message: "whole file"},
		{Line: 3, Key: "", Message: "no key"},
		{Line: 7, Key: "mikrotik[0].adress", Message: "unknown key"},
	}}
	want := "ronda.yml: whole file\nronda.yml:3: no key\nronda.yml:7: mikrotik[0].adress: unknown key"
	if got := err.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
