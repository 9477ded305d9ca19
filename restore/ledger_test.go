package restore

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func record(user string, start time.Time) Record {
	return Record{Router: testRouter, User: user, BootTime: newBoot, At: at, SessionStart: start,
		OldLimit: Duration(2 * h), NewLimit: Duration(110 * m), Lost: Duration(10 * m), AppliedAt: after}
}

func TestJournalOfARunCutShortIsHonoured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	l, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.add(record("alice", at.Add(-10*m))); err != nil {
		t.Fatal(err)
	}
	if err := l.add(record("erin", at.Add(-7*m))); err != nil {
		t.Fatal(err)
	}
	// The process dies here: no compaction. The ledger file does not even exist yet.
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("ledger file: %v", err)
	}
	// And the machine lost power in the middle of a third append.
	f, err := os.OpenFile(journalPath(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"router":"hotspot-pasar","user":"fra`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	again, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	p := Point{Router: testRouter, At: at, BootTime: newBoot}
	for _, u := range []string{"alice", "erin"} {
		if _, ok := again.find(p, Entry{User: u}); !ok {
			t.Errorf("%s's restore is forgotten", u)
		}
	}
	if _, ok := again.find(p, Entry{User: "frank"}); ok {
		t.Error("a torn record counts as a restore")
	}
	if err := again.compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(journalPath(path)); !os.IsNotExist(err) {
		t.Errorf("journal left after compaction: %v", err)
	}
	folded, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(folded.records) != 2 {
		t.Errorf("records after compaction: %+v", folded.records)
	}
}

func TestCompactionCutShortDoesNotDuplicate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	l, _ := readLedger(path)
	if err := l.add(record("alice", at.Add(-10*m))); err != nil {
		t.Fatal(err)
	}
	journal, err := os.ReadFile(journalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.compact(); err != nil {
		t.Fatal(err)
	}
	// The ledger was rewritten but the process died before removing the journal.
	if err := os.WriteFile(journalPath(path), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.records) != 1 {
		t.Errorf("records %+v, want alice once", again.records)
	}
}

func TestDamagedJournalIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	bad := "{\"router\":\"x\"\n" + `{"router":"hotspot-pasar","user":"alice"}` + "\n"
	if err := os.WriteFile(journalPath(path), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readLedger(path)
	if err == nil || !strings.Contains(err.Error(), "damaged at line 1") {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version":0,"records":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(journalPath(path))
	if _, err := readLedger(path); err == nil || !strings.Contains(err.Error(), "version 0") {
		t.Fatalf("got %v", err)
	}
}

// TestALedgerOfANewerVersionIsRefusedAsSuch: a ledger a newer ronda-restore wrote (a
// higher version, perhaps with fields or journal lines this one does not know) is refused
// with that reason and the remedy, never as damaged: nothing is wrong with it.
func TestALedgerOfANewerVersionIsRefusedAsSuch(t *testing.T) {
	for _, tt := range []struct {
		name, ledger, journal string
	}{
		{"a higher version", `{"version":3,"records":[]}`, ""},
		{"with a field this one does not know", `{"version":3,"records":[{"router":"hotspot-pasar","user":"alice","quota":"1h"}],"site":"pasar"}`, ""},
		{"and a journal line of its own", `{"version":3,"records":[]}`, `{"router":"hotspot-pasar","user":"alice","quota":"1h"}` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.json")
			if err := os.WriteFile(path, []byte(tt.ledger), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.journal != "" {
				if err := os.WriteFile(journalPath(path), []byte(tt.journal), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := readLedger(path)
			if err == nil || FailureOf(err) != Refused || !strings.Contains(err.Error(), "written by a newer ronda-restore (ledger version 3") ||
				!strings.Contains(err.Error(), "upgrade ronda-restore") || strings.Contains(err.Error(), "damaged") {
				t.Errorf("got %v", err)
			}
		})
	}
}

// TestOnlyAnUnconfirmedRecordRaisesTheLedgerVersion: a ledger holding an unconfirmed write
// is version 2, on disk before the journal holds that record, so that a ronda-restore from
// before unconfirmed writes (it reads version 1 only) refuses it for its version instead of
// calling it damaged or, the journal's last line, dropping it as torn. Without one it stays
// version 1, which such a ronda-restore still reads, and goes back to 1 once none is left.
func TestOnlyAnUnconfirmedRecordRaisesTheLedgerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	onDisk := func(when string, want int) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		var f struct{ Version int }
		if err := json.Unmarshal(data, &f); err != nil || f.Version != want {
			t.Errorf("%s: the ledger file is version %d (%v), want %d:\n%s", when, f.Version, err, want, data)
		}
		if want == 1 && strings.Contains(string(data), "unconfirmed") {
			t.Errorf("%s: a version 1 ledger holds an unconfirmed record:\n%s", when, data)
		}
	}
	l, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.add(record("erin", at.Add(-7*m))); err != nil {
		t.Fatal(err)
	}
	if err := l.compact(); err != nil {
		t.Fatal(err)
	}
	onDisk("plain records only", 1)

	sent := record("alice", at.Add(-10*m))
	sent.Unconfirmed = true
	if err := l.add(sent); err != nil {
		t.Fatal(err)
	}
	onDisk("an unconfirmed record journaled, before compaction", 2)
	again, err := readLedger(path) // this ronda-restore reads it, journal and all
	if err != nil {
		t.Fatal(err)
	}
	if !again.has(sent) {
		t.Error("the unconfirmed record is not read back")
	}
	if err := l.compact(); err != nil {
		t.Fatal(err)
	}
	onDisk("an unconfirmed record compacted", 2)

	// Read back as taken: the plain record replaces it.
	l, err = readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	taken := sent
	taken.Unconfirmed = false
	if err := l.add(taken); err != nil {
		t.Fatal(err)
	}
	l.forget(sent)
	onDisk("resolved, before compaction (the journal still holds it)", 2)
	if err := l.compact(); err != nil {
		t.Fatal(err)
	}
	onDisk("resolved and compacted", 1)
	if _, err := os.Stat(journalPath(path)); !os.IsNotExist(err) {
		t.Errorf("journal left after compaction: %v", err)
	}
	folded, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(folded.records) != 2 || !folded.has(taken) {
		t.Errorf("records %+v, want erin's and alice's", folded.records)
	}
}

// TestATornOnlyJournalLineIsCompactedAway: a journal whose only line was torn (the
// machine lost power during the append) is rewritten away by the next run before it
// appends, or its first record would join the fragment in a line no run can read.
func TestATornOnlyJournalLineIsCompactedAway(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(journalPath(path), []byte(`{"router":"hotspot-pasar","user":"fra`), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.compact(); err != nil { // as Apply does first
		t.Fatal(err)
	}
	if err := l.add(record("alice", at.Add(-10*m))); err != nil {
		t.Fatal(err)
	}
	_ = l.journal.Close() // and this run is cut short too, before its last compaction
	again, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.find(Point{Router: testRouter, At: at, BootTime: newBoot}, Entry{User: "alice"}); !ok {
		t.Error("alice's restore is forgotten")
	}
}

// TestAnUnconfirmedWriteCountsUnlessTheLimitIsStillTheOld: a write whose reply was lost
// counts as restored unless the user's limit is still the one it replaced; a plain record
// of the same session wins; a record forgotten (found not taken) is gone once compacted,
// and a run cut short before that reads it back as unconfirmed.
func TestAnUnconfirmedWriteCountsUnlessTheLimitIsStillTheOld(t *testing.T) {
	p := Point{Router: testRouter, At: at, BootTime: newBoot}
	sent := record("alice", at.Add(-10*m))
	sent.Unconfirmed = true
	for _, tt := range []struct {
		name     string
		limitNow time.Duration
		also     bool // a plain record of the same write too
		found    bool
		detail   string
	}{
		{"limit still the old", 2 * h, false, false, ""},
		{"limit as written", 110 * m, false, true, "the reply to the write was lost, the limit now is the one it wrote"},
		{"limit changed since", 3 * h, false, true, "whether the router took it cannot be told"},
		{"confirmed too", 2 * h, true, true, "restored on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := readLedger(filepath.Join(t.TempDir(), "ledger.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := l.add(sent); err != nil {
				t.Fatal(err)
			}
			if tt.also {
				if err := l.add(record("alice", at.Add(-10*m))); err != nil {
					t.Fatal(err)
				}
			}
			detail, ok := l.find(p, Entry{User: "alice", SessionThen: 10 * m, LimitNow: tt.limitNow})
			if ok != tt.found || !strings.Contains(detail, tt.detail) {
				t.Errorf("find: %v, %q; want %v, %q", ok, detail, tt.found, tt.detail)
			}
		})
	}

	path := filepath.Join(t.TempDir(), "ledger.json")
	l, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []Record{record("erin", at.Add(-7*m)), sent} {
		if err := l.add(rec); err != nil {
			t.Fatal(err)
		}
	}
	l.forget(sent)
	cutShort, err := readLedger(path) // before compaction: the journal still holds it
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cutShort.find(p, Entry{User: "alice", SessionThen: 10 * m, LimitNow: 3 * h}); !ok {
		t.Error("a run cut short before compaction lost the unconfirmed write")
	}
	if err := l.compact(); err != nil {
		t.Fatal(err)
	}
	folded, err := readLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(folded.records) != 1 || folded.records[0].User != "erin" {
		t.Errorf("records after compaction: %+v", folded.records)
	}
}
