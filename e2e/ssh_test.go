package e2e

import (
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/internal/sshtest"
	"github.com/rondanet/ronda/internal/testtool"
)

// node_exporter's upstream default filesystem excludes, which ronda applies too (Debian's
// package patches in wider ones).
const (
	nodeMountExcludes = `^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`
	nodeFSExcludes    = `^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$`
)

// TestSSHSideBySideWithNodeExporter reads this machine twice: through the built
// ronda-exporter over the real sshd on localhost, and with the real node_exporter. CPU,
// memory, load, filesystems, uname and time must have the same names and label sets, and
// values within a small tolerance (the two reads are a moment apart); promtool must find
// nothing to say about the exposition.
func TestSSHSideBySideWithNodeExporter(t *testing.T) {
	nodeExporter := testtool.Need(t, "prometheus-node-exporter")
	bin := testtool.Binaries(t)
	s := sshtest.Start(t, sshtest.Options{})

	dir := t.TempDir()
	cfg := "ssh:\n  - name: localhost\n    address: " + s.Addr + "\n    user: " + s.User +
		"\n    private_key_file: " + s.ClientKeyFile + "\n    known_hosts_file: " + s.KnownHostsFile + "\n"
	file := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testtool.Addr(testtool.FreePort(t))
	exporter := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+file, "--web.listen-address="+addr)
	exporter.WaitHTTP(t, "http://"+addr+"/-/ready")

	nodeAddr := testtool.Addr(testtool.FreePort(t))
	node := testtool.Start(t, nodeExporter, "--web.listen-address="+nodeAddr, "--collector.disable-defaults",
		"--collector.cpu", "--collector.meminfo", "--collector.loadavg", "--collector.filesystem",
		"--collector.uname", "--collector.time", "--collector.stat",
		"--collector.filesystem.mount-points-exclude="+nodeMountExcludes,
		"--collector.filesystem.fs-types-exclude="+nodeFSExcludes)
	node.WaitHTTP(t, "http://"+nodeAddr+"/metrics")

	exposition := httpGet(t, "http://"+addr+"/ssh?target=localhost", nil)
	nodeExposition := httpGet(t, "http://"+nodeAddr+"/metrics", nil)
	lintLikeNodeExporter(t, testtool.Need(t, "promtool"), exposition, nodeExposition)
	ours := families(t, exposition)
	theirs := families(t, nodeExposition)
	if v := ours["ssh_up"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Fatalf("ssh_up %v: %s", v, exporter.Output())
	}

	compared := 0
	for name, theirFamily := range theirs {
		if !strings.HasPrefix(name, "node_") || strings.HasPrefix(name, "node_scrape_collector") ||
			name == "node_exporter_build_info" {
			continue
		}
		if skipped(name) {
			continue
		}
		ourFamily, ok := ours[name]
		if !ok {
			t.Errorf("node_exporter has %s, ronda does not", name)
			continue
		}
		if ourFamily.GetType() != theirFamily.GetType() {
			t.Errorf("%s: type %v, node_exporter %v", name, ourFamily.GetType(), theirFamily.GetType())
		}
		ourSeries, theirSeries := series(ourFamily), series(theirFamily)
		if got, want := slices.Sorted(maps.Keys(ourSeries)), slices.Sorted(maps.Keys(theirSeries)); !slices.Equal(got, want) {
			t.Errorf("%s: label sets differ\n ronda: %v\n  node: %v", name, got, want)
			continue
		}
		for labels, want := range theirSeries {
			if got := ourSeries[labels]; !closeEnough(name, got, want) {
				t.Errorf("%s{%s} = %v, node_exporter %v", name, labels, got, want)
			}
			compared++
		}
	}
	for name := range ours {
		if strings.HasPrefix(name, "node_") && theirs[name] == nil && !skipped(name) {
			t.Errorf("ronda has %s, node_exporter does not", name)
		}
	}
	if compared < 20 {
		t.Errorf("only %d series compared", compared)
	}
	t.Logf("%d series compared", compared)
}

// lintLikeNodeExporter runs promtool check metrics on both expositions: ronda's may draw
// only the complaints node_exporter's also draws (its meminfo names, like
// node_memory_MemTotal_bytes, are not snake_case, and keeping them is the point).
func lintLikeNodeExporter(t *testing.T, promtool, ours, theirs string) {
	t.Helper()
	lint := func(exposition string) []string {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(exposition)
		out, _ := cmd.CombinedOutput() // exit status 3 means "lint problems", listed in out
		var problems []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				problems = append(problems, line)
			}
		}
		return problems
	}
	accepted := map[string]bool{}
	for _, p := range lint(theirs) {
		accepted[p] = true
	}
	if !accepted["node_memory_MemTotal_bytes metric names should be written in 'snake_case' not 'camelCase'"] {
		t.Errorf("promtool's lint of node_exporter's output is not what this test expects (did promtool run?): %v", accepted)
	}
	for _, p := range lint(ours) {
		if !accepted[p] {
			t.Errorf("promtool check metrics: %s (node_exporter's output does not draw this)", p)
		}
	}
}

// skipped names families one of the two exporters has by design: node_exporter 1.5's
// filesystem device_error (ronda counts parse problems instead), and the families of its
// stat and time collectors other than boot time and time.
func skipped(name string) bool {
	switch name {
	case "node_filesystem_device_error", "node_time_zone_offset_seconds", "node_time_clocksource_available_info",
		"node_time_clocksource_current_info", "node_cpu_info", "node_cpu_frequency_hertz", "node_cpu_scaling_frequency_hertz",
		"node_context_switches_total", "node_forks_total", "node_intr_total", "node_procs_blocked", "node_procs_running":
		return true
	}
	return strings.HasPrefix(name, "node_timex_") || strings.HasPrefix(name, "node_scrape_")
}

// close allows for the moment between the two reads.
func closeEnough(name string, got, want float64) bool {
	diff := math.Abs(got - want)
	switch {
	case strings.HasPrefix(name, "node_cpu_"):
		return diff <= 5+0.01*want // seconds of CPU time pass between the reads
	case strings.HasPrefix(name, "node_load"):
		return diff <= 1
	case name == "node_time_seconds":
		return diff <= 10
	case name == "node_boot_time_seconds":
		return diff <= 1
	case name == "node_memory_MemTotal_bytes", strings.HasPrefix(name, "node_filesystem_size"),
		name == "node_filesystem_files", name == "node_filesystem_readonly":
		return diff == 0
	case strings.HasPrefix(name, "node_memory_"), strings.HasPrefix(name, "node_filesystem_"):
		// Other processes allocate and write between the reads (the machine is shared by
		// builds); a unit mistake (kB for bytes, 1K blocks) is off by a factor of 1000.
		return diff <= 256<<20 || diff <= 0.05*math.Abs(want)
	}
	return diff == 0
}

func families(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	f, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return f
}

// series maps each series' labels ("a=1,b=2") to its value.
func series(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(labels)
		out[strings.Join(labels, ",")] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
	}
	return out
}
