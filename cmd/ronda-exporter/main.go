// Command ronda-exporter is ronda's multi-target Prometheus exporter: MikroTik routers on
// /mikrotik (later OLTs, SSH hosts and probes), each configured target scraped on request,
// and /sd listing them all for Prometheus's HTTP service discovery.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/rondanet/ronda/internal/exporter"
)

// defaultListenAddress is ronda-exporter's port; ronda-webhook and ronda-restore use the next ones.
const defaultListenAddress = ":9850"

func main() {
	app := kingpin.New("ronda-exporter",
		"Prometheus exporter for MikroTik hotspots (and, later, EPON OLTs, Linux hosts over SSH and reachability probes).\n\n"+
			"Each configured target is scraped when Prometheus asks for it on /KIND?target=NAME; "+
			"/sd lists every target for Prometheus's http_sd_configs, so one scrape job covers them all.")
	configFile := app.Flag("config.file", "ronda-exporter configuration file.").Default("ronda.yml").String()
	checkConfig := app.Flag("config.check", "Validate the configuration file, print a summary and exit (0 if valid, 1 if not).").Bool()
	timeoutOffset := app.Flag("scrape.timeout-offset",
		"Time taken off Prometheus's scrape timeout (X-Prometheus-Scrape-Timeout-Seconds) so the answer arrives before Prometheus gives up.").
		Default("500ms").Duration()
	maxConcurrent := app.Flag("scrape.max-concurrent",
		"Most scrapes of each kind (probes, routers, …) running at once; more wait for a free slot until their deadline. 0 means no limit.").
		Default("512").Int()
	webFlags := kingpinflag.AddFlags(app, defaultListenAddress)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print("ronda-exporter"))
	app.HelpFlag.Short('h')
	kingpin.MustParse(app.Parse(os.Args[1:]))

	if *checkConfig {
		if err := exporter.CheckConfig(*configFile, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	logger := promslog.New(logConfig)
	logger.Info("starting ronda-exporter", "version", version.Info(), "config", *configFile)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reload := make(chan chan error)
	go forwardSIGHUP(ctx, reload)

	err := exporter.Run(ctx, exporter.Options{
		ConfigFile:    *configFile,
		Web:           webFlags,
		TimeoutOffset: *timeoutOffset,
		MaxConcurrent: *maxConcurrent,
		Logger:        logger,
		Reload:        reload,
	})
	if err != nil {
		logger.Error("ronda-exporter stopped", "err", err)
		os.Exit(1)
	}
}

// forwardSIGHUP turns each SIGHUP into a reload request.
func forwardSIGHUP(ctx context.Context, reload chan<- chan error) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			done := make(chan error, 1)
			select {
			case reload <- done:
				<-done // Run logs the outcome and sets the reload gauges.
			case <-ctx.Done():
				return
			}
		}
	}
}
