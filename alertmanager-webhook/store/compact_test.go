package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rondanet/ronda/internal/testtool"
)

// sparseOutbox makes an outbox file mostly free space: a burst of dead letters (a chat the
// bot was removed from), pruned, beside what must survive: pending items, a dedup key, a
// report's tick and a moved recipient. It returns what the file holds.
func sparseOutbox(t *testing.T, path string) (items []*Item, tick time.Time) {
	t.Helper()
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	var burst []*Item
	for i := range 3000 {
		it := item("tg", fmt.Sprint(i))
		it.State, it.Died, it.Text = Dead, now.Add(-time.Hour), strings.Repeat("x", 12<<10)
		burst = append(burst, it)
	}
	if _, err := s.Accept("burst", now, time.Minute, burst); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accept("kept", now, 24*time.Hour, []*Item{item("tg", "111"), item("wa", "62812")}); err != nil {
		t.Fatal(err)
	}
	tick = time.Date(2026, 11, 30, 0, 0, 0, 1, time.UTC)
	if err := s.SetLastTick("daily", tick); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMoved(Move{Channel: "tg", From: "-100", To: "-1001"}); err != nil {
		t.Fatal(err)
	}
	if gone, err := s.ForgetDead(now); err != nil || len(gone) != len(burst) {
		t.Fatalf("ForgetDead: %d, %v", len(gone), err)
	}
	if items, err = s.Items(""); err != nil || len(items) != 2 {
		t.Fatalf("items %d, %v", len(items), err)
	}
	return items, tick
}

// holdsAll checks that s has exactly what sparseOutbox left, and that new items get new IDs.
func holdsAll(t *testing.T, s *Store, items []*Item, tick time.Time) {
	t.Helper()
	if got, err := s.Items(""); err != nil || !reflect.DeepEqual(got, items) {
		t.Errorf("items %+v (%v), want %+v", got, err, items)
	}
	if got, ok, err := s.LastTick("daily"); err != nil || !ok || !got.Equal(tick) {
		t.Errorf("last tick %v, %v, %v; want %v", got, ok, err, tick)
	}
	if got, err := s.Moved(); err != nil || len(got) != 1 || got[0] != (Move{Channel: "tg", From: "-100", To: "-1001"}) {
		t.Errorf("moved %+v, %v", got, err)
	}
	if dup, err := s.Accept("kept", time.Now(), 24*time.Hour, nil); err != nil || !dup {
		t.Errorf("the kept dedup key is gone: duplicate %v, %v", dup, err)
	}
	fresh := item("tg", "222")
	if _, err := s.Accept("new", time.Now(), time.Minute, []*Item{fresh}); err != nil || fresh.ID <= 3002 {
		t.Errorf("a new item got ID %d (%v): the IDs of the dead letters must not come back", fresh.ID, err)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestASparseOutboxIsCompactedWithEveryRecord: an outbox file mostly free space is
// compacted when it is opened, and keeps every record; a file compacted already, or small,
// is left as it is.
func TestASparseOutboxIsCompactedWithEveryRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	items, tick := sparseOutbox(t, path)
	before := size(t, path)

	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	after := size(t, path)
	if c := s.Compaction(); c.Err != nil || c.Before != before || c.After != after || after > before/4 {
		t.Errorf("compaction %+v: the file went from %d to %d bytes", c, before, after)
	}
	if _, err := os.Stat(path + ".compacting"); !os.IsNotExist(err) {
		t.Errorf("the compaction's file is left: %v", err)
	}
	holdsAll(t, s, items, tick)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if s, err = Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Compaction(); c != (Compaction{}) {
		t.Errorf("a compact file compacted again: %+v", c)
	}
}

// TestACompactionCutShortLeavesTheOutboxWhole: a crash after the compacted copy was written
// but before it replaced the outbox leaves the outbox as it was, whole; the next start
// removes the copy and compacts again.
func TestACompactionCutShortLeavesTheOutboxWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	items, tick := sparseOutbox(t, path)
	db, err := openLocked(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := compactInto(db, path+".compacting"); err != nil {
		t.Fatal(err)
	}
	// The process dies here, before the rename.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if now, err := os.ReadFile(path); err != nil || string(now) != string(original) {
		t.Fatalf("the outbox changed (%v)", err)
	}

	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Compaction(); c.Err != nil || c.Before == 0 {
		t.Errorf("the next start did not compact: %+v", c)
	}
	holdsAll(t, s, items, tick)
}

// TestAWaiterForAReplacedOutboxOpensTheNewFile: a ronda-webhook waiting for the lock of an
// outbox file that another one replaced meanwhile (its compaction renamed the copy over
// it) gets the lock of a file no longer at the path: it must open the file at the path
// instead, not run on the removed one, where every alert it stored would be lost.
func TestAWaiterForAReplacedOutboxOpensTheNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "outbox.db")
	first, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan *Store, 1)
	go func() {
		s, err := Open(path, time.Minute)
		if err != nil {
			t.Error(err)
		}
		opened <- s
	}()
	testtool.Eventually(t, 30*time.Second, "the second opener waiting for the lock", func(context.Context) error {
		if n := openFiles(t, path); n != 2 {
			return fmt.Errorf("%d descriptors of the file", n)
		}
		return nil
	})
	// The first one replaces the file, as its compaction does, and lets go of the old one.
	replacement, err := bolt.Open(filepath.Join(dir, "copy.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := replacement.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketReports)
		if err != nil {
			return err
		}
		return b.Put([]byte("daily"), make([]byte, 8))
	}); err != nil {
		t.Fatal(err)
	}
	if err := replacement.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "copy.db"), path); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := <-opened
	if second == nil {
		t.FailNow()
	}
	defer second.Close()
	if _, ok, err := second.LastTick("daily"); err != nil || !ok {
		t.Errorf("the second opener runs on the file removed, not the one at the path (%v)", err)
	}
}

// openFiles counts this process's descriptors open on path.
func openFiles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// TestACompactionKeepsTheOutboxWhereAndAsItIs: an outbox reached through a symlink (on
// another disk) is compacted where it lives, the link left a link, and the file keeps the
// permissions it had.
func TestACompactionKeepsTheOutboxWhereAndAsItIs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data", "outbox.db")
	if err := os.Mkdir(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	items, tick := sparseOutbox(t, file)
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "outbox.db")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	before := size(t, file)
	s, err := Open(link, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Compaction(); c.Err != nil || c.Before != before || size(t, file) > before/4 {
		t.Errorf("compaction %+v: %d bytes now", c, size(t, file))
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v", err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("the outbox's mode is %v (%v), want 0640", info.Mode(), err)
	}
	holdsAll(t, s, items, tick)
}
