package service

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/exporter-toolkit/web"
)

// helperEnv makes the test binary, started by TestSystemdSocketActivation, act as a service
// that systemd started with one socket (fd 3) instead of running the tests.
const helperEnv = "RONDA_TEST_SYSTEMD_SOCKET_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(systemdSocketHelper())
	}
	os.Exit(m.Run())
}

// systemdSocketHelper sets what systemd sets (LISTEN_PID is the service's own pid), then
// serves /-/healthy through Start with --web.systemd-socket and a listen address it must
// not use.
func systemdSocketHelper() int {
	os.Setenv("LISTEN_PID", fmt.Sprint(os.Getpid()))
	os.Setenv("LISTEN_FDS", "1")
	systemd, addrs, webConfig := true, []string{os.Getenv("RONDA_TEST_UNUSED_ADDRESS")}, ""
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webConfig}
	mux := http.NewServeMux()
	HandleLifecycle(mux, func() error { return nil })
	serveErr, err := Start(&http.Server{Handler: mux}, flags, slog.New(slog.DiscardHandler), func(a []string) {
		fmt.Println("serving on", strings.Join(a, " "))
	})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	select {
	case err := <-serveErr:
		fmt.Println(err)
		return 1
	case <-time.After(30 * time.Second):
		return 0
	}
}

// --web.systemd-socket without systemd's sockets (started by hand, or LISTEN_PID naming
// another process) says so, rather than listening elsewhere.
func TestSystemdSocketWithoutSocketsIsAnError(t *testing.T) {
	for _, pid := range []string{"", "1"} {
		t.Setenv("LISTEN_PID", pid)
		t.Setenv("LISTEN_FDS", "1")
		systemd, addrs := true, []string{"127.0.0.1:0"}
		listeners, err := Listen(&web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd})
		if err == nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			t.Fatalf("LISTEN_PID=%q: Listen succeeded (%d listeners), want an error", pid, len(listeners))
		}
		if !strings.Contains(err.Error(), "--web.systemd-socket: systemd passed no sockets") {
			t.Errorf("LISTEN_PID=%q: %v", pid, err)
		}
	}
}

// vsock:// addresses are refused by name (exporter-toolkit opens them only in its own
// ListenAndServe), and no other address stays open.
func TestVsockListenAddressIsRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := l.Addr().String()
	_ = l.Close()
	addrs := []string{free, "vsock://:9100"}
	_, err = Listen(&web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: new(bool)})
	if err == nil || !strings.Contains(err.Error(), "--web.listen-address=vsock://:9100: vsock addresses are not supported") {
		t.Fatalf("got %v, want vsock refused", err)
	}
	if l, err := net.Listen("tcp", free); err != nil {
		t.Errorf("%s was left open: %v", free, err)
	} else {
		_ = l.Close()
	}
}

// --help offers only listen addresses Listen opens, and the systemd flag where it exists.
func TestAddFlagsHelp(t *testing.T) {
	app := kingpin.New("svc", "")
	var help bytes.Buffer
	app.UsageWriter(&help).Terminate(nil)
	AddFlags(app, ":9850")
	if _, err := app.Parse([]string{"--help"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(help.String(), "vsock") {
		t.Errorf("--help offers vsock addresses:\n%s", help.String())
	}
	if (runtime.GOOS == "linux") != strings.Contains(help.String(), "--[no-]web.systemd-socket") {
		t.Errorf("--web.systemd-socket in the help on %s:\n%s", runtime.GOOS, help.String())
	}
	if !strings.Contains(help.String(), "--web.listen-address=:9850") {
		t.Errorf("--web.listen-address lost its default:\n%s", help.String())
	}
}
