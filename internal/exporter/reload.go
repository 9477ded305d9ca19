package exporter

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

// reloader reads the config file and puts it in force only when it is valid: a broken edit
// leaves the previous configuration scraping, and the gauges say the reload failed.
type reloader struct {
	file    string
	manager *collector.Manager
	logger  *slog.Logger

	mu            sync.Mutex
	success       prometheus.Gauge
	successTime   prometheus.Gauge
	reloadsFailed prometheus.Counter
}

func newReloader(file string, manager *collector.Manager, logger *slog.Logger, reg prometheus.Registerer) *reloader {
	r := &reloader{
		file:    file,
		manager: manager,
		logger:  logger,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ronda_exporter_config_last_reload_successful",
			Help: "1 if the last configuration load succeeded, 0 if it failed (the previous configuration stays in force).",
		}),
		successTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ronda_exporter_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, as a Unix timestamp.",
		}),
		reloadsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ronda_exporter_config_reloads_failed_total",
			Help: "Configuration loads that failed.",
		}),
	}
	reg.MustRegister(r.success, r.successTime, r.reloadsFailed)
	return r
}

// reload loads the file and applies it if valid.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := config.Load(r.file)
	if err != nil {
		r.success.Set(0)
		r.reloadsFailed.Inc()
		r.logger.Error("configuration not loaded; the previous one stays in force", "file", r.file, "err", err)
		return fmt.Errorf("configuration not loaded: %w", err)
	}
	r.manager.ApplyConfig(cfg)
	r.success.Set(1)
	r.successTime.SetToCurrentTime()
	r.logger.Info("configuration loaded", "file", r.file, "targets", len(cfg.Targets()))
	return nil
}
