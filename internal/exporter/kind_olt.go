package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/olt"
)

func init() {
	kinds = append(kinds, func(logger *slog.Logger) collector.Collector {
		return olt.New(logger, olt.Options{})
	})
}
