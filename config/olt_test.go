package config_test

import (
	"strings"
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

// A password written into an OLT's URL (or a probe's) must not reach the error that
// refuses it: the error is logged, at every reload too. The URLs that do not even parse
// matter most, as url.Parse's own error quotes them whole, and its reason may quote a
// piece (invalid port ":qz" in http://admin:qz/x9@host).
func TestURLErrorsHideThePassword(t *testing.T) {
	for _, tc := range []struct{ url, password, want string }{
		{"http://admin:hunter2@192.0.2.10", "hunter2", `"http://admin:xxxxx@192.0.2.10" is not a usable URL: credentials do not go in the URL`},
		{"ftp://admin:hunter2@192.0.2.10", "hunter2", `"ftp://admin:xxxxx@192.0.2.10" is not a usable URL: it must start with http://`},
		{"http://admin:hunter2@192.0.2.10/?page=1", "hunter2", "credentials do not go in the URL"},
		{"http://admin:hunter2@192.0.2.10:port", "hunter2", `"http://xxxxx@192.0.2.10:port" is not a usable URL: it does not parse`},
		{"http://admin:qz/x9@192.0.2.10", "qz", "it does not parse"},
		{"http://admin:pa%zz@192.0.2.10", "zz", "it does not parse"},
		{"admin:hunter2@192.0.2.10", "hunter2", "it must start with http://"},
		{"http://admin:hunter2@[::1", "hunter2", "it does not parse"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := config.Parse([]byte(`
olt:
  - {name: olt, driver: hioso, url: "`+tc.url+`", username: admin, password_env: PATH}
probe_modules:
  web: {prober: http}
probe:
  - {name: web, module: web, address: "`+tc.url+`"}
`), "ronda.yml")
			if err == nil {
				t.Fatal("a URL with a password was accepted")
			}
			if strings.Contains(err.Error(), tc.password) {
				t.Errorf("the error shows the password:\n%s", err)
			}
			if !strings.Contains(err.Error(), "olt[0].url: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error lacks %q:\n%s", tc.want, err)
			}
			if !strings.Contains(err.Error(), "probe[0].address: ") {
				t.Errorf("the probe's address was not refused:\n%s", err)
			}
		})
	}
}

// TestOLTMinIntervalBounds: min_interval is 1s to 1h, as README and the error say. Below a
// second an OLT's weak web server would be read on every scrape, which min_interval exists
// to prevent.
func TestOLTMinIntervalBounds(t *testing.T) {
	t.Setenv("RONDA_TEST_OLT_PASSWORD", "olt-secret")
	for _, tc := range []struct {
		minInterval string
		ok          bool
	}{
		{"1ms", false},
		{"500ms", false},
		{"999ms", false},
		{"1s", true},
		{"30s", true},
		{"1h", true},
		{"1h0m1s", false},
		{"0s", false},
	} {
		t.Run(tc.minInterval, func(t *testing.T) {
			_, err := config.Parse([]byte(`
olt:
  - name: olt-pasar
    driver: hioso
    url: http://192.0.2.10
    username: admin
    password_env: RONDA_TEST_OLT_PASSWORD
    min_interval: `+tc.minInterval+`
`), "ronda.yml")
			switch {
			case tc.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tc.ok && err == nil:
				t.Error("accepted")
			case !tc.ok && !strings.Contains(err.Error(), "ronda.yml:8: olt[0].min_interval: must be between 1s and 1h"):
				t.Errorf("wrong error: %v", err)
			}
		})
	}
}
