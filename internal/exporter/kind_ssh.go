package exporter

import (
	"log/slog"

	"github.com/rondanet/ronda/collector"
	sshcollector "github.com/rondanet/ronda/collector/ssh"
)

func init() {
	kinds = append(kinds, func(logger *slog.Logger) collector.Collector {
		return sshcollector.New(logger, sshcollector.Options{})
	})
}
