package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rondanet/ronda/restore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestAutoExitCodes(t *testing.T) {
	// What ronda-webhook's command channel does with each: 75 is run again later, any
	// other non-zero exit is final (and its stdout goes to the chat).
	for status, want := range map[restore.AutoStatus]int{
		restore.AutoDone:       0,
		restore.AutoRefused:    1,
		restore.AutoOverLimits: 4,
		restore.AutoRetry:      75,
		"something new":        1, // an outcome this build does not know: a person looks
	} {
		if got := autoExit(status); got != want {
			t.Errorf("autoExit(%s) = %d, want %d", status, got, want)
		}
	}
}

// summaryReports are AutoReports of each outcome, for the golden summaries.
func summaryReports() map[string]*restore.AutoReport {
	boot := time.Date(2026, 11, 24, 11, 15, 10, 0, time.UTC)
	point := restore.Point{Router: "hotspot-pasar", At: boot.Add(-40 * time.Second), BootTime: boot, Gap: 15 * time.Second, PrevBootTime: boot.Add(-48 * time.Hour)}
	entries := []restore.Entry{
		{User: "alice", Lost: 10 * time.Minute, LimitNow: 2 * time.Hour, NewLimit: 110 * time.Minute},
		{User: "bob", Skip: restore.SkipUnlimited},
		{User: "carol", Skip: restore.SkipExpired, LimitNow: time.Second},
		{User: "erin", Lost: 47*time.Minute + 3*time.Second, LimitNow: 3 * time.Hour, NewLimit: 2*time.Hour + 12*time.Minute + 57*time.Second},
		{User: "frank", Lost: 7 * time.Second, LimitNow: time.Hour, NewLimit: time.Hour - 7*time.Second},
		{User: "dave", Skip: restore.SkipUptimeGrew},
		{User: "gina", Skip: restore.SkipUnlimited},
	}
	plan := &restore.Plan{Router: "hotspot-pasar", Point: point, Entries: entries}
	result := func(done ...string) *restore.Result {
		res := &restore.Result{Plan: plan}
		for _, e := range entries {
			o := restore.Outcome{Entry: e}
			switch {
			case !e.Restored():
				res.Skipped++
			case len(done) > 0:
				o.Skip = restore.SkipAlreadyRestored
				res.Skipped++
			default:
				o.Applied = true
				res.Applied++
				res.GivenBack += e.Lost
			}
			res.Outcomes = append(res.Outcomes, o)
		}
		return res
	}
	base := func(s restore.AutoStatus) *restore.AutoReport {
		return &restore.AutoReport{Router: "hotspot-pasar", BootTime: boot, Status: s, Plan: plan, Tries: 1}
	}
	done := base(restore.AutoDone)
	done.Result = result()
	again := base(restore.AutoDone)
	again.Result = result("all")
	nobody := base(restore.AutoDone)
	nobody.Plan = &restore.Plan{Router: "hotspot-pasar", Point: point}
	nobody.Result = &restore.Result{Plan: nobody.Plan}
	over := base(restore.AutoOverLimits)
	over.Limits = restore.Limits{PerUser: 30 * time.Minute, Total: 45 * time.Minute}
	over.Violations = over.Limits.Check(plan)
	refused := base(restore.AutoRefused)
	refused.Plan = nil
	refused.Error = "Prometheus saw no failure of hotspot-pasar between 18:14:30 and the boot (a gap of 10m, above --max-gap 30s)"
	retry := base(restore.AutoRetry)
	retry.Plan, retry.Tries = nil, 9
	retry.Error = "router hotspot-pasar: dial tcp 10.0.0.1:8728: connect: connection refused"
	return map[string]*restore.AutoReport{
		"done": done, "again": again, "nobody": nobody, "over-limits": over, "refused": refused, "retry": retry,
	}
}

func TestAutoSummaryGolden(t *testing.T) {
	time.Local = time.FixedZone("WIB", 7*3600)
	for name, rep := range summaryReports() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			maxUsers, flags := 10, ""
			if name == "done" {
				maxUsers = 2 // the rest are counted
			}
			if name == "over-limits" {
				flags = manualFlags(&autoOptions{maxGap: 2 * time.Minute})
			}
			if err := writeSummary(&buf, rep, maxUsers, flags); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "summary-"+name+".txt")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("summary:\n%s\nwant (%s):\n%s", buf.String(), golden, want)
			}
		})
	}
}
