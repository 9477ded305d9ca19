package config

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Redacted dumps the config as YAML for the /config page. Secret values show as <secret>;
// resolved passwords are not settings (`yaml:"-"`) and never appear. The dump is a valid
// config itself: the same targets, with defaults written out and paths resolved.
func (c *Config) Redacted() ([]byte, error) {
	var out bytes.Buffer
	encoder := yaml.NewEncoder(&out)
	encoder.SetIndent(2)
	if err := encoder.Encode(c); err != nil {
		return nil, err
	}
	if err := encoder.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
