package config_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rondanet/ronda/config"
)

// The passwords in testdata: none may ever appear in a dump, a log line or an error.
var testSecrets = []string{"s3cret-R0uter-pw", "crlf-s3cret", "from-env", "inline-secret-hunter2"}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range testSecrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s reveals the secret %q:\n%s", what, secret, text)
		}
	}
}

func TestSecretsNeverShow(t *testing.T) {
	cfg := loadValid(t, "testdata/valid-defaults.yml")
	if got := mustTarget(t, cfg, "plain").Password.Reveal(); got != "s3cret-R0uter-pw" {
		t.Fatalf("the test needs the real password loaded, got %q", got)
	}

	dump, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "Redacted()", string(dump))

	assertNoSecret(t, "fmt", fmt.Sprintf("%v %+v %#v %v %+v %#v", cfg, cfg, cfg, *cfg, *cfg, cfg.MikroTik))
	plain := mustTarget(t, cfg, "plain")
	assertNoSecret(t, "fmt of a target", fmt.Sprintf("%v %+v %#v %s %q", plain, *plain, *plain, plain.Password, plain.Password))

	var logs bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		logger := slog.New(handler)
		logger.Info("loaded", "config", cfg, "target", plain, "password", plain.Password)
		logger.Info("loaded", slog.Any("config", *cfg), slog.Any("targets", cfg.MikroTik))
	}
	assertNoSecret(t, "slog", logs.String())
	if !strings.Contains(logs.String(), "<secret>") {
		t.Errorf("the logs do not even show <secret> for the password:\n%s", logs.String())
	}
}

func TestErrorsNeverShowSecrets(t *testing.T) {
	// Passwords that load fine in a config with other problems, and an inline password:
	// neither error may repeat a password.
	t.Setenv("RONDA_TEST_PASSWORD", "from-env")
	data := []byte(`
mikrotik:
  - name: bad name
    address: 192.0.2.1
    username: ronda
    password_file: secrets/router.password
    timeout: 0s
  - name: env
    address: 192.0.2.1
    username: ronda
    password_env: RONDA_TEST_PASSWORD
    hotspot_users: everyone
  - name: crlf
    password_file: secrets/crlf.password
`)
	_, err := config.Parse(data, "testdata/ronda.yml")
	if err == nil {
		t.Fatal("want an error")
	}
	assertNoSecret(t, "the error", err.Error())

	_, err = config.Load("testdata/invalid-password-inline.yml")
	if err == nil {
		t.Fatal("want an error")
	}
	assertNoSecret(t, "the inline password error", err.Error())
}
