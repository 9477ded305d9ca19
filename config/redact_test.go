package config_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/rondanet/ronda/config"
	"gopkg.in/yaml.v3"
)

func TestRedactedParsesAgain(t *testing.T) {
	for _, file := range []string{"testdata/valid-defaults.yml", "testdata/valid-anchors.yml", "../examples/ronda.yml"} {
		t.Run(file, func(t *testing.T) {
			cfg := loadValid(t, file)
			dump, err := cfg.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			// No field of today's config is a Secret that marshals, so <secret> has no place in
			// the dump; an inline `password: <secret>` would not even load again.
			if bytes.Contains(dump, []byte("<secret>")) {
				t.Errorf("dump shows <secret> where no setting is a secret:\n%s", dump)
			}
			again, err := config.Parse(dump, file)
			if err != nil {
				t.Fatalf("the dump does not load again: %v\n%s", err, dump)
			}
			if !reflect.DeepEqual(again.MikroTik, cfg.MikroTik) {
				t.Errorf("round trip changed the targets:\n got %+v\nwant %+v", again.MikroTik, cfg.MikroTik)
			}
			if !reflect.DeepEqual(again.Targets(), cfg.Targets()) {
				t.Errorf("round trip changed Targets()")
			}
		})
	}
}

func TestRedactedKeepsSecretOptions(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-defaults.yml")
	dump, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"password_file: " + testdataDir(t) + "/secrets/router.password", "password_env: RONDA_TEST_PASSWORD", "timeout: 10s", "timeout: 1m30s", "hotspot_users: all"} {
		if !strings.Contains(string(dump), want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
}

func TestSecretMarshalsRedacted(t *testing.T) {
	out, err := yaml.Marshal(struct{ Token config.Secret }{"tok-123"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != "token: <secret>\n" {
		t.Errorf("got %q", got)
	}
}

// An HTTP probe's headers can only be written in the config, and one may well be an
// Authorization or API key header: /config shows their names, never their values.
func TestRedactedHidesHTTPHeaderValues(t *testing.T) {
	cfg, err := config.Parse([]byte(`
probe_modules:
  api:
    prober: http
    http:
      headers: {Authorization: Bearer hunter2-token, X-Api-Key: hunter2-key}
`), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := cfg.ProbeModule("api"); m.HTTP.Headers["Authorization"] != "Bearer hunter2-token" {
		t.Fatalf("the probe must still send the header, got %q", m.HTTP.Headers["Authorization"])
	}
	dump, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(dump), "hunter2") {
		t.Errorf("/config shows a header value:\n%s", dump)
	}
	for _, want := range []string{"Authorization: <secret>", "X-Api-Key: <secret>"} {
		if !strings.Contains(string(dump), want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
}

// An HTTP probe's body is written in the config too, and may carry a token or a password
// (a login form, a JSON API key): /config hides it as it hides header values. (The probe
// still sends it: TestHTTP's http_post.)
func TestRedactedHidesHTTPBody(t *testing.T) {
	cfg, err := config.Parse([]byte(`
probe_modules:
  login:
    prober: http
    http: {method: POST, body: "user=monitor&password=hunter2-body"}
  plain:
    prober: http
`), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	dump, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(dump), "hunter2") {
		t.Errorf("/config shows the body:\n%s", dump)
	}
	if strings.Count(string(dump), "body: <secret>") != 1 {
		t.Errorf("want the one body, and only it, shown as <secret>:\n%s", dump)
	}
}
