// Package exporter is the ronda-exporter application: it loads the configuration, builds the
// collectors, and serves the scrape endpoints, /sd, /metrics and the landing page until its
// context ends. cmd/ronda-exporter only turns flags and signals into Options and a context,
// so the whole application runs inside tests too.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/service"
)

// Options configures the exporter.
type Options struct {
	ConfigFile string
	// Web holds the listen addresses and the exporter-toolkit web config file (TLS, basic auth).
	Web *web.FlagConfig
	// TimeoutOffset is taken off Prometheus's scrape timeout.
	TimeoutOffset time.Duration
	// MaxConcurrent bounds the scrapes of each kind running at once; 0 means no bound.
	MaxConcurrent int
	Logger        *slog.Logger
	// Reload receives a channel per reload request (SIGHUP); the outcome is sent back on it.
	Reload <-chan chan error
	// Collectors builds the collectors; nil means every kind ronda supports.
	Collectors func(logger *slog.Logger) []collector.Collector
	// Ready, when set, is told the addresses the exporter listens on once it serves.
	Ready func(addrs []string)
}

// Run serves until ctx ends. It fails at once when the configuration is invalid.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	build := opts.Collectors
	if build == nil {
		build = DefaultCollectors
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		versioncollector.NewCollector("ronda_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	manager := collector.NewManager(collector.Options{
		Logger:        logger,
		Registerer:    registry,
		TimeoutOffset: opts.TimeoutOffset,
		MaxConcurrent: opts.MaxConcurrent,
	}, build(logger)...)
	defer func() {
		if err := manager.Close(); err != nil {
			logger.Warn("closing collectors", "err", err)
		}
	}()

	reloader := newReloader(opts.ConfigFile, manager, logger, registry)
	if err := reloader.reload(); err != nil {
		return err
	}

	server := &http.Server{
		Handler:           newMux(manager, reloader, registry, logger),
		ReadHeaderTimeout: 10 * time.Second,
		// Scrapes may legitimately take as long as Prometheus's scrape timeout (minutes, at most).
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
	}
	serveErr, err := service.Start(server, opts.Web, logger, opts.Ready)
	if err != nil {
		return err
	}

	for {
		select {
		case err := <-serveErr:
			return fmt.Errorf("web server: %w", err)
		case done := <-opts.Reload:
			done <- reloader.reload()
		case <-ctx.Done():
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				logger.Warn("web server shutdown", "err", err)
			}
			return nil
		}
	}
}

func newMux(manager *collector.Manager, reloader *reloader, registry *prometheus.Registry, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	for _, kind := range manager.Kinds() {
		mux.Handle("/"+kind, manager.Handler(kind))
	}
	mux.Handle("/sd", manager.SDHandler())
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	service.HandleLifecycle(mux, reloader.reload)
	mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) {
		out, err := manager.Config().Redacted()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(out)
	})
	mux.Handle("/{$}", landingPage(manager))
	return mux
}
