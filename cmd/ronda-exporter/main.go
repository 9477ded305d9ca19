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

	"github.com/rondanet/ronda/internal/exporter"
	"github.com/rondanet/ronda/internal/service"
)

// defaultListenAddress is ronda-exporter's port; ronda-webhook and ronda-restore use the next ones.
const defaultListenAddress = ":9850"

func main() {
	app := kingpin.New("ronda-exporter",
		"Prometheus exporter for small ISPs' networks: MikroTik hotspots (RouterOS API), EPON OLTs (HiOSO, V-SOL and HSGQ web interfaces), "+
			"Linux hosts over SSH (node_exporter-compatible) and reachability probes (ICMP, TCP, HTTP, DNS; blackbox-compatible).\n\n"+
			"Each configured target is scraped when Prometheus asks for it on /KIND?target=NAME "+
			"(KIND: mikrotik, olt, ssh, probe; a probe may also name an ad-hoc target); "+
			"/sd lists every target for Prometheus's http_sd_configs, so one scrape job covers them all (or one job per kind, with /sd?kind=KIND).")
	configFile := app.Flag("config.file", "ronda-exporter configuration file.").Default("ronda.yml").String()
	checkConfig := app.Flag("config.check", "Validate the configuration file, print a summary and exit (0 if valid, 1 if not).").Bool()
	timeoutOffset := app.Flag("scrape.timeout-offset",
		"Time taken off Prometheus's scrape timeout (X-Prometheus-Scrape-Timeout-Seconds) so the answer arrives before Prometheus gives up.").
		Default("500ms").Duration()
	maxConcurrent := app.Flag("scrape.max-concurrent",
		"Most scrapes of each kind (probes, routers, …) running at once; more wait for a free slot until their deadline. 0 means no limit.").
		Default("512").Int()
	webFlags := service.AddFlags(app, defaultListenAddress)
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
	go service.ForwardSIGHUP(ctx, reload)

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
