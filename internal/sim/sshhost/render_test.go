package sshhost

import (
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/hostparse"
)

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
