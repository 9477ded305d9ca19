package service

// Socket activation is systemd's, so Linux's: this test is built there only.

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// --web.systemd-socket: systemd holds the listening socket and passes it as fd 3 with
// LISTEN_FDS=1; the service must serve on it, not on --web.listen-address.
func TestSystemdSocketActivation(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0") // the .socket unit's ListenStream=
	if err != nil {
		t.Fatal(err)
	}
	socket, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // the duplicate in socket keeps it listening
	defer socket.Close()

	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "RONDA_TEST_UNUSED_ADDRESS="+addr)
	cmd.ExtraFiles = []*os.File{socket}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the service exited (%v) instead of serving systemd's socket:\n%s", err, out.String())
		default:
		}
		resp, err := client.Get("http://" + addr + "/-/healthy")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "Healthy" {
			t.Fatalf("/-/healthy on systemd's socket: %d %q", resp.StatusCode, body)
		}
		return
	}
	t.Fatalf("no answer on systemd's socket %s:\n%s", addr, out.String())
}
