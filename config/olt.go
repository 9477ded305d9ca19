package config

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Defaults for OLT targets.
const (
	// DefaultOLTTimeout bounds one scrape of an OLT unless the target sets its own.
	DefaultOLTTimeout = 30 * time.Second
	// DefaultOLTMinInterval is the least time between two reads of one OLT's web pages:
	// embedded OLT web servers are weak, and FIELD-NOTES advises polling every 30–60s.
	// Scrapes in between are answered from the last read.
	DefaultOLTMinInterval = 30 * time.Second
)

// OLT drivers: how an OLT's web interface is read (collector/olt).
const (
	OLTDriverHiOSO = "hioso" // HiOSO / HisFocus / FIT EPON: HTTP Basic, JavaScript arrays
	OLTDriverVSOL  = "vsol"  // V-SOL / C-Data: form login, SessionKey, HTML tables
	OLTDriverHSGQ  = "hsgq"  // HSGQ: JSON API with an X-Token
)

// OLTDrivers lists the drivers in the order the documentation gives them.
var OLTDrivers = []string{OLTDriverHiOSO, OLTDriverVSOL, OLTDriverHSGQ}

// OLTTarget is one OLT whose web interface is read for per-ONU metrics.
type OLTTarget struct {
	Name string `yaml:"name"`
	// Driver is hioso, vsol or hsgq.
	Driver string `yaml:"driver"`
	// URL is the web interface's base URL, http://host[:port] (a path prefix is kept).
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	// PasswordFile names a file holding the password, relative to the config file's folder.
	PasswordFile string `yaml:"password_file,omitempty"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// MinInterval is the least time between two reads of the OLT; scrapes in between are
	// served from the last read. Default 30s; 0s is refused (use 1s to read every scrape).
	MinInterval Duration `yaml:"min_interval,omitempty"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`

	// Password is resolved from PasswordFile or PasswordEnv when the config is loaded.
	Password Secret `yaml:"-"`
}

func (t *OLTTarget) target() Target {
	return Target{
		Kind:    KindOLT,
		Name:    t.Name,
		Labels:  maps.Clone(t.Labels),
		Timeout: t.Timeout.orDefault(DefaultOLTTimeout),
	}
}

func (t *OLTTarget) common() (string, map[string]string, Duration) {
	return t.Name, t.Labels, t.Timeout
}

func (OLTTarget) refusedKeys() map[string]refusal {
	return map[string]refusal{"password": {message: inlinePassword, settles: "password_file"}}
}

// minOLTMinInterval and maxOLTMinInterval bound min_interval: more often than once a second
// is hammering the OLT's weak web server, data older than an hour is no longer monitoring.
const (
	minOLTMinInterval = time.Second
	maxOLTMinInterval = time.Hour
)

func (t *OLTTarget) check(c *checker, path string) {
	switch {
	case t.Driver == "":
		c.missing(path+".driver", "required: the OLT's driver, one of %s", strings.Join(OLTDrivers, ", "))
	case !slices.Contains(OLTDrivers, t.Driver):
		c.report(path+".driver", "unknown driver %q: use one of %s", t.Driver, strings.Join(OLTDrivers, ", "))
	}
	if t.URL == "" {
		c.missing(path+".url", "required: the OLT's web interface, like http://192.168.1.100")
	} else if msg := checkOLTURL(t.URL); msg != "" {
		c.report(path+".url", "%q is not a usable URL: %s", URLWithoutPassword(t.URL), msg)
	}
	if t.Username == "" {
		c.missing(path+".username", "required: the web interface user ronda logs in as")
	}
	t.Password = c.password(path, &t.PasswordFile, t.PasswordEnv)
	if c.present(path+".min_interval") && (time.Duration(t.MinInterval) < minOLTMinInterval || time.Duration(t.MinInterval) > maxOLTMinInterval) {
		c.report(path+".min_interval", "must be between %v and %v, got %v", Duration(minOLTMinInterval), Duration(maxOLTMinInterval), t.MinInterval)
	}
}

// checkOLTURL says what is wrong with an OLT's base URL, or "".
func checkOLTURL(raw string) string {
	u, err := ParseURL(raw)
	switch {
	case err != nil:
		return err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "it must start with http:// or https://"
	case u.Host == "" || u.Hostname() == "":
		return "it names no host"
	case u.User != nil:
		return "credentials do not go in the URL: use username and password_file"
	case u.RawQuery != "" || u.Fragment != "":
		return "it must not have a query or fragment"
	}
	return ""
}

func (t *OLTTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultOLTTimeout)
	}
	if t.MinInterval == 0 {
		t.MinInterval = Duration(DefaultOLTMinInterval)
	}
	t.URL = strings.TrimRight(t.URL, "/")
}
