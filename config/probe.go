package config

import (
	"maps"
	"time"
)

// DefaultProbeTimeout bounds one scrape of a probe unless the target sets its own.
const DefaultProbeTimeout = 10 * time.Second

// ProbeTarget is one reachability target (a server, a branch, a domain).
// Settings beyond those every kind shares are added with the probe collector.
type ProbeTarget struct {
	Name string `yaml:"name"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`
}

func (t *ProbeTarget) target() Target {
	return Target{
		Kind:    KindProbe,
		Name:    t.Name,
		Labels:  maps.Clone(t.Labels),
		Timeout: t.Timeout.orDefault(DefaultProbeTimeout),
	}
}

func (t *ProbeTarget) common() (string, map[string]string, Duration) {
	return t.Name, t.Labels, t.Timeout
}

func (t *ProbeTarget) check(*checker, string) {}

func (t *ProbeTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultProbeTimeout)
	}
}
