package store

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

func item(channel, rcpt string) *Item {
	return &Item{Channel: channel, Recipient: rcpt, State: Pending, Created: time.Now(),
		Message: &payload.Message{Receiver: "r", Status: "firing", Alerts: []payload.Alert{{Status: "firing", Labels: map[string]string{"a": "b"}}}}}
}

func TestAcceptDedupWindowAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dup, err := s.Accept("k1", now, time.Minute, []*Item{item("tg", "1"), item("tg", "2")})
	if err != nil || dup {
		t.Fatalf("first Accept: dup=%v err=%v", dup, err)
	}
	if dup, _ := s.Accept("k1", now.Add(30*time.Second), time.Minute, []*Item{item("tg", "1")}); !dup {
		t.Error("same key within the window was not a duplicate")
	}
	// A repeat_interval reminder: same content, after the window.
	if dup, _ := s.Accept("k1", now.Add(2*time.Minute), time.Minute, []*Item{item("tg", "1")}); dup {
		t.Error("same key after the window was a duplicate")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A second process cannot open the file while it is open.
	s, err = Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 100*time.Millisecond); err == nil {
		t.Fatal("opened a locked outbox")
	}
	defer s.Close()
	items, err := s.Items(Pending)
	if err != nil || len(items) != 3 {
		t.Fatalf("after reopen: %d items, err %v; want 3", len(items), err)
	}
	if items[0].ID >= items[1].ID || items[1].ID >= items[2].ID {
		t.Errorf("items not oldest first: %d %d %d", items[0].ID, items[1].ID, items[2].ID)
	}

	items[1].State, items[1].Reason = Dead, "http_403"
	if err := s.Save(items[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(items[0].ID); err != nil {
		t.Fatal(err)
	}
	dead, _ := s.Items(Dead)
	if len(dead) != 1 || dead[0].Reason != "http_403" {
		t.Fatalf("dead = %+v", dead)
	}
	revived, err := s.Revive(nil, now)
	if err != nil || len(revived) != 1 || revived[0].State != Pending || revived[0].Attempts != 0 {
		t.Fatalf("Revive = %+v, %v", revived, err)
	}
	if n, _ := s.ForgetExpired(now.Add(time.Hour), time.Minute); n != 1 {
		t.Errorf("ForgetExpired dropped %d keys, want 1", n)
	}
	if dup, _ := s.Accept("k1", now.Add(2*time.Minute), time.Hour, nil); dup {
		t.Error("a forgotten key is still a duplicate")
	}
}

// TestLastTickSurvivesReopen: a report's last tick is kept per report, to the nanosecond,
// across a restart; a report never recorded has none.
func TestLastTickSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 11, 30, 0, 0, 0, 1, time.UTC)
	if err := s.SetLastTick("olt-hourly", tick.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastTick("olt-hourly", tick); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, ok, err := s.LastTick("olt-hourly"); err != nil || !ok || !got.Equal(tick) {
		t.Errorf("LastTick(olt-hourly) = %v, %v, %v; want %v", got, ok, err, tick)
	}
	if _, ok, err := s.LastTick("daily"); err != nil || ok {
		t.Errorf("LastTick(daily) = %v, %v; want none", ok, err)
	}
}

// TestKeysAreKeptForTheirOwnWindow: pruning keeps each dedup key for the window it was
// accepted with (a report's interval, a command's report's max_age), not for the
// notifications' window alone; keys written by an older version (no window stored) use it.
func TestKeysAreKeptForTheirOwnWindow(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	for key, window := range map[string]time.Duration{"alert": 2 * time.Minute, "report:daily": 24 * time.Hour, "reply:restore:1": 24 * time.Hour} {
		if _, err := s.Accept(key, now, window, nil); err != nil {
			t.Fatal(err)
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error { // as an older version stored it: when, only
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(now.UnixNano()))
		return tx.Bucket(bucketDedup).Put([]byte("old"), v[:])
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		after   time.Duration
		dropped int
		kept    map[string]bool
	}{
		{time.Minute, 0, map[string]bool{"alert": true, "report:daily": true, "reply:restore:1": true}},
		{10 * time.Minute, 2, map[string]bool{"alert": false, "report:daily": true, "reply:restore:1": true}},
		{25 * time.Hour, 2, map[string]bool{"report:daily": false, "reply:restore:1": false}},
	} {
		if n, err := s.ForgetExpired(now.Add(tt.after), 2*time.Minute); err != nil || n != tt.dropped {
			t.Errorf("after %s: dropped %d keys (%v), want %d", tt.after, n, err, tt.dropped)
		}
		for key, want := range tt.kept {
			var kept bool // looked up, not Accepted: that would store it anew
			_ = s.db.View(func(tx *bolt.Tx) error { kept = tx.Bucket(bucketDedup).Get([]byte(key)) != nil; return nil })
			if kept != want {
				t.Errorf("after %s: key %s kept %v, want %v", tt.after, key, kept, want)
			}
		}
	}
}

// TestAcceptReportRecordsTheTickInTheSameWrite: queuing a report's run records its tick,
// and so does a duplicate (the run was queued before); a plain Accept records none.
func TestAcceptReportRecordsTheTickInTheSameWrite(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	tick := now.Truncate(time.Hour)
	if _, err := s.Accept("report:daily:on-demand", now, time.Hour, []*Item{item("tg", "1")}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LastTick("daily"); ok {
		t.Error("a plain Accept recorded a tick")
	}
	for i, want := range []bool{false, true} {
		dup, err := s.AcceptReport("report:daily:tick", now, time.Hour, []*Item{item("tg", "1")}, "daily", tick.Add(time.Duration(i)))
		if err != nil || dup != want {
			t.Fatalf("AcceptReport %d: dup %v, %v; want %v", i, dup, err, want)
		}
		if got, ok, _ := s.LastTick("daily"); !ok || !got.Equal(tick.Add(time.Duration(i))) {
			t.Errorf("AcceptReport %d: last tick %v, %v; want %v", i, got, ok, tick.Add(time.Duration(i)))
		}
	}
	if items, _ := s.Items(Pending); len(items) != 2 {
		t.Errorf("%d items queued, want the on-demand run's and the tick's once", len(items))
	}
}

// TestMovedSurvivesReopen: recipients' new addresses are kept per channel across a
// restart, the latest one for each.
func TestMovedSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Move{{"tg", "222", "-100222"}, {"tg", "333", "-100333"}, {"tg", "333", "-100334"}, {"other", "222", "x"}} {
		if err := s.SetMoved(m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	moved, err := s.Moved()
	if err != nil {
		t.Fatal(err)
	}
	want := []Move{{"other", "222", "x"}, {"tg", "222", "-100222"}, {"tg", "333", "-100334"}}
	if fmt.Sprint(moved) != fmt.Sprint(want) {
		t.Errorf("Moved() = %v, want %v", moved, want)
	}
}

// TestForgetDeadRemovesOnlyOldDeadLetters: dead letters that died before the cutoff go
// (one from a file written before Died was kept counts from its creation); younger ones
// and pending items stay.
func TestForgetDeadRemovesOnlyOldDeadLetters(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "outbox.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	month := 30 * 24 * time.Hour
	items := map[string]*Item{}
	for name, set := range map[string]func(*Item){
		"pending, old":               func(it *Item) { it.Created = now.Add(-2 * month) },
		"dead long ago":              func(it *Item) { it.State, it.Created, it.Died = Dead, now.Add(-2*month), now.Add(-2*month+time.Hour) },
		"dead lately, made long ago": func(it *Item) { it.State, it.Created, it.Died = Dead, now.Add(-2*month), now.Add(-time.Hour) },
		"dead, no Died, old":         func(it *Item) { it.State, it.Created = Dead, now.Add(-2*month) },
		"dead, no Died, young":       func(it *Item) { it.State, it.Created = Dead, now.Add(-time.Hour) },
	} {
		it := item("tg", name)
		set(it)
		items[name] = it
	}
	var all []*Item
	for _, it := range items {
		all = append(all, it)
	}
	if _, err := s.Accept("k", now, time.Minute, all); err != nil {
		t.Fatal(err)
	}
	gone, err := s.ForgetDead(now.Add(-month))
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]bool{}
	for _, it := range gone {
		removed[it.Recipient] = true
	}
	left, err := s.Items("")
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, it := range left {
		kept[it.Recipient] = true
	}
	for name := range items {
		want := name == "dead long ago" || name == "dead, no Died, old"
		if removed[name] != want || kept[name] == want {
			t.Errorf("%s: removed %v, still stored %v; want removed %v", name, removed[name], kept[name], want)
		}
	}
}
