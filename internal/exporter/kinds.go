package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
)

// kinds holds a constructor for every kind of target ronda supports. Each kind adds itself
// from its own kind_<name>.go file, so kinds join the exporter without editing a shared list.
var kinds []func(logger *slog.Logger) collector.Collector

// DefaultCollectors builds one collector for every kind of target ronda supports.
func DefaultCollectors(logger *slog.Logger) []collector.Collector {
	out := make([]collector.Collector, 0, len(kinds))
	for _, build := range kinds {
		out = append(out, build(logger))
	}
	return out
}
