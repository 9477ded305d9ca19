// Package service holds what ronda's long-running binaries (ronda-exporter, ronda-webhook)
// do alike: their listeners, SIGHUP reloads and the /-/ lifecycle endpoints.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// flagGroup is a kingpin application or command.
type flagGroup interface {
	Flag(name, help string) *kingpin.FlagClause
	GetFlag(name string) *kingpin.FlagClause
}

// AddFlags adds exporter-toolkit's --web.listen-address, --web.systemd-socket (Linux) and
// --web.config.file to a, with help that offers only what Listen supports (toolkit's
// help offers vsock:// addresses, which only its own ListenAndServe opens).
func AddFlags(a flagGroup, defaultAddress string) *web.FlagConfig {
	flags := kingpinflag.AddFlags(a, defaultAddress)
	a.GetFlag("web.listen-address").Help("Addresses to listen on, as host:port, like :9100 or [::1]:9100 (repeatable).")
	if f := a.GetFlag("web.systemd-socket"); f != nil {
		f.Help("Serve on the sockets systemd passes (socket activation) instead of --web.listen-address (Linux only).")
	}
	return flags
}

// Listen opens the --web.listen-address listeners itself, rather than leaving it to
// exporter-toolkit, so tests can listen on port 0 and learn the address; with
// --web.systemd-socket it takes the sockets systemd passed instead. Serve them with
// web.ServeMultiple, which adds TLS and authentication from the web config file.
func Listen(flags *web.FlagConfig) ([]net.Listener, error) {
	if flags != nil && flags.WebSystemdSocket != nil && *flags.WebSystemdSocket {
		return systemdListeners()
	}
	if flags == nil || flags.WebListenAddresses == nil || len(*flags.WebListenAddresses) == 0 {
		return nil, errors.New("no --web.listen-address given")
	}
	for _, addr := range *flags.WebListenAddresses {
		if strings.HasPrefix(addr, "vsock://") {
			return nil, fmt.Errorf("--web.listen-address=%s: vsock addresses are not supported; give a TCP host:port", addr)
		}
	}
	var listeners []net.Listener
	for _, addr := range *flags.WebListenAddresses {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, open := range listeners {
				_ = open.Close()
			}
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
		listeners = append(listeners, l)
	}
	return listeners, nil
}

// systemdListeners are the listening sockets systemd passed (LISTEN_FDS, from fd 3), in
// the order of the .socket unit.
func systemdListeners() ([]net.Listener, error) {
	listeners, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("--web.systemd-socket: %w", err)
	}
	if len(listeners) == 0 {
		return nil, errors.New("--web.systemd-socket: systemd passed no sockets (LISTEN_PID and LISTEN_FDS do not name this process): start it through its .socket unit, or leave the flag out to listen on --web.listen-address")
	}
	for i, l := range listeners {
		if l == nil {
			for _, open := range listeners {
				if open != nil {
					_ = open.Close()
				}
			}
			return nil, fmt.Errorf("--web.systemd-socket: socket %d of %d that systemd passed is not a listening stream socket (use ListenStream= in the .socket unit)", i+1, len(listeners))
		}
	}
	return listeners, nil
}

// ForwardSIGHUP turns each SIGHUP into a reload request on reload and waits for its outcome
// (the receiver logs it), until ctx ends.
func ForwardSIGHUP(ctx context.Context, reload chan<- chan error) {
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
				<-done
			case <-ctx.Done():
				return
			}
		}
	}
}

// HandleLifecycle adds POST /-/reload (calling reload; any other method gets a 405 that
// says how), /-/healthy and /-/ready to mux.
func HandleLifecycle(mux *http.ServeMux, reload func() error) {
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, _ *http.Request) {
		if err := reload(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "configuration reloaded")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "reload with POST /-/reload (or send SIGHUP)", http.StatusMethodNotAllowed)
	})
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
}

// Start listens on the --web.listen-address addresses (or systemd's sockets), tells ready
// (when set) the addresses it listens on, and serves server in the background through
// exporter-toolkit (TLS and authentication from the web config file). The channel receives
// the server's error.
func Start(server *http.Server, flags *web.FlagConfig, logger *slog.Logger, ready func(addrs []string)) (<-chan error, error) {
	listeners, err := Listen(flags)
	if err != nil {
		return nil, err
	}
	if ready != nil {
		addrs := make([]string, len(listeners))
		for i, l := range listeners {
			addrs[i] = l.Addr().String()
		}
		ready(addrs)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ServeMultiple(listeners, server, flags, logger) }()
	return serveErr, nil
}
