package promapi

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeMatrix(t *testing.T) {
	res, err := Decode(fixture(t, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != TypeMatrix || len(res.Matrix) != 2 {
		t.Fatalf("got %+v", res)
	}
	s := res.Matrix[0]
	if s.Labels["instance"] != "hotspot-pasar" || len(s.Samples) != 3 {
		t.Fatalf("series 0: %+v", s)
	}
	wantT := []int64{1700000000000, 1700000015500, 1700000030125}
	wantV := []float64{1699990000, 1699990001, 1700000020}
	for i, smp := range s.Samples {
		if smp.T.UnixMilli() != wantT[i] || smp.V != wantV[i] {
			t.Errorf("sample %d = %v %v, want %d %v", i, smp.T.UnixMilli(), smp.V, wantT[i], wantV[i])
		}
	}
	if len(res.Matrix[1].Samples) != 0 {
		t.Errorf("series 1 should have no samples: %+v", res.Matrix[1])
	}
}

func TestDecodeVectorSpecialValuesAndInfos(t *testing.T) {
	res, err := Decode(fixture(t, "vector.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Vector) != 3 {
		t.Fatalf("got %d series", len(res.Vector))
	}
	if !math.IsNaN(res.Vector[0].V) || !math.IsInf(res.Vector[1].V, 1) || res.Vector[2].V != 3600 {
		t.Errorf("values: %v %v %v", res.Vector[0].V, res.Vector[1].V, res.Vector[2].V)
	}
	if res.Vector[1].Labels["user"] != "Café" {
		t.Errorf("label: %q", res.Vector[1].Labels["user"])
	}
	if got := res.Vector[0].T.UnixMilli(); got != 1700000000781 {
		t.Errorf("time %d", got)
	}
	if len(res.Infos) != 1 {
		t.Errorf("infos: %v", res.Infos)
	}
}

func TestDecodeEmptyScalarAndExtraFields(t *testing.T) {
	res, err := Decode(fixture(t, "empty.json"))
	if err != nil || res.Type != TypeMatrix || len(res.Matrix) != 0 {
		t.Fatalf("empty: %+v %v", res, err)
	}
	res, err = Decode(fixture(t, "scalar.json"))
	if err != nil || res.Scalar == nil || res.Scalar.V != 42 {
		t.Fatalf("scalar: %+v %v", res, err)
	}
	// VictoriaMetrics' isPartial:false and stats are fine.
	res, err = Decode(fixture(t, "stats-extra.json"))
	if err != nil || len(res.Vector) != 1 {
		t.Fatalf("stats-extra: %+v %v", res, err)
	}
}

func TestDecodeRefusals(t *testing.T) {
	for _, tc := range []struct {
		file, errType, contains string
	}{
		{"error-bad-data.json", "bad_data", "parse error"},
		{"error-timeout.json", "timeout", "query timed out"},
		{"warnings-thanos.json", "warnings", "connection refused"},
		{"partial-victoriametrics.json", "partial", "isPartial"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Decode(fixture(t, tc.file))
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want an *APIError, got %v", err)
			}
			if apiErr.Type != tc.errType || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got type %q, %q; want %q containing %q", apiErr.Type, err, tc.errType, tc.contains)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range []struct {
		file, contains string
	}{
		{"histogram.json", "native histograms"},
		{"bad-value.json", "not a quoted number"},
		{"bad-pair.json", "more elements"},
		{"out-of-order.json", "out of order"},
		{"unknown-field.json", "unknown field"},
		{"not-json.html", "not a Prometheus API answer"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Decode(fixture(t, tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("want an error containing %q, got %v", tc.contains, err)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				t.Errorf("a malformed answer is not the server's refusal: %v", err)
			}
		})
	}
	for _, body := range []string{
		`{"status":"success"}`,
		`{"status":"success","data":{"resultType":"matrix"}}`,
		`{"status":"success","data":{"resultType":"blob","result":[]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"values":[[1,"1"]]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"value":[1,"1"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","1"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1e300,"1"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`,
		`{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`,
		`{"status":"maybe","data":{"resultType":"vector","result":[]}}`,
		``,
	} {
		if _, err := Decode([]byte(body)); err == nil {
			t.Errorf("Decode(%s) accepted it", body)
		}
	}
}

func TestFormatTimeAndRange(t *testing.T) {
	at := time.UnixMilli(1700000000781)
	if got := FormatTime(at); got != "1700000000.781" {
		t.Errorf("FormatTime = %s", got)
	}
	if got := FormatTime(time.Unix(1700000000, 0)); got != "1700000000.000" {
		t.Errorf("FormatTime = %s", got)
	}
	for d, want := range map[time.Duration]string{
		time.Second:                   "1000ms",
		1500 * time.Microsecond:       "2ms",
		0:                             "1ms",
		6 * time.Hour:                 "21600000ms",
		time.Minute + time.Nanosecond: "60001ms",
	} {
		if got := FormatRange(d); got != want {
			t.Errorf("FormatRange(%v) = %s, want %s", d, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			f.Add(fixture(f, e.Name()))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := Decode(body)
		if err != nil {
			if res != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		switch res.Type {
		case TypeMatrix:
			for _, s := range res.Matrix {
				if s.Labels == nil {
					t.Fatal("series without labels")
				}
				for i := 1; i < len(s.Samples); i++ {
					if !s.Samples[i].T.After(s.Samples[i-1].T) {
						t.Fatal("samples out of order")
					}
				}
			}
		case TypeVector:
			for _, s := range res.Vector {
				if s.Labels == nil {
					t.Fatal("series without labels")
				}
			}
		case TypeScalar:
			if res.Scalar == nil {
				t.Fatal("scalar without a value")
			}
		default:
			t.Fatalf("accepted result type %q", res.Type)
		}
	})
}

// BenchmarkDecode20kSeries decodes an answer the size of a plan's for 10,000 users: 20,000
// series with one sample each.
func BenchmarkDecode20kSeries(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for i := range 20000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"metric":{"__name__":"mikrotik_hotspot_user_uptime_seconds","instance":"hotspot-pasar","job":"ronda","user":"vc%05d"},"values":[[1700000000.123,"%d"]]}`, i, i*7)
	}
	body.WriteString(`]}}`)
	data := []byte(body.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := Decode(data)
		if err != nil || len(res.Matrix) != 20000 {
			b.Fatal(err)
		}
	}
}
