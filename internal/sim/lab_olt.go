package sim

import (
	"fmt"

	"github.com/rondanet/ronda/internal/sim/olt"
)

// oltLab is the OLT part of a Lab.
type oltLab struct {
	olts      []*labOLT
	oltByName map[string]*labOLT
}

type labOLT struct {
	name string
	olt  *olt.OLT
}

// startOLTs builds and starts the scenario's OLTs.
func (lab *Lab) startOLTs(specs []OLTSpec) error {
	lab.oltByName = map[string]*labOLT{}
	for _, s := range specs {
		o := olt.New(olt.Options{
			Personality: olt.Personality(s.Personality),
			Username:    s.Username,
			Password:    s.Password,
			PONs:        s.PONs,
			ONUs:        olt.Populate(s.Seed, s.PONs, s.ONUsPerPON, lab.clock.Now()),
			Clock:       lab.clock,
			Logger:      lab.logger.With("olt", s.Name),
		})
		if err := o.SetFault(olt.Fault(s.Fault)); err != nil {
			return fmt.Errorf("OLT %s: %w", s.Name, err)
		}
		if err := o.Listen(s.Listen); err != nil {
			return fmt.Errorf("OLT %s: %w", s.Name, err)
		}
		lo := &labOLT{name: s.Name, olt: o}
		lab.olts = append(lab.olts, lo)
		lab.oltByName[s.Name] = lo
		lab.logger.Info("OLT listening", "olt", s.Name, "url", o.URL(), "personality", s.Personality,
			"pons", s.PONs, "onus", s.PONs*s.ONUsPerPON)
	}
	return nil
}

// OLT returns a simulated OLT by name.
func (lab *Lab) OLT(name string) (*olt.OLT, bool) {
	lo, ok := lab.oltByName[name]
	if !ok {
		return nil, false
	}
	return lo.olt, true
}

// closeOLTs stops every OLT.
func (lab *Lab) closeOLTs() []error {
	var errs []error
	for _, lo := range lab.olts {
		errs = append(errs, lo.olt.Close())
	}
	return errs
}
