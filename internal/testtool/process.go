package testtool

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Process is a program started by a test; its output is kept for the failure message.
type Process struct {
	Name string
	cmd  *exec.Cmd
	out  *LogBuffer
	done chan struct{}
	err  error
}

// Start runs a program until the test ends (SIGTERM, then SIGKILL after 5s).
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	return StartIn(t, "", nil, name, args...)
}

// StartIn is Start in folder dir with extra environment variables (KEY=value).
func StartIn(t testing.TB, dir string, env []string, name string, args ...string) *Process {
	t.Helper()
	return start(t, dir, env, nil, name, args...)
}

// StartAs is Start as another user (cred nil: this process's user), for tests of what an
// unprivileged process may do.
func StartAs(t testing.TB, cred *syscall.Credential, name string, args ...string) *Process {
	t.Helper()
	return start(t, "", nil, cred, name, args...)
}

func start(t testing.TB, dir string, env []string, cred *syscall.Credential, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: filepath.Base(name), out: &LogBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.Output())
		}
	})
	return p
}

// Stop ends the process: SIGTERM, then SIGKILL if it is still running after 5s.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Pid is the process id; the process leads its own process group.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Process) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// WaitHTTP polls url until it answers 200, the process exits, or 30s pass.
func (p *Process) WaitHTTP(t testing.TB, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before %s answered:\n%s", p.Name, p.err, url, p.Output())
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 on %s within 30s:\n%s", p.Name, url, p.Output())
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is 127.0.0.1:port.
func Addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// Eventually retries check every interval until it returns nil or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 10*time.Second)
		last = check(attempt)
		cancelAttempt()
		if last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not true within %v: %v", what, timeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
