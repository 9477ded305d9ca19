package config

import (
	"maps"
	"time"
)

// DefaultSSHTimeout bounds one scrape of an SSH host unless the target sets its own.
const DefaultSSHTimeout = 10 * time.Second

// SSHTarget is one Linux host read over SSH.
// Settings beyond those every kind shares are added with the ssh collector.
type SSHTarget struct {
	Name string `yaml:"name"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`
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

func (t *SSHTarget) check(*checker, string) {}

func (t *SSHTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultSSHTimeout)
	}
}
