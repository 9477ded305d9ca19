package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/mikrotik"
)

func init() {
	kinds = append(kinds, func(logger *slog.Logger) collector.Collector {
		return mikrotik.New(logger, mikrotik.Options{})
	})
}
