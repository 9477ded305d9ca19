package olt

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		page, err := toUTF8(raw, "text/html")
		if err != nil {
			t.Fatal(err)
		}
		if snaps[file], err = parseHiOSO(page, "0/1"); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "vsol-onuinfo.html"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := toUTF8(raw, "text/html")
	if err != nil {
		t.Fatal(err)
	}
	vp, err := parseVSOL(page, 1)
	if err != nil {
		t.Fatal(err)
	}
	snaps["vsol-onuinfo.html"] = &Snapshot{PONs: []string{"0/1"}, ONUs: vp.onus, States: WordStates}
	if raw, err = os.ReadFile(filepath.Join("testdata", "hsgq-onutable.json")); err != nil {
		t.Fatal(err)
	}
	if snaps["hsgq-onutable.json"], err = parseHSGQ(raw); err != nil {
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
			write := func(text bool) string {
				b := collector.NewBatch(text)
				emit(b, snap, 90*time.Second, slog.New(slog.DiscardHandler))
				var out bytes.Buffer
				if err := b.WriteText(&out); err != nil {
					t.Fatal(err)
				}
				return out.String()
			}
			lines, samples := write(true), write(false)
			if lines != samples {
				t.Errorf("text lines and Samples differ:\n--- lines\n%s\n--- samples\n%s", lines, samples)
			}
			if !strings.Contains(lines, "olt_onu_info{") || !strings.Contains(lines, "olt_pon_onus{") {
				t.Errorf("no ONU series:\n%s", lines)
			}
		})
	}
}
