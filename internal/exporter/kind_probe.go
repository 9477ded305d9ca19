package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/probe"
)

func init() {
	kinds = append(kinds, func(logger *slog.Logger) collector.Collector {
		return probe.New(logger)
	})
}
