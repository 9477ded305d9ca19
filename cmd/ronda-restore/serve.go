package main

import (
	"context"
	"log/slog"

	"github.com/alecthomas/kingpin/v2"

	"github.com/rondanet/ronda/restore"
)

// registerServe is where the web page (restore/web, `ronda-restore serve`) adds its
// subcommand and flags; it returns what runs it, or nil while there is none. The shared
// flags (config, Prometheus, ledger) are already parsed into f, and the Service it gets is
// the same one the CLI uses.
func registerServe(_ *kingpin.Application, _ *flags) func(ctx context.Context, svc *restore.Restorer, logger *slog.Logger) error {
	return nil
}
