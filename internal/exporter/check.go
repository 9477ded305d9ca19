package exporter

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/rondanet/ronda/config"
)

// CheckConfig validates a configuration file and prints a summary of its targets.
func CheckConfig(file string, out io.Writer) error {
	cfg, err := config.Load(file)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, t := range cfg.Targets() {
		counts[t.Kind]++
	}
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s: %d", kind, counts[kind]))
	}
	summary := "no targets"
	if len(parts) > 0 {
		summary = strings.Join(parts, ", ")
	}
	_, err = fmt.Fprintf(out, "%s is valid (%s)\n", file, summary)
	return err
}
