package ssh_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/rondanet/ronda/collector"
	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sshtest"
	"github.com/rondanet/ronda/internal/testtool"
)

const hostName = "web-1"

// lab is an exporter framework with the SSH collector and one configured host.
type lab struct {
	t       *testing.T
	manager *collector.Manager
	handler http.Handler
	logs    *testtool.LogBuffer
}

func newLab(t *testing.T, target config.SSHTarget) *lab {
	t.Helper()
	logs := &testtool.LogBuffer{}
	coll := sshcollector.New(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		sshcollector.Options{BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	manager := collector.NewManager(collector.Options{}, coll)
	t.Cleanup(func() { _ = manager.Close() })
	l := &lab{t: t, manager: manager, handler: manager.Handler(config.KindSSH), logs: logs}
	l.apply(target)
	return l
}

// apply loads target through the real config loader, as the exporter would.
func (l *lab) apply(target config.SSHTarget) {
	l.t.Helper()
	var b strings.Builder
	b.WriteString("ssh:\n  - name: " + hostName + "\n")
	b.WriteString("    address: " + target.Address + "\n    user: " + target.User + "\n")
	b.WriteString("    private_key_file: " + target.PrivateKeyFile + "\n")
	if target.KnownHostsFile != "" {
		b.WriteString("    known_hosts_file: " + target.KnownHostsFile + "\n")
	}
	if target.TrustOnFirstUse {
		b.WriteString("    trust_on_first_use: true\n")
	}
	b.WriteString("    timeout: 30s\n")
	if len(target.Units) > 0 {
		b.WriteString("    units: [" + strings.Join(target.Units, ", ") + "]\n")
	}
	if len(target.Commands) > 0 {
		b.WriteString("    commands:\n")
		for _, c := range target.Commands {
			b.WriteString("      - name: " + c.Name + "\n        command: " + strconv.Quote(c.Command) + "\n")
			if c.Timeout != 0 {
				b.WriteString("        timeout: " + c.Timeout.String() + "\n")
			}
			if c.Value != "" {
				b.WriteString("        value: " + c.Value + "\n")
			}
		}
	}
	file := filepath.Join(l.t.TempDir(), "ronda.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		l.t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		l.t.Fatalf("config:\n%s\n%v", b.String(), err)
	}
	l.manager.ApplyConfig(cfg)
}

// scrape is GET /ssh?target=… as Prometheus does it; it returns the series by name and
// labels ("name,label=value,…").
func (l *lab) scrape() map[string]float64 {
	l.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/ssh?target="+hostName, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "30")
	rec := httptest.NewRecorder()
	l.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		l.t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		l.t.Fatalf("invalid exposition: %v\n%s", err, rec.Body)
	}
	out := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			key := name
			for _, lp := range m.GetLabel() {
				key += "," + lp.GetName() + "=" + lp.GetValue()
			}
			out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return out
}

func baseTarget(s *sshtest.SSHD) config.SSHTarget {
	return config.SSHTarget{Address: s.Addr, User: s.User, PrivateKeyFile: s.ClientKeyFile, KnownHostsFile: s.KnownHostsFile}
}

func want(t *testing.T, got map[string]float64, key string, value float64) {
	t.Helper()
	v, ok := got[key]
	if !ok {
		t.Errorf("no series %s", key)
	} else if v != value {
		t.Errorf("%s = %v, want %v", key, v, value)
	}
}

func failureReason(got map[string]float64) string {
	for key, v := range got {
		if reason, ok := strings.CutPrefix(key, "ssh_scrape_failure_reason,reason="); ok && v == 1 {
			return reason
		}
	}
	return ""
}

// TestSSHDMetricsFlow scrapes the real sshd three times: every family is there with real
// values from this machine, a stopped service shows, commands give their exit status,
// value and duration, a hanging command is cut at its timeout, and the three scrapes
// share one login.
func TestSSHDMetricsFlow(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	// Real `systemctl show` output (Debian 12, systemd 252) where no systemd runs.
	show, err := os.ReadFile("../../internal/hostparse/testdata/debian12-systemctl-show.txt")
	if err != nil {
		t.Fatal(err)
	}
	s.Script("systemctl", "cat <<'END'\n"+string(show)+"END\n")

	target := baseTarget(s)
	target.Units = []string{"nginx.service", "postgresql@15-main.service", "logrotate.timer"}
	target.Commands = []config.SSHCommand{
		{Name: "queue_delay", Command: `echo "delay: 12.5s"`, Value: config.SSHValueFirstNumber},
		{Name: "check_backup", Command: "echo not ok; exit 3"},
		{Name: "hangs", Command: "sleep 60", Timeout: config.Duration(time.Second)},
		{Name: "textfile", Command: `printf 'app_queue_depth{queue="mail"} 7\n'`, Value: config.SSHValuePrometheus},
	}
	l := newLab(t, target)

	var got map[string]float64
	for i := range 3 {
		got = l.scrape()
		want(t, got, "ssh_up", 1)
		want(t, got, "ssh_connection_reused", map[bool]float64{true: 0, false: 1}[i == 0])
	}
	if n := s.Logins(); n != 1 {
		t.Errorf("sshd accepted %d logins for 3 scrapes, want 1", n)
	}

	for _, key := range []string{"node_cpu_seconds_total,cpu=0,mode=idle", "node_memory_MemTotal_bytes", "node_load1",
		"node_boot_time_seconds", "node_time_seconds", "node_filesystem_size_bytes," + rootLabels(t)} {
		if _, ok := got[key]; !ok {
			t.Errorf("no series %s", key)
		}
	}
	if v := got["node_memory_MemTotal_bytes"]; v < 1<<20 {
		t.Errorf("MemTotal %v", v)
	}
	if v := got["node_time_seconds"]; v < float64(time.Now().Unix()-60) || v > float64(time.Now().Unix()+60) {
		t.Errorf("node_time_seconds %v is not now", v)
	}
	uname := false
	for key := range got {
		if strings.HasPrefix(key, "node_uname_info,") && strings.Contains(key, ",sysname=Linux,") {
			uname = true
		}
	}
	if !uname {
		t.Error("no node_uname_info with sysname Linux")
	}

	want(t, got, "node_systemd_unit_state,name=postgresql@15-main.service,state=inactive,type=simple", 1)
	want(t, got, "node_systemd_unit_state,name=postgresql@15-main.service,state=active,type=simple", 0)
	want(t, got, "node_systemd_unit_state,name=nginx.service,state=active,type=notify", 1)
	want(t, got, "node_systemd_unit_state,name=logrotate.timer,state=active,type=", 1)
	want(t, got, "node_systemd_unit_start_time_seconds,name=postgresql@15-main.service", 0)
	if v := got["node_systemd_unit_start_time_seconds,name=nginx.service"]; v < got["node_boot_time_seconds"]-1 || v > got["node_boot_time_seconds"]+10 {
		t.Errorf("nginx start %v, boot %v", v, got["node_boot_time_seconds"])
	}

	want(t, got, "ssh_command_value,command=queue_delay", 12.5)
	want(t, got, "ssh_command_exit_code,command=queue_delay", 0)
	want(t, got, "ssh_command_exit_code,command=check_backup", 3)
	want(t, got, "app_queue_depth,queue=mail", 7)
	if _, ok := got["ssh_command_value,command=check_backup"]; ok {
		t.Error("an exit_status command exported a value")
	}
	// GNU timeout exits 124 when it stopped the command.
	want(t, got, "ssh_command_exit_code,command=hangs", 124)
	if d := got["ssh_command_duration_seconds,command=hangs"]; d < 0.9 || d > 15 {
		t.Errorf("hanging command ran %vs, want about its 1s timeout", d)
	}
	for key := range got {
		if strings.HasPrefix(key, "ssh_parse_problems") {
			t.Errorf("parse problem on this machine: %s", key)
		}
	}
}

// TestSSHDHostKeyRefused: a host whose key differs from known_hosts, or is not in it, is
// refused with reason hostkey and no session runs; trust_on_first_use records an unknown
// key, and the recorded key then works without it.
func TestSSHDHostKeyRefused(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})

	// The host was "reinstalled": known_hosts holds another key for its address.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewSignerFromKey(other)
	changed := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, otherKey.PublicKey())
	if err := os.WriteFile(changed, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := baseTarget(s)
	target.KnownHostsFile = changed
	got := newLab(t, target).scrape()
	want(t, got, "ssh_up", 0)
	if r := failureReason(got); r != "hostkey" {
		t.Errorf("changed key: reason %q, want hostkey", r)
	}

	// Unknown host without trust on first use.
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	target.KnownHostsFile = empty
	got = newLab(t, target).scrape()
	if r := failureReason(got); r != "hostkey" {
		t.Errorf("unknown host: reason %q, want hostkey", r)
	}
	if s.Logins() != 0 {
		t.Errorf("a refused host key still logged in")
	}

	// Trust on first use records the key into a file that did not exist.
	tofu := filepath.Join(t.TempDir(), "recorded_hosts")
	target.KnownHostsFile, target.TrustOnFirstUse = tofu, true
	want(t, newLab(t, target).scrape(), "ssh_up", 1)
	recorded, err := os.ReadFile(tofu)
	if err != nil || !strings.Contains(string(recorded), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey.PublicKey())))) {
		t.Fatalf("known_hosts after first use: %q %v", recorded, err)
	}
	target.TrustOnFirstUse = false
	want(t, newLab(t, target).scrape(), "ssh_up", 1)

	// A recorded key is never replaced: a changed key is refused even with TOFU on.
	if err := os.WriteFile(tofu, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target.TrustOnFirstUse = true
	got = newLab(t, target).scrape()
	if r := failureReason(got); r != "hostkey" {
		t.Errorf("changed key with TOFU: reason %q, want hostkey", r)
	}
}

// TestSSHDWrongClientKey: a key sshd does not accept gives reason auth.
func TestSSHDWrongClientKey(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	target := baseTarget(s)
	target.PrivateKeyFile = s.WrongClientKey()
	got := newLab(t, target).scrape()
	want(t, got, "ssh_up", 0)
	if r := failureReason(got); r != "auth" {
		t.Errorf("reason %q, want auth", r)
	}
}

// rootLabels are the filesystem labels of / on this machine, from its /proc/mounts.
func rootLabels(t *testing.T) string {
	t.Helper()
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	labels := ""
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "/" {
			labels = "device=" + f[0] + ",fstype=" + f[2] + ",mountpoint=/"
		}
	}
	if labels == "" {
		t.Fatal("no / in /proc/mounts")
	}
	return labels
}
