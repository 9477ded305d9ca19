package ssh_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/collector"
	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// simHosts starts n simulated hosts accepting one generated client key and returns
// their configuration, as config.Load would give it.
func simHosts(t testing.TB, n int, units []string, commands []config.SSHCommand) ([]*sshhost.Host, *config.Config) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	block, _ := ssh.MarshalPrivateKey(priv, "")
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	var known strings.Builder
	var hosts []*sshhost.Host
	var b strings.Builder
	b.WriteString("ssh:\n")
	for i := range n {
		name := fmt.Sprintf("sim-%03d", i)
		h := sshhost.New(sshhost.Options{Name: name, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
		if err := h.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Close() })
		hosts = append(hosts, h)
		known.WriteString(knownhosts.Line([]string{knownhosts.Normalize(h.Addr())}, h.HostKey()) + "\n")
		fmt.Fprintf(&b, "  - name: %s\n    address: %s\n    user: ronda\n    private_key_file: %s\n    known_hosts_file: known_hosts\n", name, h.Addr(), keyFile)
		if len(units) > 0 {
			fmt.Fprintf(&b, "    units: [%s]\n", strings.Join(units, ", "))
		}
		if len(commands) > 0 {
			b.WriteString("    commands:\n")
			for _, c := range commands {
				fmt.Fprintf(&b, "      - {name: %s, command: %q, value: %s}\n", c.Name, c.Command, c.Value)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return hosts, cfg
}

// scrapeDirect runs one scrape on the collector and returns the series by name and labels
// ("name,label=value,…"), gathered through a pedantic registry (which refuses duplicate
// or inconsistent series).
func scrapeDirect(t testing.TB, c collector.Collector, target string) (map[string]float64, error) {
	t.Helper()
	var metrics []prometheus.Metric
	ch := make(chan prometheus.Metric)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- c.Scrape(ctx, target, nil, ch)
		close(ch)
	}()
	for m := range ch {
		metrics = append(metrics, m)
	}
	if err := <-done; err != nil {
		return nil, err
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(replay(metrics))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("inconsistent metrics: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, lp := range m.GetLabel() {
				key += "," + lp.GetName() + "=" + lp.GetValue()
			}
			out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return out, nil
}

// replay is an unchecked collector sending recorded metrics.
type replay []prometheus.Metric

func (replay) Describe(chan<- *prometheus.Desc) {}

func (r replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r {
		ch <- m
	}
}

// TestSimulatedHost: the simulator answers the collector's script as a Debian host would:
// every family, no parse problem, a stopped unit seen, a command's value, one login.
func TestSimulatedHost(t *testing.T) {
	hosts, cfg := simHosts(t, 1, []string{"nginx.service", "backup.timer"},
		[]config.SSHCommand{{Name: "queue_delay", Command: "postqueue -p | tail -n1", Value: config.SSHValueFirstNumber}})
	c := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
	defer c.Close()
	c.Reload(cfg)
	hosts[0].SetUnitStopped("nginx.service", true)
	for range 3 {
		got, err := scrapeDirect(t, c, "sim-000")
		if err != nil {
			t.Fatal(err)
		}
		for key, v := range got {
			if strings.HasPrefix(key, "ssh_parse_problems") {
				t.Errorf("%s = %v", key, v)
			}
		}
		want(t, got, "node_systemd_unit_state,name=nginx.service,state=inactive,type=notify", 1)
		want(t, got, "node_systemd_unit_state,name=backup.timer,state=active,type=", 1)
		want(t, got, "node_systemd_unit_start_time_seconds,name=nginx.service", 0) // stopped; systemd still has the time
		if v := got["node_systemd_unit_start_time_seconds,name=backup.timer"]; v < got["node_boot_time_seconds"] {
			t.Errorf("backup.timer start %v, boot %v", v, got["node_boot_time_seconds"])
		}
		want(t, got, "node_filesystem_readonly,device=/dev/vdb1,fstype=ext4,mountpoint=/srv/backup", 1)
		want(t, got, "node_memory_MemTotal_bytes", 4022392*1024)
		if v, ok := got["ssh_command_value,command=queue_delay"]; !ok || v < 1 || v > 9 {
			t.Errorf("command value %v %v", v, ok)
		}
		if _, ok := got["node_filesystem_size_bytes,device=udev,fstype=devtmpfs,mountpoint=/dev"]; ok {
			t.Error("/dev is excluded by default")
		}
	}
	if n := hosts[0].Logins(); n != 1 {
		t.Errorf("%d logins for 3 scrapes", n)
	}
}
