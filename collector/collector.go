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
	"net/url"
	"time"

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

// SeriesNamer is implemented by a Collector whose per-scrape series need other names than
// `<kind>_up`, `<kind>_scrape_duration_seconds` and `<kind>_scrape_failure_reason`: probes
// keep blackbox_exporter's `probe_success` and `probe_duration_seconds`, so its dashboards
// and alerts work unchanged. Empty fields keep the default name and help.
type SeriesNamer interface {
	SeriesNames() SeriesNames
}

// SeriesNames names a kind's per-scrape series.
type SeriesNames struct {
	Up, UpHelp             string
	Duration, DurationHelp string
	Reason, ReasonHelp     string
}

// AdHocScraper is implemented by a Collector that also scrapes targets described entirely
// by the request, as blackbox_exporter does (/probe?target=ADDRESS&module=M). The framework
// asks it only when ?target= names no configured target of the kind; the other kinds keep
// answering 404 for unknown names.
type AdHocScraper interface {
	// AdHoc reads an ad-hoc target from the request's query. It returns nil and no error
	// when the query does not describe one (the framework then answers 404 as for any
	// unknown name), an error when it describes one that cannot be scraped (400, with the
	// error's text), or the target.
	AdHoc(query url.Values) (*AdHocTarget, error)
}

// AdHocTarget is a target described by a request rather than by the configuration.
type AdHocTarget struct {
	// Timeout caps the scrape like a configured target's timeout; 0 means the default.
	Timeout time.Duration
	// Scrape scrapes it, with the same contract as Collector.Scrape.
	Scrape func(ctx context.Context, logger *slog.Logger, ch chan<- prometheus.Metric) error
}
