package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
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
	// Writes the router refused: the users written all the same are named.
	refusedWrites := base(restore.AutoRefused)
	refusedWrites.Result = result()
	for i, o := range refusedWrites.Result.Outcomes {
		if o.User == "erin" {
			o.Applied, o.Error = false, "/ip/hotspot/user/set: router refused the command: failure: invalid value"
			refusedWrites.Result.Outcomes[i] = o
			refusedWrites.Result.Applied--
			refusedWrites.Result.Failed++
			refusedWrites.Result.GivenBack -= o.Lost
		}
	}
	refusedWrites.Error = "router hotspot-pasar refused to write limit-uptime for 1 user (erin; the first: /ip/hotspot/user/set: router refused the command: failure: invalid value): running again as is will not help"
	// The router went away after some writes: those written so far are named.
	retryWrites := base(restore.AutoRetry)
	retryWrites.Result, retryWrites.Tries = refusedWrites.Result, 9
	retryWrites.Error = "router hotspot-pasar: dial tcp 10.0.0.1:8728: connect: connection refused"
	return map[string]*restore.AutoReport{
		"done": done, "again": again, "nobody": nobody, "over-limits": over, "refused": refused, "retry": retry,
		"refused-after-writes": refusedWrites, "retry-after-writes": retryWrites,
	}
}

func TestAutoSummaryGolden(t *testing.T) {
	time.Local = time.FixedZone("WIB", 7*3600)
	for name, rep := range summaryReports() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			maxUsers, auto := 10, &autoOptions{}
			if name == "done" {
				maxUsers = 2 // the rest are counted
			}
			if name == "over-limits" {
				auto.maxGap = 2 * time.Minute
			}
			global := &flags{configFile: "/etc/ronda/ronda.yml", promURL: "http://127.0.0.1:9090", ledgerFile: "/var/lib/ronda/ronda-restore.ledger.json"}
			if err := writeSummary(&buf, rep, maxUsers, manualFlags(global, auto)); err != nil {
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

// TestManualCommandsUseAutosConfigPrometheusAndLedger: the commands the summary gives a
// person read the same config and Prometheus as auto did, and keep to the same ledger
// (else a user auto restored could be restored again), from whatever folder they are run.
func TestManualCommandsUseAutosConfigPrometheusAndLedger(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	f := &flags{configFile: "ronda.yml", promURL: "http://mimir:8080/prometheus", promConfig: "prom http.yml",
		orgID: "pasar's", ledgerFile: "ledgers/pasar.json"}
	rep := &restore.AutoReport{Router: "hotspot-pasar", BootTime: time.Unix(1795518910, 0), Status: restore.AutoOverLimits}
	var buf bytes.Buffer
	if err := writeSummary(&buf, rep, 10, manualFlags(f, &autoOptions{maxGap: time.Minute})); err != nil {
		t.Fatal(err)
	}
	want := "ronda-restore --config.file=" + filepath.Join(wd, "ronda.yml") + " --prometheus.url=http://mimir:8080/prometheus" +
		" --prometheus.config='" + filepath.Join(wd, "prom http.yml") + "' --prometheus.org-id='pasar'\\''s'" +
		" --ledger.file=" + filepath.Join(wd, "ledgers/pasar.json") +
		" apply --router hotspot-pasar --reboot 1795518910 --max-gap=1m0s --yes\n"
	if !strings.HasSuffix(buf.String(), want) {
		t.Errorf("summary:\n%s\nwant it to end with:\n%s", buf.String(), want)
	}
}
