package sim

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/sim/routeros"
)

// DemoScenario is the scenario used when no file is given: two hotspots on 127.0.0.1:18728
// and 127.0.0.1:18729 matching examples/ronda.yml.
//
//go:embed scenarios/demo.yml
var DemoScenario []byte

// Scenario lists the simulated routers.
type Scenario struct {
	Routers []RouterSpec `yaml:"routers"`
	OLTs    []OLTSpec    `yaml:"olts"`  // scenario_olt.go
	Hosts   []HostSpec   `yaml:"hosts"` // scenario_ssh.go
	// Timeline lists events that happen on their own after the start (timeline.go).
	Timeline []EventSpec `yaml:"timeline"`
}

// RouterSpec describes one router.
type RouterSpec struct {
	Name        string     `yaml:"name"`
	Listen      string     `yaml:"listen"`
	Identity    string     `yaml:"identity"`
	Version     string     `yaml:"version"`
	Board       string     `yaml:"board"`
	API         APISpec    `yaml:"api"`
	LegacyLogin bool       `yaml:"legacy_login"`
	EmptyReply  bool       `yaml:"empty_reply"`
	Uptime      Duration   `yaml:"uptime"` // router uptime at start
	Users       []UserSpec `yaml:"users"`
}

// APISpec is the API account. The password is written inline: this is a simulator.
type APISpec struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// UserSpec is either one hotspot user or, with Generate, a batch of generated ones.
type UserSpec struct {
	Name        string        `yaml:"name"`
	Password    string        `yaml:"password"`
	Profile     string        `yaml:"profile"`
	Server      string        `yaml:"server"`
	MACAddress  string        `yaml:"mac_address"`
	LimitUptime Duration      `yaml:"limit_uptime"`
	Uptime      Duration      `yaml:"uptime"`
	Comment     string        `yaml:"comment"`
	Disabled    bool          `yaml:"disabled"`
	Online      bool          `yaml:"online"`
	Address     string        `yaml:"address"` // of the session when online
	Generate    *GenerateSpec `yaml:"generate"`
}

// GenerateSpec makes Count users with deterministic names and values: Mikhmon-style
// vouchers (comment vc-<batch>-<mm.dd.yy>-) when VoucherPrefix is set, numbered members
// otherwise.
type GenerateSpec struct {
	Count         int      `yaml:"count"`
	LimitedRatio  float64  `yaml:"limited_ratio"` // share of users with a limit-uptime
	OnlineRatio   float64  `yaml:"online_ratio"`  // share of users online at start
	Profile       string   `yaml:"profile"`
	VoucherPrefix string   `yaml:"voucher_prefix"` // vouchers: prefix + 5-letter code, password = name
	NamePrefix    string   `yaml:"name_prefix"`    // other users: prefix + number (default "member")
	LimitUptime   Duration `yaml:"limit_uptime"`   // default: a mix of 1h, 3h, 1d and 7d
}

// maxGenerated bounds one generate block (the benchmark size is 10,000).
const maxGenerated = 100_000

// Duration is a YAML duration in RouterOS or Go notation (1h30m, 1d, 1w2d, 00:30:00).
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string like 1h30m", n.Line)
	}
	v, err := routeros.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (use 1h30m, 1d, 1w2d3h4m5s)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// LoadScenario reads a scenario file ("" means the built-in demo).
func LoadScenario(path string) (*Scenario, error) {
	if path == "" {
		s, err := ParseScenario(bytes.NewReader(DemoScenario))
		if err != nil {
			return nil, fmt.Errorf("built-in demo scenario: %w", err)
		}
		return s, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	s, err := ParseScenario(f)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return s, nil
}

// ParseScenario decodes and validates a scenario. Unknown keys are errors, and every error
// names the line it is about.
func ParseScenario(r io.Reader) (*Scenario, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, cleanYAMLError(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: it needs a routers list")
		}
		return nil, cleanYAMLError(err)
	}
	if err := s.validate(&root); err != nil {
		return nil, err
	}
	return &s, nil
}

// cleanYAMLError drops yaml.v3's "yaml: unmarshal errors:" preamble so the message starts
// with the line number, and says which keys an unknown key could have been.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = m
		if sub := unknownField.FindStringSubmatch(m); sub != nil {
			if k, ok := sectionKeys[sub[3]]; ok {
				msgs[i] = fmt.Sprintf("%s: unknown key %q in %s (known keys: %s)", sub[1], sub[2], k.what, strings.Join(k.keys, ", "))
			}
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}

var unknownField = regexp.MustCompile(`^(line \d+): field (.+) not found in type sim\.(\w+)$`)

type section struct {
	what string
	keys []string
}

// sectionKeys names each scenario type for error messages, with its YAML keys.
var sectionKeys = map[string]section{
	"Scenario":     {"the scenario", yamlKeys(Scenario{})},
	"RouterSpec":   {"a router", yamlKeys(RouterSpec{})},
	"APISpec":      {"api", yamlKeys(APISpec{})},
	"UserSpec":     {"a user", yamlKeys(UserSpec{})},
	"GenerateSpec": {"generate", yamlKeys(GenerateSpec{})},
	"OLTSpec":      {"an OLT", yamlKeys(OLTSpec{})},
	"HostSpec":     {"an SSH host", yamlKeys(HostSpec{})},
	"EventSpec":    {"a timeline event", yamlKeys(EventSpec{})},
	"ONUEventSpec": {"a timeline event's onu", yamlKeys(ONUEventSpec{})},
}

func yamlKeys(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func (s *Scenario) validate(root *yaml.Node) error {
	if len(s.Routers) == 0 && len(s.OLTs) == 0 && len(s.Hosts) == 0 {
		return errors.New("no routers: list at least one under routers")
	}
	names := map[string]bool{}
	listens := map[string]string{}
	for i := range s.Routers {
		rs := &s.Routers[i]
		at := fmt.Sprintf("line %d: routers[%d]", nodeLine(root, "routers", i), i)
		switch {
		case rs.Name == "":
			return fmt.Errorf("%s: name is required", at)
		case names[rs.Name]:
			return fmt.Errorf("%s: router name %q is used twice", at, rs.Name)
		case rs.Listen == "":
			return fmt.Errorf("%s (%s): listen is required (for example 127.0.0.1:8728)", at, rs.Name)
		case listens[rs.Listen] != "" && !strings.HasSuffix(rs.Listen, ":0"):
			return fmt.Errorf("%s (%s): listen %s is already used by router %s", at, rs.Name, rs.Listen, listens[rs.Listen])
		case rs.Uptime < 0:
			return fmt.Errorf("%s (%s): uptime cannot be negative", at, rs.Name)
		}
		names[rs.Name] = true
		listens[rs.Listen] = rs.Name
		if err := validateUsers(root, i, rs); err != nil {
			return err
		}
	}
	if err := s.validateOLTs(root); err != nil {
		return err
	}
	if err := s.validateHosts(root); err != nil {
		return err
	}
	return s.validateTimeline(root)
}

func validateUsers(root *yaml.Node, ri int, rs *RouterSpec) error {
	users := map[string]bool{}
	for j, us := range rs.Users {
		at := fmt.Sprintf("line %d: router %s: users[%d]", nodeLine(root, "routers", ri, "users", j), rs.Name, j)
		if g := us.Generate; g != nil {
			if us.Name != "" || us.Online || us.Comment != "" || us.LimitUptime != 0 || us.Uptime != 0 || us.Disabled {
				return fmt.Errorf("%s: an entry is either a user or a generate block, not both", at)
			}
			switch {
			case g.Count < 1 || g.Count > maxGenerated:
				return fmt.Errorf("%s: generate.count must be between 1 and %d", at, maxGenerated)
			case g.LimitedRatio < 0 || g.LimitedRatio > 1:
				return fmt.Errorf("%s: generate.limited_ratio must be between 0 and 1", at)
			case g.OnlineRatio < 0 || g.OnlineRatio > 1:
				return fmt.Errorf("%s: generate.online_ratio must be between 0 and 1", at)
			}
			continue
		}
		switch {
		case us.Name == "":
			return fmt.Errorf("%s: name is required (or use generate)", at)
		case users[us.Name]:
			return fmt.Errorf("%s: user %q is listed twice", at, us.Name)
		case us.LimitUptime > 0 && us.Uptime > us.LimitUptime:
			return fmt.Errorf("%s (%s): uptime is above limit_uptime", at, us.Name)
		case us.Online && us.Disabled:
			return fmt.Errorf("%s (%s): a disabled user cannot be online", at, us.Name)
		case us.Online && us.LimitUptime > 0 && us.Uptime >= us.LimitUptime:
			return fmt.Errorf("%s (%s): a user at its limit cannot be online", at, us.Name)
		case us.Uptime < 0 || us.LimitUptime < 0:
			return fmt.Errorf("%s (%s): durations cannot be negative", at, us.Name)
		}
		users[us.Name] = true
	}
	return nil
}

// nodeLine finds the line of the node at path (mapping keys and sequence indexes) under
// the document root, or 0.
func nodeLine(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return 0
			}
			var next *yaml.Node
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == p {
					next = n.Content[k+1]
				}
			}
			if next == nil {
				return 0
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return 0
			}
			n = n.Content[p]
		}
	}
	return n.Line
}
