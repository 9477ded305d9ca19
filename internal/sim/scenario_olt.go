package sim

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/sim/olt"
)

// OLTSpec describes one simulated OLT web interface (internal/sim/olt).
type OLTSpec struct {
	Name   string `yaml:"name"`
	Listen string `yaml:"listen"`
	// Personality is the web interface played: hioso (all-PON page, 22 columns; the
	// default), hioso-overview (only per-PON overview pages, 16 columns), hsgq (JSON API
	// with an X-Token login) or vsol (form login, rotating SessionKey, GB2312 tables).
	Personality string `yaml:"personality"`
	// Username and Password are the HTTP Basic account (inline: this is a simulator).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// PONs (default 4, at most 16) and ONUsPerPON (default 32, at most 64) size the
	// generated population; Seed varies it (the same seed gives the same ONUs).
	PONs       int    `yaml:"pons"`
	ONUsPerPON int    `yaml:"onus_per_pon"`
	Seed       uint64 `yaml:"seed"`
	// Fault is the fault in force at start (none by default).
	Fault string `yaml:"fault"`
}

// Limits of a simulated OLT, those of real EPON gear (FIELD-NOTES).
const (
	maxOLTPONs   = 16
	maxONUsOnPON = 64
)

func (s *OLTSpec) applyDefaults() {
	if s.Personality == "" {
		s.Personality = string(olt.HiOSO)
	}
	if s.Username == "" {
		s.Username = "admin"
	}
	if s.PONs == 0 {
		s.PONs = 4
	}
	if s.ONUsPerPON == 0 {
		s.ONUsPerPON = 32
	}
	if s.Fault == "" {
		s.Fault = string(olt.FaultNone)
	}
}

// validateOLTs checks the olts section and fills in defaults.
func (s *Scenario) validateOLTs(root *yaml.Node) error {
	names := map[string]bool{}
	listens := map[string]string{}
	for _, rs := range s.Routers {
		names[rs.Name] = true
		listens[rs.Listen] = rs.Name
	}
	for i := range s.OLTs {
		os := &s.OLTs[i]
		os.applyDefaults()
		at := fmt.Sprintf("line %d: olts[%d]", nodeLine(root, "olts", i), i)
		switch {
		case os.Name == "":
			return fmt.Errorf("%s: name is required", at)
		case names[os.Name]:
			return fmt.Errorf("%s: name %q is used twice", at, os.Name)
		case os.Listen == "":
			return fmt.Errorf("%s (%s): listen is required (for example 127.0.0.1:18800)", at, os.Name)
		case listens[os.Listen] != "" && !strings.HasSuffix(os.Listen, ":0"):
			return fmt.Errorf("%s (%s): listen %s is already used by %s", at, os.Name, os.Listen, listens[os.Listen])
		case !slices.Contains(olt.Personalities, olt.Personality(os.Personality)):
			return fmt.Errorf("%s (%s): unknown personality %q (use %s)", at, os.Name, os.Personality, joinNames(olt.Personalities))
		case os.PONs < 1 || os.PONs > maxOLTPONs:
			return fmt.Errorf("%s (%s): pons must be between 1 and %d", at, os.Name, maxOLTPONs)
		case os.ONUsPerPON < 0 || os.ONUsPerPON > maxONUsOnPON:
			return fmt.Errorf("%s (%s): onus_per_pon must be between 0 and %d", at, os.Name, maxONUsOnPON)
		case !slices.Contains(olt.Faults, olt.Fault(os.Fault)):
			return fmt.Errorf("%s (%s): unknown fault %q (use %s)", at, os.Name, os.Fault, joinNames(olt.Faults))
		}
		names[os.Name] = true
		listens[os.Listen] = os.Name
	}
	return nil
}

func joinNames[T ~string](values []T) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}
