package config

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
)

// targetConfig is implemented (on the pointer) by each kind of target's settings. A new kind
// is a new []XTarget field of Config whose element implements it: loading, checking,
// defaults, Targets and /sd then pick it up with no other change.
type targetConfig interface {
	// target describes the target for /sd and the scrape deadline, defaults applied.
	target() Target
	// common returns the settings every kind shares, as written in the file.
	common() (name string, labels map[string]string, timeout Duration)
	// check reports this kind's own problems and reads its secrets and files (relative
	// paths resolve against the config file's folder, which c knows).
	check(c *checker, path string)
	// applyDefaults fills the settings left unset; it runs only on a valid config.
	applyDefaults()
}

// placedTarget is one target with where it sits in the file.
type placedTarget struct {
	path string // `mikrotik[1]`
	line int
	cfg  targetConfig
}

var targetConfigType = reflect.TypeFor[targetConfig]()

// placedTargets lists every target of every kind in file order. Configs built in code (no
// lines known) keep the order of Config's fields and of each list.
func (c *Config) placedTargets() []placedTarget {
	var all []placedTarget
	config := reflect.ValueOf(c).Elem()
	for i := range config.NumField() {
		field := config.Type().Field(i)
		if field.Type.Kind() != reflect.Slice || !reflect.PointerTo(field.Type.Elem()).Implements(targetConfigType) {
			continue
		}
		section, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		list := config.Field(i)
		for j := range list.Len() {
			path := indexPath(section, j)
			all = append(all, placedTarget{
				path: path,
				line: c.lines[path],
				cfg:  list.Index(j).Addr().Interface().(targetConfig),
			})
		}
	}
	slices.SortStableFunc(all, func(a, b placedTarget) int { return cmp.Compare(a.line, b.line) })
	return all
}

// Targets lists every target of every kind, in file order, with defaults applied.
func (c *Config) Targets() []Target {
	placed := c.placedTargets()
	targets := make([]Target, 0, len(placed))
	for _, p := range placed {
		targets = append(targets, p.cfg.target())
	}
	return targets
}

// Target finds a target of any kind by name.
func (c *Config) Target(name string) (Target, bool) {
	for _, t := range c.Targets() {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// MikroTikTarget finds a router by name. The result points into c: treat it as read-only.
func (c *Config) MikroTikTarget(name string) (*MikroTikTarget, bool) {
	for i := range c.MikroTik {
		if c.MikroTik[i].Name == name {
			return &c.MikroTik[i], true
		}
	}
	return nil, false
}

// Filename is the file the config was read from, as given to Load or Parse.
func (c *Config) Filename() string { return c.filename }
