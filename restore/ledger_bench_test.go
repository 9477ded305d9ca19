package restore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLedger2000Writes records 2,000 restores one by one, as an Apply of 2,000 users
// does, and folds the journal in at the end.
func BenchmarkLedger2000Writes(b *testing.B) {
	for b.Loop() {
		l, err := readLedger(filepath.Join(b.TempDir(), "ledger.json"))
		if err != nil {
			b.Fatal(err)
		}
		for i := range 2000 {
			if err := l.add(Record{Router: "hotspot-pasar", User: fmt.Sprintf("vc%05d", i), At: t0, SessionStart: t0, BootTime: t0,
				OldLimit: Duration(3 * time.Hour), NewLimit: Duration(2 * time.Hour), Lost: Duration(time.Hour), AppliedAt: t0}); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.compact(); err != nil {
			b.Fatal(err)
		}
	}
}
