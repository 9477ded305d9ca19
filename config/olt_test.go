package config_test

import (
	"testing"
	"time"

	"github.com/rondanet/ronda/config"
)

// TestOLTDefaults: an OLT with only the required keys gets min_interval 30s and timeout
// 30s, its URL loses a trailing slash, and its password comes from the environment.
func TestOLTDefaults(t *testing.T) {
	t.Setenv("RONDA_TEST_OLT_PASSWORD", "olt-secret")
	cfg, err := config.Parse([]byte(`
olt:
  - name: olt-pasar
    driver: hioso
    url: http://192.0.2.10:8088/
    username: admin
    password_env: RONDA_TEST_OLT_PASSWORD
  - name: olt-kebun
    driver: hsgq
    url: https://192.0.2.11
    username: admin
    password_env: RONDA_TEST_OLT_PASSWORD
    min_interval: 1m
    timeout: 5s
`), "ronda.yml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.OLT[0], cfg.OLT[1]
	if a.URL != "http://192.0.2.10:8088" || time.Duration(a.MinInterval) != 30*time.Second ||
		time.Duration(a.Timeout) != 30*time.Second || a.Password.Reveal() != "olt-secret" {
		t.Errorf("defaults: %+v", a)
	}
	if time.Duration(b.MinInterval) != time.Minute || time.Duration(b.Timeout) != 5*time.Second {
		t.Errorf("explicit values: %+v", b)
	}
	if target, ok := cfg.Target("olt-kebun"); !ok || target.Kind != config.KindOLT || target.Timeout != 5*time.Second {
		t.Errorf("target %+v %v", target, ok)
	}
}
