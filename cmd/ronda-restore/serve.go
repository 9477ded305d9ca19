package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/internal/service"
	"github.com/rondanet/ronda/restore"
	"github.com/rondanet/ronda/restore/web"
)

// defaultListenAddress follows ronda-exporter's 9850 and ronda-webhook's 9851.
const defaultListenAddress = ":9852"

// registerServe adds `serve`, the web page (restore/web), and returns what runs it. The
// shared flags (config, Prometheus, ledger, --since) are parsed into f by then, and the
// Service it gets is the same one the CLI uses.
func registerServe(app *kingpin.Application, f *flags) func(ctx context.Context, svc *restore.Restorer, logger *slog.Logger) error {
	cmd := app.Command("serve", "Serve the restore web page: pick a router and a restore point, see the users online then, "+
		"press Restore and confirm. Protect it with --web.config.file (TLS, basic auth): whoever reaches it can give time back.")
	webFlags := service.AddFlags(cmd, defaultListenAddress)
	timeout := cmd.Flag("web.page-timeout", "Deadline of the Prometheus queries and router reads behind one page.").
		Default(web.DefaultTimeout.String()).Duration()
	applyTimeout := cmd.Flag("web.apply-timeout", "Deadline of one restore's writes; a restore that has started finishes even if the browser goes away.").
		Default(web.DefaultApplyTimeout.String()).Duration()
	return func(ctx context.Context, svc *restore.Restorer, logger *slog.Logger) error {
		since, err := model.ParseDuration(f.since)
		if err != nil || since <= 0 {
			return &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--since %q: want a duration like 7d or 36h", f.since)}
		}
		logger.Info("starting ronda-restore serve", "config", f.configFile, "prometheus", f.promURL, "ledger", f.ledgerFile,
			"routers", len(svc.Routers()), "zone", time.Now().Format("MST -07:00"))
		return web.Run(ctx, web.Options{
			Service: svc, Logger: logger, Window: time.Duration(since),
			Timeout: *timeout, ApplyTimeout: *applyTimeout,
		}, webFlags, nil)
	}
}
