package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/restore"
)

func TestTablesAreAlignedAndSummed(t *testing.T) {
	time.Local = time.FixedZone("WIB", 7*3600)
	at := time.Date(2026, 11, 24, 11, 14, 30, 0, time.UTC)
	plan := &restore.Plan{Router: "hotspot-pasar", Point: restore.Point{Router: "hotspot-pasar", At: at, BootTime: at.Add(40 * time.Second), Gap: 15 * time.Second}, Entries: []restore.Entry{
		{User: "alice", Used: 40 * time.Minute, UptimeNow: 30 * time.Minute, Lost: 10 * time.Minute, LimitNow: 2 * time.Hour, NewLimit: 110 * time.Minute},
		{User: "bob-with-a-long-name", Used: 5 * time.Hour, UptimeNow: 5 * time.Hour, Skip: restore.SkipUnlimited},
		{User: "carol", LimitNow: time.Second, Skip: restore.SkipExpired},
		{User: "dave", LimitNow: time.Hour, Skip: restore.SkipUnlimited},
	}}
	var buf bytes.Buffer
	if err := (&output{w: &buf}).plan(plan); err != nil {
		t.Fatal(err)
	}
	want := `Router hotspot-pasar, restore point 2026-11-24T18:14:30+07:00 (booted again at 2026-11-24T18:15:10+07:00); lost times are exact to within 15s.

USER                  LIMIT NOW  USED THEN  STORED NOW  LOST  NEW LIMIT  SKIPPED
alice                 2h         40m        30m         10m   1h50m      
bob-with-a-long-name  unlimited  5h         5h          -     -          unlimited
carol                 1s         0s         0s          -     -          expired-voucher
dave                  1h         0s         0s          -     -          unlimited

1 to restore, 10m of forgotten use to take off their limits; skipped: 1 expired-voucher, 2 unlimited.
`
	if got := buf.String(); got != want {
		t.Errorf("plan table:\n%s\nwant:\n%s", got, want)
	}

	buf.Reset()
	points := []restore.Point{
		{Router: "r", At: at, BootTime: at.Add(time.Minute), Gap: 10 * time.Minute, Interval: 15 * time.Second, Online: 12},
		{Router: "r", At: at.Add(-time.Hour), BootTime: at.Add(-time.Hour + 20*time.Second), Gap: 15 * time.Second, Interval: 15 * time.Second, Online: 3},
	}
	if err := (&output{w: &buf}).points("r", "7d", points); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.Contains(lines[1], "2026-11-24T18:15:30+07:00  2026-11-24T18:14:30+07:00  10m  12      Prometheus saw no failure before the boot: plan needs --max-gap=10m") {
		t.Errorf("points table:\n%s", buf.String())
	}
	if strings.Contains(lines[2], "max-gap") {
		t.Errorf("a bridged point needs no note:\n%s", buf.String())
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]int64{
		"1700000000":                1700000000000,
		"1700000000.5":              1700000000500,
		"2026-11-24T18:14:30+07:00": time.Date(2026, 11, 24, 11, 14, 30, 0, time.UTC).UnixMilli(),
		"2026-11-24T11:14:30Z":      time.Date(2026, 11, 24, 11, 14, 30, 0, time.UTC).UnixMilli(),
	} {
		got, err := parseTime(in)
		if err != nil || got.UnixMilli() != want {
			t.Errorf("parseTime(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "yesterday", "2026-11-24 18:14", "NaN"} {
		if _, err := parseTime(in); err == nil {
			t.Errorf("parseTime(%q) accepted it", in)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := &progressBar{w: &buf, start: time.Now()}
	for i := 1; i <= 2000; i++ {
		b.update(i, 2000)
	}
	b.finish()
	out := buf.String()
	if !strings.Contains(out, "] 2000/2000 users (100%) ") || !strings.HasSuffix(out, "s\n") || !strings.Contains(out, "[##############################]") {
		t.Errorf("progress: %q", out)
	}
	if n := strings.Count(out, "\r"); n > 20 {
		t.Errorf("redrawn %d times for a fast run: at most ten a second", n)
	}
	var nilBar *progressBar
	nilBar.update(1, 2) // no bar: nothing happens
	nilBar.finish()
}
