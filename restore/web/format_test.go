package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{time.Millisecond, "<1s"},
		{-time.Millisecond, "-<1s"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m"},
		{time.Hour + 5*time.Second, "1h 5s"},
		{24 * time.Hour, "1d"},
		{30*24*time.Hour + 2*time.Hour + 3*time.Minute + 4*time.Second, "30d 2h 3m 4s"},
		{-(90 * time.Minute), "-1h 30m"},
	} {
		if got := humanDuration(c.d); got != c.want {
			t.Errorf("humanDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestParsePointID(t *testing.T) {
	loc := time.FixedZone("WITA", 8*3600)
	at := time.Date(2026, 11, 24, 11, 14, 30, 250e6, time.UTC)
	boot := time.Date(2026, 11, 24, 11, 21, 7, 0, time.UTC)
	for _, c := range []struct {
		query    string
		at, boot time.Time
		force    bool
		maxGap   time.Duration
		err      string
	}{
		{query: selection{At: at, Boot: boot}.values().Encode(), at: at, boot: boot},
		{query: selection{At: at, Boot: boot, Force: true, MaxGap: 1500 * time.Millisecond}.values().Encode(), at: at, boot: boot,
			force: true, maxGap: 2 * time.Second},
		{query: "at=2026-11-24T11:14:30.25Z&force=on&max_gap=86400", at: at, force: true, maxGap: 24 * time.Hour},
		{query: "at=2026-11-24T11:14:30Z&max_gap=86401", err: "max_gap=\"86401\": give whole seconds from 1 to 86400"},
		{query: "at=2026-11-24T11:14:30Z&max_gap=0", err: "give whole seconds"},
		{query: "at=2026-11-24T11:14:30Z&max_gap=5m", err: "give whole seconds"},
		{query: "at=2026-11-24T11:14:30.25Z", at: at},
		{query: "at=2026-11-24T19:14:30.25%2B08:00", at: at},
		{query: "at=2026-11-24T19:14", at: time.Date(2026, 11, 24, 19, 14, 0, 0, loc)},
		{query: "at=2026-11-24T19:14:30", at: time.Date(2026, 11, 24, 19, 14, 30, 0, loc)},
		{query: "at=2026-11-24+19:14", at: time.Date(2026, 11, 24, 19, 14, 0, 0, loc)},
		{query: "", err: "no time given"},
		{query: "at=now", err: `"now" is neither`},
		{query: "at=0001-01-01T00:00:00Z", err: "year 1 is out of range"},
		{query: "at=9999-01-01T00:00", err: "year 9998 is out of range"}, // in UTC, as links carry it
		{query: "at=2000-01-01T00:00", err: "year 1999 is out of range"},
		{query: "at=2026-11-24T11:14:30Z&boot=soon", err: `boot time "soon"`},
		{query: "at=2026-11-24T11:14:30Z&boot=2026-11-24T11:00:00Z", err: "is not after the restore point"},
	} {
		form, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		id, err := parseSelection(form, loc)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || statusOf(err) != 400 {
				t.Errorf("%s: error %v, want %q (400)", c.query, err, c.err)
			}
			continue
		}
		if err != nil || !id.At.Equal(c.at) || !id.Boot.Equal(c.boot) || id.Force != c.force || id.MaxGap != c.maxGap {
			t.Errorf("%s: %+v %v, want %v %v force=%v max_gap=%v", c.query, id, err, c.at, c.boot, c.force, c.maxGap)
		}
	}
}

// FuzzParseTime: whatever is typed into the page's time field yields a time in range or an
// error, never a panic, and an exact stamp survives the round trip through a link.
func FuzzParseTime(f *testing.F) {
	loc := time.FixedZone("WIB", 7*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s, loc)
		if err != nil {
			return
		}
		if y := got.UTC().Year(); y < 2000 || y > 2200 {
			t.Fatalf("%q: year %d accepted", s, y)
		}
		again, err := parseTime(formatStamp(got), loc)
		if err != nil || !again.Equal(got.Truncate(time.Millisecond)) {
			t.Fatalf("%q: %v does not survive a link: %v %v", s, got, again, err)
		}
	})
}

// FuzzParseSelection: any query a browser (or anyone) sends yields a selection or an error,
// never a panic, and a selection survives the round trip through the page's own links.
func FuzzParseSelection(f *testing.F) {
	loc := time.FixedZone("WIB", 7*3600)
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		sel, err := parseSelection(form, loc)
		if err != nil {
			if statusOf(err) != 400 {
				t.Fatalf("%q: %v is not a 400", query, err)
			}
			return
		}
		if !sel.Boot.IsZero() && !sel.Boot.After(sel.At) {
			t.Fatalf("%q: boot %v not after %v", query, sel.Boot, sel.At)
		}
		again, err := parseSelection(sel.values(), loc)
		if err != nil || !again.At.Equal(sel.At) || !again.Boot.Equal(sel.Boot) || again.Force != sel.Force || again.MaxGap != sel.MaxGap {
			t.Fatalf("%q: %+v does not survive a link: %+v %v", query, sel, again, err)
		}
	})
}
