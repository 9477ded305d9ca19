package ssh

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/hostparse"
)

func TestCPUCountersNeverGoBack(t *testing.T) {
	var s cpuState
	first := s.monotonic(100, []hostparse.CPU{{ID: "0", Seconds: [8]float64{10, 0, 5, 100, 3}}})
	second := s.monotonic(100, []hostparse.CPU{{ID: "0", Seconds: [8]float64{11, 0, 6, 101, 2.5}}}) // iowait stepped back
	if first[0].Seconds[4] != 3 || second[0].Seconds[4] != 3 || second[0].Seconds[0] != 11 {
		t.Errorf("first %v second %v", first[0].Seconds, second[0].Seconds)
	}
	rebooted := s.monotonic(200, []hostparse.CPU{{ID: "0", Seconds: [8]float64{1, 0, 1, 2, 0.5}}})
	if rebooted[0].Seconds[4] != 0.5 || rebooted[0].Seconds[0] != 1 {
		t.Errorf("after a reboot the counters start afresh: %v", rebooted[0].Seconds)
	}
}

// TestCPUClampSurvivesClockSteps: btime moves by a second when NTP steps the clock; that
// is the same boot, so a counter held back stays held back, while a reboot starts afresh.
func TestCPUClampSurvivesClockSteps(t *testing.T) {
	var s cpuState
	s.monotonic(1700000000, []hostparse.CPU{{ID: "0", Seconds: [8]float64{10, 0, 5, 100, 3}}})
	s.monotonic(1700000000, []hostparse.CPU{{ID: "0", Seconds: [8]float64{11, 0, 6, 101, 2.5}}}) // iowait stepped back: 3 kept
	for i, btime := range []int64{1700000001, 1699999999, 1700000000} {
		got := s.monotonic(btime, []hostparse.CPU{{ID: "0", Seconds: [8]float64{12 + float64(i), 0, 7, 102, 2.6}}})
		if got[0].Seconds[4] != 3 {
			t.Errorf("btime %d: iowait went from 3 to %v", btime, got[0].Seconds[4])
		}
	}
	rebooted := s.monotonic(1700000000+3600, []hostparse.CPU{{ID: "0", Seconds: [8]float64{1, 0, 1, 2, 0.5}}})
	if rebooted[0].Seconds[4] != 0.5 || rebooted[0].Seconds[0] != 1 {
		t.Errorf("after a reboot the counters start afresh: %v", rebooted[0].Seconds)
	}
}

// TestUnitStartTimeOnlyWhileActive: systemd keeps ActiveEnterTimestamp after a unit
// stops or fails (EL8's systemd 239 here, postfix failed); node_exporter exports 0 as the
// start time of a unit that is not active.
func TestUnitStartTimeOnlyWhileActive(t *testing.T) {
	show, err := os.ReadFile("../../internal/hostparse/testdata/el8-systemctl-show.txt")
	if err != nil {
		t.Fatal(err)
	}
	units, _ := hostparse.ParseSystemctlShow(string(show))
	o := &output{clock: 1700000000, uptime: 1000, hasUptime: true, units: units}
	var b collector.Batch
	o.emitUnits(&b, &labelArena{})
	var text strings.Builder
	if err := b.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`node_systemd_unit_start_time_seconds{name="postfix.service"} 0` + "\n",
		`node_systemd_unit_start_time_seconds{name="sshd.service"} 1.699999007645231e+09` + "\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
}

// TestAUnitAndItsAliasAreExportedOnce: systemctl show names a unit by its Id, so a unit
// listed with one of its aliases (ssh.service and sshd.service on Debian, mariadb.service
// and mysql.service) comes back twice with the same Id; its series are exported once, as
// Prometheus refuses a series repeated in one scrape.
func TestAUnitAndItsAliasAreExportedOnce(t *testing.T) {
	const block = "Type=notify\nNRestarts=2\nId=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nActiveEnterTimestampMonotonic=5512003\n"
	units, problems := hostparse.ParseSystemctlShow(block + "\n" + block)
	if len(units) != 2 || len(problems) != 0 {
		t.Fatalf("%d units, problems %v", len(units), problems)
	}
	o := &output{clock: 1700000000, uptime: 1000, hasUptime: true, units: units}
	var b collector.Batch
	o.emitUnits(&b, &labelArena{})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(replayed(b.Metrics()))
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if n := b.Len(); n != len(unitStates)+2 { // the states, the start time, the restarts
		t.Errorf("%d series, want %d", n, len(unitStates)+2)
	}
}

func TestExposition(t *testing.T) {
	out, problems := parseExposition([]byte(`# HELP app_queue Messages waiting.
# TYPE app_queue gauge
app_queue{queue="mail"} 7
app_queue{queue="sms"} 2
node_load1 99
# TYPE app_latency histogram
app_latency_bucket{le="1"} 1
app_latency_bucket{le="+Inf"} 1
app_latency_sum 0.5
app_latency_count 1
`))
	if len(out) != 2 || out[0].labels["queue"] != "mail" || out[1].value != 2 || out[0].help != "Messages waiting." {
		t.Errorf("series %+v", out)
	}
	if len(problems) != 2 {
		t.Errorf("problems %v, want node_load1 refused and the histogram left out", problems)
	}
	if _, problems := parseExposition([]byte("not { valid")); len(problems) != 1 || problems[0].Reason != hostparse.Malformed {
		t.Errorf("garbage: %v", problems)
	}
}

// TestExposedHelpIsValidUTF8: a command's HELP text that is not UTF-8 (a Latin-1 word)
// passes the text parser, but Prometheus would refuse the whole answer for it, ssh_up
// included: it is repaired like label values are.
func TestExposedHelpIsValidUTF8(t *testing.T) {
	out, problems := parseExposition([]byte("# HELP app_queue Messages en caf\xe9.\napp_queue{queue=\"mail\"} 3\n"))
	if len(out) != 1 || len(problems) != 0 {
		t.Fatalf("series %+v, problems %v", out, problems)
	}
	var b collector.Batch
	emitExposed(&b, []commandResult{{metrics: out}})
	var text strings.Builder
	if err := b.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(text.String()) || !strings.Contains(text.String(), "# HELP app_queue Messages en caf\uFFFD.\n") {
		t.Errorf("exposition:\n%q", text.String())
	}
}

// TestScriptRoundTrip: the script quotes units and commands so the shell gets them as
// written, and its markers are the ones the parser looks for.
func TestScriptRoundTrip(t *testing.T) {
	target := &config.SSHTarget{
		Units:    []string{"getty@tty1.service"},
		Commands: []config.SSHCommand{{Name: "q", Command: `echo 'it''s' "$HOME" | tr a b`, Timeout: config.Duration(2e9)}},
	}
	s := buildScript(target, 3)
	cmd := s.command("@@ronda-00ff")
	if !strings.HasPrefix(cmd, "/bin/sh -c 'M=@@ronda-00ff\n") || !strings.HasSuffix(cmd, "'") {
		t.Fatalf("command %q", cmd)
	}
	body := strings.ReplaceAll(cmd[len("/bin/sh -c '"):len(cmd)-1], `'\''`, `'`)
	for _, want := range []string{
		`systemctl show --property=` + unitProperties + ` -- 'getty@tty1.service'`,
		`rt 2 /bin/sh -c 'echo '\''it'\'''\''s'\'' "$HOME" | tr a b'`,
		`rt 3 df -PT -B1`,
		`echo "$M done"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("script lacks %q:\n%s", want, body)
		}
	}
}

// TestDFFallbackOnlyAfterAFastFailure runs the script with stand-ins for df: the POSIX
// listing is asked for when df refuses -B1 or -T (BusyBox), but not when df was stopped at
// its time limit (a dead NFS server), which would hang the second df as long again, for
// bytes and for inodes.
func TestDFFallbackOnlyAfterAFastFailure(t *testing.T) {
	for _, tt := range []struct {
		name, df string
		calls    []string
	}{
		{"hangs", "exec sleep 30\n", []string{"-PT -B1"}},
		{"busybox that hangs", "case $1 in -PT*) echo \"df: unrecognized option '$1'\" >&2; exit 1;; esac\nexec sleep 30\n", []string{"-PT -B1", "-P"}},
		{"busybox", "case $1 in -PT*) echo \"df: unrecognized option '$1'\" >&2; exit 1;; esac\n" +
			"echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n", []string{"-PT -B1", "-P", "-PTi", "-Pi"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin := t.TempDir()
			calls := filepath.Join(bin, "calls")
			df := "#!/bin/sh\necho \"$*\" >>" + calls + "\n" + tt.df
			if err := os.WriteFile(filepath.Join(bin, "df"), []byte(df), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/bin/sh", "-c", buildScript(&config.SSHTarget{}, 1).command("@@ronda-00"))
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
			out, err := cmd.Output()
			if err != nil || !strings.HasSuffix(string(out), "@@ronda-00 done\n") {
				t.Fatalf("%v: output %q", err, out)
			}
			got, _ := os.ReadFile(calls)
			if want := strings.Join(tt.calls, "\n") + "\n"; string(got) != want {
				t.Errorf("df ran as\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func FuzzParseOutput(f *testing.F) {
	f.Add([]byte("@@m stat\ncpu0 1 2 3 4\nbtime 5\n@@m cmd 0\n12\n@@m end 0 0 1 2\n@@m cmd 1\na 1\n@@m end 1 3 1 2\n@@m done\n"))
	f.Add([]byte("@@m meminfo\nMemTotal: 5 kB\n@@m mounts\n/dev/sda / ext4 rw 0 0\n@@m df\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda 1 1 0 100% /\n"))
	target := &config.SSHTarget{Units: []string{"a.service"}, Commands: []config.SSHCommand{
		{Name: "n", Value: config.SSHValueFirstNumber}, {Name: "p", Value: config.SSHValuePrometheus}}}
	f.Fuzz(func(t *testing.T, b []byte) {
		o := parseOutput(b, "@@m", target)
		// Emitting builds families from what the host printed: it must never panic.
		var batch collector.Batch
		o.emit(&batch, &host{cpu: &cpuState{}}, slog.New(slog.DiscardHandler))
		for _, r := range o.commands {
			if len(r.metrics) > maxExposedSeries {
				t.Fatalf("%d series", len(r.metrics))
			}
		}
		// Nor answer what Prometheus would refuse: the scrape's text is written without
		// the registry's checks, so whatever the host printed must pass them (no duplicate
		// or inconsistent series, label values valid UTF-8).
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(replayed(batch.Metrics()))
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("series Prometheus would refuse: %v", err)
		}
	})
}

// replayed is an unchecked collector sending recorded metrics, for the registry's checks.
type replayed []prometheus.Metric

func (replayed) Describe(chan<- *prometheus.Desc) {}

func (r replayed) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r {
		ch <- m
	}
}
