// Package collector is ronda-exporter's multi-target framework: one endpoint per kind of
// target (/mikrotik, later /olt, /ssh, /probe), a fresh registry per request, a deadline from
// Prometheus's scrape timeout, and the per-scrape metrics every kind shares (`<kind>_up`,
// `<kind>_scrape_duration_seconds`, `<kind>_scrape_failure_reason`).
//
// A kind plugs in by implementing Collector; it never sees HTTP.
package collector

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
)

// Collector scrapes the targets of one kind.
type Collector interface {
	// Kind names the endpoint (/mikrotik) and prefixes the per-scrape metrics (mikrotik_up).
	Kind() string

	// Reload hands over each new valid configuration. The collector drops the state it
	// keeps between scrapes (connections, caches) of targets that changed or went away.
	// It is called once before the first scrape.
	Reload(cfg *config.Config)

	// Scrape collects target's metrics and sends them to ch. It returns when ctx's deadline
	// passes at the latest (every network call it makes has that deadline) and must not
	// send on ch after it returned. An error makes `<kind>_up` 0: wrap it with Fail to say
	// why, or let Classify work the reason out.
	Scrape(ctx context.Context, target string, logger *slog.Logger, ch chan<- prometheus.Metric) error

	// Close releases everything the collector holds (connections, goroutines).
	Close() error
}
