package olt

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/collector"
	sim "github.com/rondanet/ronda/internal/sim/olt"
)

// TestEmitTextAndSamplesAgree: on every fixture, and on the simulator's generated
// population with every state and reading, the series written straight as text lines (the
// answer to Prometheus) are byte for byte those written from Samples (the path of
// protobuf, ?debug=true and testutil).
func TestEmitTextAndSamplesAgree(t *testing.T) {
	snaps := map[string]*Snapshot{}
	for _, file := range []string{"hioso-11.html", "hioso-13.html", "hioso-16.html", "hioso-16-gb2312.html", "hioso-18.html", "hioso-22.html"} {
		var err error
		if snaps[file], err = parseHiOSO(fixturePage(t, file), "0/1"); err != nil {
			t.Fatal(err)
		}
	}
	vp, err := parseVSOL(fixturePage(t, "vsol-onuinfo.html"), 1)
	if err != nil {
		t.Fatal(err)
	}
	snaps["vsol-onuinfo.html"] = &Snapshot{PONs: []string{"0/1"}, ONUs: vp.onus, States: WordStates}
	if snaps["hsgq-onutable.json"], err = parseHSGQ(fixture(t, "hsgq-onutable.json")); err != nil {
		t.Fatal(err)
	}
	// The benchmark's page: 256 ONUs of the generated population, as the simulator
	// renders them, and the same ONUs listed twice (duplicates dropped) and an unknown state.
	o := sim.New(sim.Options{Username: "admin", Password: "pw", PONs: 4, ONUs: sim.Populate(7, 4, 64, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))})
	req := httptest.NewRequest(http.MethodGet, hiosoAllPONs, nil)
	req.SetBasicAuth("admin", "pw")
	rec := httptest.NewRecorder()
	o.ServeHTTP(rec, req)
	if snaps["sim"], err = parseHiOSO(rec.Body.Bytes(), ""); err != nil {
		t.Fatal(err)
	}
	if len(snaps["sim"].ONUs) != 256 {
		t.Fatalf("the simulator's page has %d ONUs", len(snaps["sim"].ONUs))
	}
	odd := *snaps["hioso-22.html"]
	odd.ONUs = append(append([]ONU(nil), odd.ONUs...), odd.ONUs...)
	odd.ONUs[0].State = StateUnknown
	snaps["duplicates and unknown"] = &odd

	for name, snap := range snaps {
		t.Run(name, func(t *testing.T) {
			kept := new(keptSeries) // shared by both ways, as by an OLT's scrapes of either
			write := func(text bool) string {
				b := collector.NewBatch(text)
				emit(b, snap, 90*time.Second, kept, slog.New(slog.DiscardHandler))
				var out bytes.Buffer
				if err := b.WriteText(&out); err != nil {
					t.Fatal(err)
				}
				return out.String()
			}
			lines, samples, again := write(true), write(false), write(true)
			if again != lines {
				t.Errorf("the second scrape, with the labels kept from the first, wrote:\n%s\nthe first:\n%s", again, lines)
			}
			if lines != samples {
				t.Errorf("text lines and Samples differ:\n--- lines\n%s\n--- samples\n%s", lines, samples)
			}
			if !strings.Contains(lines, "olt_onu_info{") || !strings.Contains(lines, "olt_pon_onus{") {
				t.Errorf("no ONU series:\n%s", lines)
			}
		})
	}
}

// TestKeptSeriesFollowChanges: labels and series kept from the last scrape are reused only
// while the ONU at that place has the same pon, onu, state and _info values. A scrape after
// ONUs were renamed, re-authorised, moved, added, removed or changed state, or with another
// set of states, writes what a first scrape writes.
func TestKeptSeriesFollowChanges(t *testing.T) {
	raw := fixture(t, "hioso-22.html")
	first, err := parseHiOSO(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ONUs) < 4 {
		t.Fatalf("the fixture has %d ONUs", len(first.ONUs))
	}
	changes := map[string]func(onus []ONU) []ONU{
		"renamed": func(onus []ONU) []ONU { onus[1].Name = "Warung \"Bu\" Sri"; return onus },
		"new MAC, firmware, auth and CTC": func(onus []ONU) []ONU {
			onus[0].MAC, onus[0].Firmware, onus[0].Auth, onus[0].CTCStatus = "E0:E8:E6:00:00:01", "V2", AuthDeactivated, ""
			return onus
		},
		"moved":   func(onus []ONU) []ONU { onus[2].PON, onus[2].ID = "0/9", "63"; return onus },
		"removed": func(onus []ONU) []ONU { return onus[1:] },
		"added": func(onus []ONU) []ONU {
			extra := newONU("0/1", "0")
			extra.Name, extra.State = "baru", StateUp
			return append([]ONU{extra}, onus...)
		},
		"none left":    func([]ONU) []ONU { return nil },
		"other states": func(onus []ONU) []ONU { return onus }, // another driver's set
		"state changed": func(onus []ONU) []ONU {
			onus[0].State, onus[1].State = StatePwrDown, StateUnknown
			return onus
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			write := func(snap *Snapshot, kept *keptSeries) string {
				b := collector.NewBatch(true)
				emit(b, snap, 0, kept, slog.New(slog.DiscardHandler))
				var out bytes.Buffer
				if err := b.WriteText(&out); err != nil {
					t.Fatal(err)
				}
				return out.String()
			}
			kept := new(keptSeries)
			write(first, kept)
			second := *first
			second.ONUs = change(slices.Clone(first.ONUs))
			if name == "other states" {
				second.States = WordStates
			}
			if got, want := write(&second, kept), write(&second, new(keptSeries)); got != want {
				t.Errorf("with the labels kept from the first scrape:\n%s\nwithout:\n%s", got, want)
			}
		})
	}
}
