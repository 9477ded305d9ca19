// Package store is ronda-webhook's durable outbox: every notification accepted from
// Alertmanager is written here, synced to disk, before Alertmanager gets its 2xx, and stays
// until each of its deliveries has been sent or dead-lettered. It is a bbolt file, so a
// crash (even kill -9) loses nothing that was acknowledged.
package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

var (
	bucketItems = []byte("items")
	bucketDedup = []byte("dedup")
	// bucketReports holds the last tick each scheduled report was queued for.
	bucketReports = []byte("reports")
	// bucketMoved holds recipients that moved (a Telegram group upgraded to a supergroup).
	bucketMoved = []byte("moved")
)

// State of an item.
const (
	Pending = "pending"
	Dead    = "dead"
)

// Item is one notification waiting for (or given up on) one recipient of one channel.
type Item struct {
	ID        uint64           `json:"id"`
	Channel   string           `json:"channel"`
	Recipient string           `json:"recipient"`
	State     string           `json:"state"`
	Message   *payload.Message `json:"message"`
	// Text, when set, is the message already rendered (a scheduled report), sent as it is.
	Text      string    `json:"text,omitempty"`
	Created   time.Time `json:"created"`
	NextAt    time.Time `json:"next_at,omitzero"`
	Attempts  int       `json:"attempts"`
	PartsSent int       `json:"parts_sent,omitempty"`
	// Reason is the last failure's short reason; Error its full text.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// Died is when the item became a dead letter (zero in files from before it was kept:
	// Created stands in).
	Died time.Time `json:"died,omitzero"`
}

// diedAt is when a dead item died, as well as the file knows.
func (it *Item) diedAt() time.Time {
	if it.Died.IsZero() {
		return it.Created
	}
	return it.Died
}

// Store is the outbox file.
type Store struct {
	db         *bolt.DB
	compaction Compaction
}

// Open opens (or creates) the outbox file. bbolt locks it, so a second ronda-webhook on the
// same file waits for timeout and then fails instead of corrupting it. A file that is
// mostly free space is compacted first (Compaction).
func Open(path string, timeout time.Duration) (*Store, error) {
	db, err := openLocked(path, timeout)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if err := s.compactIfSparse(path, timeout); err != nil {
		return nil, err
	}
	db = s.db
	// NoSync stays false: every commit is fsynced before Update or Batch returns.
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketItems, bucketDedup, bucketReports, bucketMoved} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("preparing outbox %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Accept stores the items of one notification unless a notification with the same dedup
// key was accepted within window; duplicate says which happened. The key is kept for its
// window (ForgetExpired), however long. Concurrent calls share one disk sync (bbolt's
// Batch), which is what lets intake keep up with a busy Alertmanager. On success the items
// carry their IDs.
func (s *Store) Accept(dedupKey string, now time.Time, window time.Duration, items []*Item) (duplicate bool, err error) {
	return s.accept(dedupKey, now, window, items, nil)
}

// AcceptReport is Accept for a scheduled report's run for tick, recording tick as the
// report's last (LastTick) in the same transaction: a crash cannot leave the report queued
// with its tick unrecorded, which the restart would send again once the key is gone. A
// duplicate records the tick too: the report was queued for it before.
func (s *Store) AcceptReport(dedupKey string, now time.Time, window time.Duration, items []*Item, report string, tick time.Time) (duplicate bool, err error) {
	return s.accept(dedupKey, now, window, items, func(tx *bolt.Tx) error { return putTick(tx, report, tick) })
}

// accept is Accept, running also in the same transaction.
func (s *Store) accept(dedupKey string, now time.Time, window time.Duration, items []*Item, also func(*bolt.Tx) error) (duplicate bool, err error) {
	err = s.db.Batch(func(tx *bolt.Tx) error {
		duplicate = false // Batch may run the function again
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		dedup := tx.Bucket(bucketDedup)
		key := []byte(dedupKey)
		if seen := dedup.Get(key); len(seen) >= 8 {
			at := time.Unix(0, int64(binary.BigEndian.Uint64(seen)))
			if now.Sub(at) < window {
				duplicate = true
				return nil
			}
		}
		// When first seen, then for how long it is kept.
		var stamp [16]byte
		binary.BigEndian.PutUint64(stamp[:8], uint64(now.UnixNano()))
		binary.BigEndian.PutUint64(stamp[8:], uint64(max(window, 0)))
		if err := dedup.Put(key, stamp[:]); err != nil {
			return err
		}
		b := tx.Bucket(bucketItems)
		for _, it := range items {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			it.ID = id
			if err := putItem(b, it); err != nil {
				return err
			}
		}
		return nil
	})
	return duplicate, err
}

func putItem(b *bolt.Bucket, it *Item) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return b.Put(idKey(it.ID), data)
}

func idKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// Save writes an item's new state (attempts, next attempt, parts sent, dead).
func (s *Store) Save(it *Item) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return putItem(tx.Bucket(bucketItems), it) })
}

// Delete removes a delivered item.
func (s *Store) Delete(id uint64) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketItems).Delete(idKey(id)) })
}

// Items lists the items in state (all when state is empty), oldest first.
func (s *Store) Items(state string) ([]*Item, error) {
	var out []*Item
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			it := &Item{}
			if err := json.Unmarshal(v, it); err != nil {
				return fmt.Errorf("outbox item %d is unreadable: %w", binary.BigEndian.Uint64(k), err)
			}
			if state == "" || it.State == state {
				out = append(out, it)
			}
			return nil
		})
	})
	return out, err
}

// Revive makes the dead items with the given IDs (every dead item when ids is empty)
// pending again, as new: attempts reset, created now so the maximum age starts over.
func (s *Store) Revive(ids []uint64, now time.Time) ([]*Item, error) {
	var revived []*Item
	err := s.db.Update(func(tx *bolt.Tx) error {
		revived = revived[:0]
		b := tx.Bucket(bucketItems)
		want := map[uint64]bool{}
		for _, id := range ids {
			want[id] = true
		}
		var dead []*Item
		err := b.ForEach(func(_, v []byte) error {
			it := &Item{}
			if err := json.Unmarshal(v, it); err != nil {
				return err
			}
			if it.State == Dead && (len(ids) == 0 || want[it.ID]) {
				dead = append(dead, it)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, it := range dead {
			it.State, it.Attempts, it.NextAt, it.Created, it.Died = Pending, 0, time.Time{}, now, time.Time{}
			if err := putItem(b, it); err != nil {
				return err
			}
			revived = append(revived, it)
		}
		return nil
	})
	return revived, err
}

// LastTick is the last tick SetLastTick recorded for the report; ok is false when none was.
func (s *Store) LastTick(report string) (tick time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketReports).Get([]byte(report)); len(v) == 8 {
			tick, ok = time.Unix(0, int64(binary.BigEndian.Uint64(v))), true
		}
		return nil
	})
	return tick, ok, err
}

// SetLastTick records that the report was queued for tick.
func (s *Store) SetLastTick(report string, tick time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return putTick(tx, report, tick) })
}

func putTick(tx *bolt.Tx, report string, tick time.Time) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(tick.UnixNano()))
	return tx.Bucket(bucketReports).Put([]byte(report), v[:])
}

// Move is a channel's recipient that has a new address.
type Move struct{ Channel, From, To string }

// SetMoved records that channel's recipient from is now to.
func (s *Store) SetMoved(m Move) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMoved).Put([]byte(m.Channel+"\x00"+m.From), []byte(m.To))
	})
}

// Moved lists every recipient recorded as moved.
func (s *Store) Moved() ([]Move, error) {
	var out []Move
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMoved).ForEach(func(k, v []byte) error {
			if channel, from, ok := strings.Cut(string(k), "\x00"); ok {
				out = append(out, Move{Channel: channel, From: from, To: string(v)})
			}
			return nil
		})
	})
	return out, err
}

// ForgetDead removes the dead letters that died before cutoff and returns them, so that
// a chat the bot was removed from does not fill the file (and the memory of every start)
// with every alert ever sent to it.
func (s *Store) ForgetDead(cutoff time.Time) ([]*Item, error) {
	var gone []*Item
	err := s.db.Update(func(tx *bolt.Tx) error {
		gone = gone[:0]
		b := tx.Bucket(bucketItems)
		// Collected first: deleting under a bbolt cursor skips the following key.
		err := b.ForEach(func(_, v []byte) error {
			it := &Item{}
			if err := json.Unmarshal(v, it); err != nil {
				return err
			}
			if it.State == Dead && it.diedAt().Before(cutoff) {
				gone = append(gone, it)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, it := range gone {
			if err := b.Delete(idKey(it.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return gone, nil
}

// ForgetExpired drops the dedup keys whose window has passed at now, so the file does not
// grow forever. Each key is kept for its own window: a report's for its interval, a
// command's report for as long as the command may run again, not only dedup_window. A key
// stored without one (by an older version) is kept for window.
func (s *Store) ForgetExpired(now time.Time, window time.Duration) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketDedup)
		// Collected first: deleting under a bbolt cursor skips the following key.
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			keep := window
			switch len(v) {
			case 16:
				keep = time.Duration(binary.BigEndian.Uint64(v[8:]))
			case 8:
			default:
				old = append(old, append([]byte(nil), k...))
				return nil
			}
			if seen := time.Unix(0, int64(binary.BigEndian.Uint64(v[:8]))); !now.Before(seen.Add(keep)) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
