package ssh

import (
	"log/slog"
	"strings"
	"testing"

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
	})
}
