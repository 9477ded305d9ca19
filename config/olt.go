package config

import (
	"maps"
	"time"
)

// DefaultOLTTimeout bounds one scrape of an OLT unless the target sets its own.
const DefaultOLTTimeout = 30 * time.Second

// OLTTarget is one OLT whose web interface is read for per-ONU metrics.
// Settings beyond those every kind shares are added with the olt collector.
type OLTTarget struct {
	Name string `yaml:"name"`
	// Timeout caps one scrape; Prometheus's scrape timeout lowers it further.
	Timeout Duration `yaml:"timeout,omitempty"`
	// Labels travel through /sd onto every series and alert of this target.
	Labels map[string]string `yaml:"labels,omitempty"`
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

func (t *OLTTarget) check(*checker, string) {}

func (t *OLTTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultOLTTimeout)
	}
}
