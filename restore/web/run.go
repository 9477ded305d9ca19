package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"

	"github.com/rondanet/ronda/internal/service"
)

// Run serves the page on the --web.listen-address listeners of flags, with TLS and basic
// authentication from its --web.config.file (exporter-toolkit), plus /-/healthy and
// /-/ready, until ctx ends. ready, when set, is told the addresses it listens on.
func Run(ctx context.Context, opts Options, flags *toolkit.FlagConfig, ready func(addrs []string)) error {
	h, err := New(opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.Handle("/", h)
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A page waits for Prometheus and the router; a restore for its writes.
		WriteTimeout: max(h.opts.Timeout, h.opts.ApplyTimeout) + time.Minute,
		IdleTimeout:  2 * time.Minute,
	}
	serveErr, err := service.Start(server, flags, h.log, ready)
	if err != nil {
		return err
	}
	select {
	case err := <-serveErr:
		return fmt.Errorf("web server: %w", err)
	case <-ctx.Done():
		// Let a restore in progress finish writing rather than cut it off half done.
		shutdownCtx, cancel := context.WithTimeout(context.Background(), h.opts.ApplyTimeout)
		defer cancel()
		if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			h.log.Warn("web server shutdown", "err", err)
		}
		return nil
	}
}
