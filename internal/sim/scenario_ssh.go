package sim

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// HostSpec describes one simulated Linux host reached over SSH (internal/sim/sshhost).
// It accepts any client key (a demo lab); its host key is derived from its name, so a
// known_hosts file written once stays valid (see sshhost.HostKeyFor).
type HostSpec struct {
	Name   string `yaml:"name"`
	Listen string `yaml:"listen"`
	// CPUs is the number of CPUs reported (default 2, at most 256).
	CPUs int `yaml:"cpus"`
	// StoppedUnits are reported inactive; every other unit asked about is active.
	StoppedUnits []string `yaml:"stopped_units"`
}

var simUnitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+$`)

// validateHosts checks the hosts section and fills in defaults.
func (s *Scenario) validateHosts(root *yaml.Node) error {
	names := map[string]bool{}
	for _, rs := range s.Routers {
		names[rs.Name] = true
	}
	for _, os := range s.OLTs {
		names[os.Name] = true
	}
	for i := range s.Hosts {
		hs := &s.Hosts[i]
		if hs.CPUs == 0 {
			hs.CPUs = 2
		}
		at := fmt.Sprintf("line %d: hosts[%d]", nodeLine(root, "hosts", i), i)
		switch {
		case hs.Name == "":
			return fmt.Errorf("%s: name is required", at)
		case names[hs.Name]:
			return fmt.Errorf("%s: name %q is used twice", at, hs.Name)
		case hs.Listen == "":
			return fmt.Errorf("%s (%s): listen is required (for example 127.0.0.1:18822)", at, hs.Name)
		case hs.CPUs < 1 || hs.CPUs > 256:
			return fmt.Errorf("%s (%s): cpus must be between 1 and 256", at, hs.Name)
		}
		for _, u := range hs.StoppedUnits {
			if !simUnitName.MatchString(u) || !strings.Contains(u, ".") {
				return fmt.Errorf("%s (%s): %q is not a unit name like nginx.service", at, hs.Name, u)
			}
		}
		names[hs.Name] = true
	}
	return nil
}
