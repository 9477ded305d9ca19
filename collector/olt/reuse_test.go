package olt

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
	"unsafe"

	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/olt"
)

var hiosoFixtures = []string{"hioso-22.html", "hioso-16.html", "hioso-18.html", "hioso-13.html", "hioso-11.html"}

// spoil overwrites a page's memory, as the next page read into it does.
func spoil(page []byte) {
	for i := range page {
		page[i] = 'X'
	}
}

// TestReadHiOSOKeepsNothingOfThePage: readHiOSO reads the script in the page's own memory,
// which the driver reuses for its next page; what the snapshot keeps must be copies, with
// or without the last read as prev (the same page, another page, none).
func TestReadHiOSOKeepsNothingOfThePage(t *testing.T) {
	var prevs []*Snapshot
	for _, name := range hiosoFixtures {
		page := fixture(t, name)
		snap, err := parseHiOSO(page, "0/9")
		if err != nil {
			t.Fatal(err)
		}
		prevs = append(prevs, snap)
	}
	for _, name := range hiosoFixtures {
		page := fixture(t, name)
		want, err := parseHiOSO(page, "0/9")
		if err != nil {
			t.Fatal(err)
		}
		for i, prev := range append([]*Snapshot{{}}, prevs...) {
			buf := bytes.Clone(page)
			var into Snapshot
			if err := readHiOSO(buf, "0/9", &into, prev.ONUs); err != nil {
				t.Fatal(err)
			}
			spoil(buf)
			if g, w := fmt.Sprintf("%+v", into), fmt.Sprintf("%+v", *want); g != w {
				t.Errorf("%s, prev %d: after the page's memory was reused\n%s\nwant\n%s", name, i, g, w)
			}
		}
	}
}

// TestReadHiOSOCopiesOnlyWhatChanged: with the last read of the same page as prev, the
// ONUs' strings are prev's (no copy); with another page's, they are new.
func TestReadHiOSOCopiesOnlyWhatChanged(t *testing.T) {
	page := fixture(t, "hioso-22.html")
	prev, err := parseHiOSO(page, "")
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	if err := readHiOSO(bytes.Clone(page), "", &snap, prev.ONUs); err != nil {
		t.Fatal(err)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	for i := range snap.ONUs {
		o, p := &snap.ONUs[i], &prev.ONUs[i]
		if !same(o.PON, p.PON) || !same(o.ID, p.ID) || !same(o.Name, p.Name) || !same(o.MAC, p.MAC) || !same(o.Firmware, p.Firmware) {
			t.Errorf("ONU %s:%s: a string was copied although the last read had it", o.PON, o.ID)
		}
	}
	// The same ONUs one place further on: every name differs from prev's in that place.
	if err := readHiOSO(bytes.Clone(page), "", &snap, prev.ONUs[1:]); err != nil {
		t.Fatal(err)
	}
	for i := range snap.ONUs[:len(snap.ONUs)-1] {
		if o, p := &snap.ONUs[i], &prev.ONUs[i+1]; o.Name != p.Name && same(o.Name, p.Name) {
			t.Errorf("ONU %s:%s has the name of %s:%s", o.PON, o.ID, p.PON, p.ID)
		}
	}
}

// TestHiOSOFailedReadSpoilsNothing: the driver reads into two snapshots in turn and its
// page into one reused buffer; a read that fails (garbage, a page cut short) must leave
// the last good snapshot as it was, and the next good read must be right.
func TestHiOSOFailedReadSpoilsNothing(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	o := sim.New(sim.Options{Username: "admin", Password: "pw", PONs: 2, ONUs: sim.Populate(7, 2, 32, now),
		Clock: fixedClock(now)})
	if err := o.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	drv := newHiOSO(config.OLTTarget{URL: o.URL(), Username: "admin", Password: "pw"}, &http.Client{Transport: transport})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	first, err := drv.read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", *first)
	if len(first.ONUs) != 64 {
		t.Fatalf("%d ONUs, want 64", len(first.ONUs))
	}
	for _, f := range []sim.Fault{sim.FaultGarbage, sim.FaultTruncated, sim.FaultGarbage} {
		if err := o.SetFault(f); err != nil {
			t.Fatal(err)
		}
		if _, err := drv.read(ctx); err == nil {
			t.Fatalf("fault %s: the read did not fail", f)
		}
		if got := fmt.Sprintf("%+v", *first); got != want {
			t.Fatalf("fault %s spoiled the last good read:\n%s\nwant\n%s", f, got, want)
		}
	}
	if err := o.SetFault(sim.FaultNone); err != nil {
		t.Fatal(err)
	}
	for range 3 { // into the other snapshot, then into first's memory again, …
		snap, err := drv.read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%+v", *snap); got != want {
			t.Fatalf("a good read after failed ones:\n%s\nwant\n%s", got, want)
		}
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestReadBody: a body is read whole whatever Content-Length says (right, unknown, too
// small, too large) and whatever buffer is handed over, reusing its memory when it fits.
func TestReadBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 3000) // 48,000 bytes
	for _, tc := range []struct {
		name string
		size int64
		buf  []byte
	}{
		{"exact", int64(len(body)), nil},
		{"unknown", -1, nil},
		{"announced too small", 100, nil},
		{"announced too large", int64(len(body)) * 3, nil},
		{"empty", 0, nil},
		{"reused buffer", int64(len(body)), make([]byte, 7, 64<<10)},
		{"buffer too small", int64(len(body)), make([]byte, 0, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := body
			if tc.name == "empty" {
				want = nil
			}
			got, err := readBody(bytes.NewReader(want), tc.size, tc.buf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want %d", len(got), len(want))
			}
			if cap(tc.buf) >= len(want)+1 && unsafe.SliceData(got) != unsafe.SliceData(tc.buf) {
				t.Error("a buffer large enough was not reused")
			}
		})
	}
	if _, err := readBody(iotestErrReader{}, -1, nil); err == nil {
		t.Error("a read error was not returned")
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, fmt.Errorf("connection reset") }
