package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
)

func DefaultCollectors(logger *slog.Logger) []collector.Collector { return nil }
