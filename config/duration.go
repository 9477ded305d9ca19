package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// String writes the duration the way it is written in the file: 10s, 1m30s.
func (d Duration) String() string { return model.Duration(d).String() }

// UnmarshalYAML reads Prometheus duration syntax. Negative values are read rather than
// rejected here, so that the setting's own check can say what range it accepts.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	const want = "expected a duration like 10s or 1m30s"
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s, got %s", want, describeNode(node))
	}
	parsed, err := model.ParseDurationAllowNegative(node.Value)
	if err != nil {
		if isAllDigits(strings.TrimPrefix(node.Value, "-")) {
			// A bare number is the most common mistake: say which unit is missing.
			return fmt.Errorf("%s, got %q (a unit is needed: %ss)", want, node.Value, node.Value)
		}
		return fmt.Errorf("%s, got %s", want, describeNode(node))
	}
	*d = Duration(parsed)
	return nil
}

// MarshalYAML writes the duration back in the syntax UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// orDefault returns d, or def when d is unset.
func (d Duration) orDefault(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
