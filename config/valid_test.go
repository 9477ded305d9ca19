package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
)

func loadValid(t *testing.T, filename string) *config.Config {
	t.Helper()
	t.Setenv("RONDA_TEST_PASSWORD", "from-env")
	cfg, err := config.Load(filename)
	if err != nil {
		t.Fatalf("Load(%s): %v", filename, err)
	}
	return cfg
}

func mustTarget(t *testing.T, cfg *config.Config, name string) *config.MikroTikTarget {
	t.Helper()
	target, ok := cfg.MikroTikTarget(name)
	if !ok {
		t.Fatalf("no MikroTik target %q", name)
	}
	return target
}

func TestDefaults(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-defaults.yml")
	testdata := testdataDir(t)
	for _, want := range []struct {
		name, address string
		timeout       time.Duration
		hotspotUsers  config.HotspotUsers
		password      string
	}{
		{"plain", "192.0.2.1:8728", 10 * time.Second, config.HotspotUsersAll, "s3cret-R0uter-pw"},
		{"tls", "router.lan:8729", 10 * time.Second, config.HotspotUsersAll, "crlf-s3cret"},
		{"tls-empty", "[2001:db8::1]:8729", 10 * time.Second, config.HotspotUsersAll, "from-env"},
		{"ipv6-in-brackets", "[2001:db8::2]:8728", 10 * time.Second, config.HotspotUsersAll, "from-env"},
		{"explicit", "192.0.2.5:1234", 90 * time.Second, config.HotspotUsersNone, "s3cret-R0uter-pw"},
	} {
		got := mustTarget(t, cfg, want.name)
		if got.Address != want.address {
			t.Errorf("%s: address %q, want %q", want.name, got.Address, want.address)
		}
		if time.Duration(got.Timeout) != want.timeout {
			t.Errorf("%s: timeout %v, want %v", want.name, got.Timeout, want.timeout)
		}
		if got.HotspotUsers != want.hotspotUsers {
			t.Errorf("%s: hotspot_users %q, want %q", want.name, got.HotspotUsers, want.hotspotUsers)
		}
		if got.Password.Reveal() != want.password {
			t.Errorf("%s: password %q, want %q", want.name, got.Password.Reveal(), want.password)
		}
	}
	if got, want := mustTarget(t, cfg, "plain").PasswordFile, filepath.Join(testdata, "secrets/router.password"); got != want {
		t.Errorf("password_file resolved to %q, want %q", got, want)
	}
	tlsTarget := mustTarget(t, cfg, "tls")
	if tlsTarget.TLS == nil || tlsTarget.TLS.CAFile != filepath.Join(testdata, "ca.pem") || tlsTarget.TLS.ServerName != "router.lan" {
		t.Errorf("tls: %+v, want ca_file resolved to %s", tlsTarget.TLS, filepath.Join(testdata, "ca.pem"))
	}
	if mustTarget(t, cfg, "tls-empty").TLS == nil {
		t.Error("tls-empty: `tls:` with nothing under it must still turn TLS on")
	}
	if mustTarget(t, cfg, "plain").TLS != nil {
		t.Error("plain: TLS is on without a tls section")
	}
	wantLabels := map[string]string{"unit": "Pasar Baru", "latitude": "-6.9147"}
	if got := mustTarget(t, cfg, "explicit").Labels; !reflect.DeepEqual(got, wantLabels) {
		t.Errorf("labels %v, want %v (numbers are read as the text written)", got, wantLabels)
	}
}

func TestPasswordFileIsRelativeToTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "pw"), []byte("temp-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := []byte("mikrotik:\n  - {name: r, address: 192.0.2.1, username: u, password_file: secrets/pw}\n")
	// The test runs in config/, where secrets/pw does not exist: only the config's folder has it.
	cfg, err := config.Parse(data, filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatal(err)
	}
	router := mustTarget(t, cfg, "r")
	if router.Password.Reveal() != "temp-pw" {
		t.Errorf("password %q, want temp-pw", router.Password.Reveal())
	}
	if want := filepath.Join(dir, "secrets", "pw"); router.PasswordFile != want {
		t.Errorf("password_file %q, want %q", router.PasswordFile, want)
	}
}

func TestEmptyPasswordEnvIsAllowedWhenSet(t *testing.T) {
	t.Setenv("RONDA_TEST_EMPTY_PASSWORD", "")
	cfg, err := config.Parse([]byte("mikrotik:\n  - {name: r, address: 192.0.2.1, username: u, password_env: RONDA_TEST_EMPTY_PASSWORD}\n"), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := mustTarget(t, cfg, "r").Password.Reveal(); got != "" {
		t.Errorf("password %q, want empty", got)
	}
}

// A password file and a password variable holding the same text give the same password:
// one line ending is dropped from both (a Kubernetes secret made with --from-file, or an env
// file saved on Windows, ends the variable with \n or \r\n).
func TestPasswordEnvDropsALineEndingLikeAPasswordFile(t *testing.T) {
	for _, tc := range []struct{ stored, want string }{
		{"s3cret", "s3cret"},
		{"s3cret\n", "s3cret"},
		{"s3cret\r\n", "s3cret"},
		{"s3cret\n\n", "s3cret\n"},
		{" s3cret ", " s3cret "},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(tc.stored), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("RONDA_TEST_PASSWORD", tc.stored)
		cfg, err := config.Parse([]byte(`
mikrotik:
  - {name: file, address: 192.0.2.1, username: u, password_file: pw}
  - {name: env, address: 192.0.2.2, username: u, password_env: RONDA_TEST_PASSWORD}
`), filepath.Join(dir, "ronda.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"file", "env"} {
			if got := mustTarget(t, cfg, name).Password.Reveal(); got != tc.want {
				t.Errorf("%q from password_%s gives %q, want %q", tc.stored, name, got, tc.want)
			}
		}
	}
}

func TestConfigsWithoutTargetsAreValid(t *testing.T) {
	for _, data := range []string{"", "\n", "# nothing yet\n", "---\n", "mikrotik:\n", "mikrotik: []\n", "{}\n"} {
		cfg, err := config.Parse([]byte(data), "ronda.yml")
		if err != nil {
			t.Errorf("Parse(%q): %v", data, err)
			continue
		}
		if n := len(cfg.Targets()); n != 0 {
			t.Errorf("Parse(%q): %d targets, want 0", data, n)
		}
		if cfg.Filename() != "ronda.yml" {
			t.Errorf("Filename() = %q", cfg.Filename())
		}
	}
}

func TestTargets(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-defaults.yml")
	var names []string
	for _, target := range cfg.Targets() {
		names = append(names, target.Name)
		if target.Kind != config.KindMikroTik {
			t.Errorf("%s: kind %q", target.Name, target.Kind)
		}
	}
	if want := []string{"plain", "tls", "tls-empty", "ipv6-in-brackets", "explicit"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Targets() in order %v, want file order %v", names, want)
	}

	got, ok := cfg.Target("explicit")
	want := config.Target{
		Kind:    config.KindMikroTik,
		Name:    "explicit",
		Labels:  map[string]string{"unit": "Pasar Baru", "latitude": "-6.9147"},
		Timeout: 90 * time.Second,
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Target(explicit) = %+v, %v; want %+v", got, ok, want)
	}
	if got, _ := cfg.Target("plain"); got.Timeout != 10*time.Second {
		t.Errorf("Target(plain).Timeout = %v, want the 10s default", got.Timeout)
	}
	if _, ok := cfg.Target("nope"); ok {
		t.Error("Target(nope) found something")
	}
	if _, ok := cfg.MikroTikTarget("nope"); ok {
		t.Error("MikroTikTarget(nope) found something")
	}

	// Labels handed out are copies: /sd code changing them must not change the config.
	got.Labels["unit"] = "changed"
	if again, _ := cfg.Target("explicit"); again.Labels["unit"] != "Pasar Baru" {
		t.Error("changing Target().Labels changed the config")
	}
}

func TestTargetsOfAConfigBuiltInCode(t *testing.T) {
	cfg := &config.Config{MikroTik: []config.MikroTikTarget{{Name: "b"}, {Name: "a", Timeout: config.Duration(time.Second)}}}
	got := cfg.Targets()
	want := []config.Target{
		{Kind: config.KindMikroTik, Name: "b", Timeout: 10 * time.Second},
		{Kind: config.KindMikroTik, Name: "a", Timeout: time.Second},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Targets() = %+v, want %+v", got, want)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-anchors.yml")
	masjid := mustTarget(t, cfg, "hotspot-masjid")
	if masjid.Address != "192.0.2.2:8728" || masjid.Username != "ronda" || masjid.Password.Reveal() != "s3cret-R0uter-pw" {
		t.Errorf("merged target: %+v", masjid)
	}
	if want := map[string]string{"city": "Bandung", "unit": "Masjid"}; !reflect.DeepEqual(masjid.Labels, want) {
		t.Errorf("merged labels %v, want %v", masjid.Labels, want)
	}
	if pasar := mustTarget(t, cfg, "hotspot-pasar"); pasar.Address != "192.0.2.1:8728" {
		t.Errorf("anchored target changed: %+v", pasar)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := config.Load("../examples/ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	password, err := os.ReadFile("../examples/secrets/demo-router.password")
	if err != nil {
		t.Fatal(err)
	}
	// The demo has routers, OLTs and probes; this checks the routers and the probes.
	var targets []config.Target
	for _, target := range cfg.Targets() {
		if target.Kind == config.KindMikroTik {
			targets = append(targets, target)
		}
	}
	if len(targets) != 2 || targets[0].Name != "hotspot-pasar" || targets[1].Name != "hotspot-masjid" {
		t.Fatalf("targets %+v", targets)
	}
	for name, module := range map[string]string{"sim-control": "http_2xx", "gateway-pusat": "tcp_connect"} {
		if p, ok := cfg.ProbeTarget(name); !ok || p.Module != module || p.Labels["latitude"] == "" {
			t.Errorf("probe target %s: %+v, want module %s with a map location", name, p, module)
		}
	}
	for _, target := range targets {
		router := mustTarget(t, cfg, target.Name)
		if router.Password.Reveal()+"\n" != string(password) {
			t.Errorf("%s: password not read from the demo password file", target.Name)
		}
		if target.Labels["unit"] == "" {
			t.Errorf("%s: labels lost: %v", target.Name, target.Labels)
		}
	}
	if targets[1].Timeout != 5*time.Second {
		t.Errorf("hotspot-masjid timeout %v, want 5s", targets[1].Timeout)
	}
}
