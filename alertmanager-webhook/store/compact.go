package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/rondanet/ronda/internal/durable"
)

// A file is compacted when it is opened if its free pages (space bbolt keeps for reuse
// but never gives back: dead letters pruned after a chat was lost for a week) take at least
// compactMinFree and half of it.
const compactMinFree = 16 << 20

// compactTxSize bounds one transaction of the copy, so a large outbox does not need its
// size in memory.
const compactTxSize = 4 << 20

// Compaction is what Open did with a file mostly free space.
type Compaction struct {
	// Before and After are the file's sizes; both zero when it was not compacted.
	Before, After int64
	// Err is why a compaction worth doing was not done: the file is used as it was.
	Err error
}

// Compaction tells what Open did with a file mostly free space.
func (s *Store) Compaction() Compaction { return s.compaction }

// openLocked opens the outbox file and takes its lock, waiting up to timeout for another
// ronda-webhook to release it. The lock is on the file, not the path: when the one that
// held it replaced the file meanwhile (a compaction renames its copy over it), the file
// locked is no longer the outbox, and the one at the path is opened instead.
func openLocked(path string, timeout time.Duration) (*bolt.DB, error) {
	for range 3 { // a compaction replaces the file once per start
		before, statErr := os.Stat(path)
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
		if err != nil {
			if errors.Is(err, bolterrors.ErrTimeout) {
				return nil, fmt.Errorf("outbox %s is locked by another process (is another ronda-webhook running?)", path)
			}
			return nil, fmt.Errorf("opening outbox %s: %w", path, err)
		}
		// The path's file before the open and after it are the same only if the one
		// opened is it (a file once removed is never renamed back).
		after, err := os.Stat(path)
		if statErr == nil && err == nil && os.SameFile(before, after) {
			return db, nil
		}
		_ = db.Close()
	}
	return nil, fmt.Errorf("opening outbox %s: the file kept being replaced while it was opened", path)
}

// compactIfSparse compacts the open outbox at path when it is mostly free space: a copy
// of its records is written beside it (path.compacting, every write synced), checked
// against it, then renamed over it, the folder synced, and the copy opened in its place.
// The lock held throughout keeps any other ronda-webhook out, and one that waited for it
// finds the file replaced (openLocked). A crash before the rename leaves the outbox as it
// was, and the copy, which the next start removes; after it, the copy is the outbox, whole.
// A compaction that fails leaves the outbox open as it was (s.compaction.Err); the error
// returned is for an outbox that could not be opened again once replaced.
func (s *Store) compactIfSparse(path string, timeout time.Duration) error {
	// A symlinked outbox is compacted where it lives, and stays a link.
	file, err := filepath.EvalSymlinks(path)
	if err != nil {
		s.compaction.Err = fmt.Errorf("compacting outbox %s: %w", path, err)
		return nil
	}
	tmp := file + ".compacting"
	fail := func(err error) error {
		_ = os.Remove(tmp)
		s.compaction = Compaction{Err: fmt.Errorf("compacting outbox %s: %w", path, err)}
		return nil
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		return fail(err)
	}
	st := s.db.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(s.db.Info().PageSize)
	if free < compactMinFree || free < info.Size()/2 {
		return nil
	}
	if err := compactInto(s.db, tmp); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, info.Mode().Perm()); err != nil { // as the operator left it
		return fail(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fail(err)
	}
	// Should the folder's sync fail, a crash leaves either file under the name: both whole.
	_ = durable.SyncDir(filepath.Dir(file))
	_ = s.db.Close()
	if s.db, err = openLocked(path, timeout); err != nil {
		return err
	}
	s.compaction = Compaction{Before: info.Size()}
	if info, err := os.Stat(file); err == nil {
		s.compaction.After = info.Size()
	}
	return nil
}

// compactInto copies src's records into a new bbolt file at tmp, synced, and checks that
// the copy holds exactly what src holds.
func compactInto(src *bolt.DB, tmp string) error {
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, src, compactTxSize); err != nil {
		_ = dst.Close()
		return err
	}
	if err := sameRecords(src, dst); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}

// sameRecords reports how b differs from a, bucket by bucket (the outbox's buckets hold
// no buckets), sequences included: a new item must never get a delivered one's ID.
func sameRecords(a, b *bolt.DB) error {
	return a.View(func(ta *bolt.Tx) error {
		return b.View(func(tb *bolt.Tx) error {
			copied := 0
			if err := tb.ForEach(func([]byte, *bolt.Bucket) error { copied++; return nil }); err != nil {
				return err
			}
			n := 0
			err := ta.ForEach(func(name []byte, ba *bolt.Bucket) error {
				n++
				bb := tb.Bucket(name)
				if bb == nil {
					return fmt.Errorf("bucket %s is missing from the copy", name)
				}
				if ba.Sequence() != bb.Sequence() {
					return fmt.Errorf("bucket %s: sequence %d in the copy, %d in the outbox", name, bb.Sequence(), ba.Sequence())
				}
				ca, cb := ba.Cursor(), bb.Cursor()
				ka, va := ca.First()
				kb, vb := cb.First()
				for ; ka != nil || kb != nil; ka, va, kb, vb = nextPair(ca, cb) {
					if !bytes.Equal(ka, kb) || !bytes.Equal(va, vb) {
						return fmt.Errorf("bucket %s: the copy differs at key %x", name, ka)
					}
				}
				return nil
			})
			if err == nil && n != copied {
				err = fmt.Errorf("the copy has %d buckets, the outbox %d", copied, n)
			}
			return err
		})
	})
}

func nextPair(ca, cb *bolt.Cursor) (ka, va, kb, vb []byte) {
	ka, va = ca.Next()
	kb, vb = cb.Next()
	return ka, va, kb, vb
}
