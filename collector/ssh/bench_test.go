package ssh_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/collector"
	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// TestMain doubles as the benchmark's simulator process (see startSimProcess).
func TestMain(m *testing.M) {
	if n := os.Getenv("RONDA_SSH_SIM_HOSTS"); n != "" {
		runSimProcess(n, os.Getenv("RONDA_SSH_SIM_KEY"))
		return
	}
	os.Exit(m.Run())
}

// runSimProcess serves n simulated hosts accepting key, prints "name address
// known_hosts-line" for each, and runs until its stdin closes.
func runSimProcess(count, key string) {
	n, _ := strconv.Atoi(count)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := range n {
		name := fmt.Sprintf("sim-%03d", i)
		h := sshhost.New(sshhost.Options{Name: name, AuthorizedKeys: []ssh.PublicKey{pub}})
		if err := h.Listen("127.0.0.1:0"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("%s %s %s\n", name, h.Addr(), knownhosts.Line([]string{knownhosts.Normalize(h.Addr())}, h.HostKey()))
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// simProcess is the simulator running in a child process, so that getrusage of the
// benchmark measures the exporter's side alone.
type simProcess struct {
	cmd *exec.Cmd
	cfg *config.Config
}

func startSimProcess(b *testing.B, n int) *simProcess {
	b.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	dir := b.TempDir()
	block, _ := ssh.MarshalPrivateKey(priv, "")
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RONDA_SSH_SIM_HOSTS="+strconv.Itoa(n),
		"RONDA_SSH_SIM_KEY="+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	var known, yml strings.Builder
	yml.WriteString("ssh:\n")
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() && scanner.Text() != "ready" {
		name, rest, _ := strings.Cut(scanner.Text(), " ")
		addr, line, _ := strings.Cut(rest, " ")
		known.WriteString(line + "\n")
		fmt.Fprintf(&yml, "  - name: %s\n    address: %s\n    user: ronda\n    private_key_file: %s\n    known_hosts_file: known_hosts\n", name, addr, keyFile)
		yml.WriteString("    units: [nginx.service, postgresql.service]\n")
		yml.WriteString("    commands:\n      - {name: queue, command: \"postqueue -p | tail -n1\", value: first_number}\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte(yml.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		b.Fatal(err)
	}
	if len(cfg.SSH) != n {
		b.Fatalf("%d hosts started, want %d", len(cfg.SSH), n)
	}
	return &simProcess{cmd: cmd, cfg: cfg}
}

// cpu is the simulator process's CPU time so far, from /proc/PID/stat.
func (p *simProcess) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64) // fields 14 and 15 of stat(5)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100
}

// BenchmarkHundredHosts scrapes 100 simulated hosts, 8 at a time, two ways in the same
// run: on the connections the collector keeps (persistent), and with a fresh collector per
// round, so that every scrape dials and logs in (what SSH exporters without connection
// reuse do). The hosts are simulated in a child process; the benchmark reports the
// exporter's CPU time per host scrape (user+system, getrusage) and, separately, the
// simulated hosts' CPU time, which a real server would spend in sshd.
func BenchmarkHundredHosts(b *testing.B) {
	const n = 100
	sim := startSimProcess(b, n)
	names := make([]string, n)
	for i, t := range sim.cfg.SSH {
		names[i] = t.Name
	}
	for _, mode := range []string{"persistent", "dial-per-scrape"} {
		b.Run(mode, func(b *testing.B) {
			c := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
			c.Reload(sim.cfg)
			scrapeAll(b, c, names) // connections up before measuring
			cpu0, simCPU0 := cpuTime(), sim.cpu()
			for b.Loop() {
				if mode == "dial-per-scrape" {
					_ = c.Close()
					c = sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
					c.Reload(sim.cfg)
				}
				scrapeAll(b, c, names)
			}
			cpu, simCPU := cpuTime()-cpu0, sim.cpu()-simCPU0
			_ = c.Close()
			scrapes := float64(b.N * n)
			b.ReportMetric(float64(cpu.Microseconds())/scrapes, "cpu-µs/scrape")
			b.ReportMetric(float64(simCPU.Microseconds())/scrapes, "host-cpu-µs/scrape")
		})
	}
}

var benchBatches = sync.Pool{New: func() any { return new(collector.Batch) }}

func scrapeAll(b *testing.B, c *sshcollector.Collector, names []string) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// What the framework's handler calls for every scrape (the series thrown away),
			// into a batch reused as the handler's pool reuses them.
			batch := benchBatches.Get().(*collector.Batch)
			batch.Reset()
			if err := c.ScrapeBatch(ctx, name, nil, batch); err != nil {
				b.Error(fmt.Errorf("%s: %w", name, err))
			}
			benchBatches.Put(batch)
		}()
	}
	wg.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
