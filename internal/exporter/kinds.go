package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/mikrotik"
)

// DefaultCollectors builds one collector for every kind of target ronda supports.
func DefaultCollectors(logger *slog.Logger) []collector.Collector {
	return []collector.Collector{
		mikrotik.New(logger, mikrotik.Options{}),
	}
}
