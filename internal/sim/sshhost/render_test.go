package sshhost

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/hostparse"
)

// rootUsage is the root filesystem's usage as the rules compute it (1 - avail / size).
func rootUsage(t *testing.T, h *Host) float64 {
	t.Helper()
	sections, _ := hostparse.Split(h.render(script{marker: "@@m"}), "@@m")
	for _, s := range sections {
		if s.Name != "df" {
			continue
		}
		entries, _, problems := hostparse.ParseDF(s.Body)
		if len(problems) > 0 {
			t.Fatalf("df: %v", problems)
		}
		for _, e := range entries {
			if e.MountPoint == "/" {
				return 1 - e.Avail/e.Total
			}
		}
	}
	t.Fatal("no / in df")
	return 0
}

// defaultDiskWarning is the shipped default of rules/thresholds.yml's disk warning.
func defaultDiskWarning(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("../../../rules/thresholds.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Record, Expr string
				Labels       map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Record == "threshold:node_filesystem_usage_warning:ratio" && len(r.Labels) == 0 {
				v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(r.Expr, "vector("), ")"), 64)
				if err != nil {
					t.Fatalf("default disk warning %q: %v", r.Expr, err)
				}
				return v
			}
		}
	}
	t.Fatal("no default disk warning in rules/thresholds.yml")
	return 0
}

// TestRootFilesystemBelowTheDiskWarningForADemo: the demo's hosts start with their root
// filesystem well below the shipped disk warning, and it grows slowly enough that no
// HostDiskFull fires during a demo, even one left running for days (it once started at
// 88%, and every `make demo` had both hosts warn within minutes, an alert its timeline
// does not list). It still grows, as a real server's does.
func TestRootFilesystemBelowTheDiskWarningForADemo(t *testing.T) {
	warning := defaultDiskWarning(t)
	start := time.Now()
	now := start
	h := New(Options{Now: func() time.Time { return now }})
	first := rootUsage(t, h)
	for _, after := range []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		now = start.Add(after)
		if u := rootUsage(t, h); u >= warning-0.1 {
			t.Errorf("after %s: / is %.1f%% used, within 10 points of the %.0f%% warning", after, 100*u, 100*warning)
		}
	}
	now = start.Add(24 * time.Hour)
	if u := rootUsage(t, h); u <= first {
		t.Errorf("/ does not grow: %.2f%% at the start, %.2f%% a day later", 100*first, 100*u)
	}
}

// TestRootFilesystemStaysWithinTheDisk: the root filesystem fills as the simulator runs,
// but its used space stays within the disk however long that is (it once went past the
// disk after 7 hours, and the available bytes wrapped around to 1.8e19).
func TestRootFilesystemStaysWithinTheDisk(t *testing.T) {
	start := time.Now()
	now := start
	h := New(Options{Now: func() time.Time { return now }})
	for _, after := range []time.Duration{0, time.Hour, 8 * time.Hour, 50 * time.Hour, 365 * 24 * time.Hour} {
		now = start.Add(after)
		sections, _ := hostparse.Split(h.render(script{marker: "@@m"}), "@@m")
		var root *hostparse.DFEntry
		for _, s := range sections {
			if s.Name != "df" {
				continue
			}
			entries, _, problems := hostparse.ParseDF(s.Body)
			if len(problems) > 0 {
				t.Fatalf("after %s: df: %v", after, problems)
			}
			for i := range entries {
				if entries[i].MountPoint == "/" {
					root = &entries[i]
				}
			}
		}
		if root == nil {
			t.Fatalf("after %s: no / in df", after)
		}
		if root.Used <= 0 || root.Avail <= 0 || root.Used+root.Avail > root.Total || 1-root.Avail/root.Total > 0.9 {
			t.Errorf("after %s: / is %.0f bytes, %.0f used, %.0f available", after, root.Total, root.Used, root.Avail)
		}
	}
}
