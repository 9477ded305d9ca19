package sim

import (
	"fmt"

	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// sshLab is the SSH host part of a Lab.
type sshLab struct {
	hosts      []*sshhost.Host
	hostByName map[string]*sshhost.Host
}

// startHosts builds and starts the scenario's SSH hosts.
func (lab *Lab) startHosts(specs []HostSpec) error {
	lab.hostByName = map[string]*sshhost.Host{}
	for _, s := range specs {
		h := sshhost.New(sshhost.Options{Name: s.Name, CPUs: s.CPUs, Logger: lab.logger.With("host", s.Name)})
		for _, u := range s.StoppedUnits {
			h.SetUnitStopped(u, true)
		}
		if err := h.Listen(s.Listen); err != nil {
			return fmt.Errorf("SSH host %s: %w", s.Name, err)
		}
		lab.hosts = append(lab.hosts, h)
		lab.hostByName[s.Name] = h
		lab.logger.Info("SSH host listening", "host", s.Name, "address", h.Addr(), "cpus", s.CPUs)
	}
	return nil
}

// Host returns a simulated SSH host by name.
func (lab *Lab) Host(name string) (*sshhost.Host, bool) {
	h, ok := lab.hostByName[name]
	return h, ok
}

// closeHosts stops every SSH host.
func (lab *Lab) closeHosts() []error {
	var errs []error
	for _, h := range lab.hosts {
		errs = append(errs, h.Close())
	}
	return errs
}
