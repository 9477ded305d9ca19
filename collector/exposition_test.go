package collector

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var (
	testGauge   = NewFamily("test_value_bytes", "A value with \\ and a\nnewline in its help.", prometheus.GaugeValue, "user", "server")
	testCounter = NewFamily("test_events_total", "Events.", prometheus.CounterValue, "kind")
	testPlain   = NewFamily("test_up", "Up.", prometheus.GaugeValue)
)

// registryText is what client_golang's own registry and encoder make of the same metrics.
func registryText(t *testing.T, metrics []prometheus.Metric) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&replay{metrics: metrics})
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("registry refuses the metrics: %v", err)
	}
	var b bytes.Buffer
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func batchOf(metrics []prometheus.Metric) *Batch {
	b := new(Batch)
	for _, m := range metrics {
		b.AddMetric(m)
	}
	return b
}

func directText(t *testing.T, samples []*Sample) string {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	var batch Batch
	for _, s := range samples {
		batch.AddMetric(s)
	}
	if err := writeText(w, &batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// parsed reads exposition text back into families, normalised so that series order and
// label order (which the format leaves free) do not matter.
func parsed(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("invalid exposition text: %v\n%s", err, text)
	}
	return families
}

func sameFamilies(t *testing.T, got, want string) {
	t.Helper()
	g, w := canonical(t, got), canonical(t, want)
	if !slices.Equal(g, w) {
		t.Errorf("direct text and client_golang differ\ngot:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// canonical lists every family's help and type and every series with sorted labels, sorted:
// the text format leaves series order and label order free.
func canonical(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for name, mf := range parsed(t, text) {
		out = append(out, fmt.Sprintf("%s HELP %q TYPE %s", name, mf.GetHelp(), mf.GetType()))
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			slices.Sort(labels)
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			out = append(out, fmt.Sprintf("%s{%s} %v", name, strings.Join(labels, ","), v))
		}
	}
	slices.Sort(out)
	return out
}

func TestWriteTextMatchesClientGolang(t *testing.T) {
	values := []float64{0, 1, -1, 0.5, 1e-9, 123456789, 2.232e+06, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), -0.25, 999999, 1e6, -999999, -1e6, 123456, 1e21, -17.06, 46, math.Copysign(0, -1)}
	labelValues := []string{"", "budi", `quote " inside`, `back\slash`, "new\nline", "Café", "ünïcödé ✓", "a,b=c}"}
	rng := rand.New(rand.NewPCG(1, 2))
	var samples []*Sample
	var metrics []prometheus.Metric
	add := func(s *Sample) {
		samples = append(samples, s)
		metrics = append(metrics, s)
	}
	seen := map[string]bool{}
	for i := range 200 {
		user, server := labelValues[rng.IntN(len(labelValues))], labelValues[rng.IntN(len(labelValues))]
		if key := user + "\x00" + server; !seen[key] {
			seen[key] = true
			add(testGauge.Sample(values[i%len(values)], user, server))
		}
	}
	for i, v := range labelValues {
		add(testCounter.Sample(float64(i*1000), v))
	}
	add(testPlain.Sample(1))
	sameFamilies(t, directText(t, samples), registryText(t, metrics))
}

func TestWriteTextNaN(t *testing.T) {
	// NaN never equals itself, so it gets its own check.
	got := directText(t, []*Sample{testPlain.Sample(math.NaN())})
	if !strings.HasSuffix(got, "test_up NaN\n") {
		t.Errorf("NaN written as:\n%s", got)
	}
}

func TestWriteTextGroupsFamiliesInNameOrder(t *testing.T) {
	got := directText(t, []*Sample{
		testPlain.Sample(1),
		testCounter.Sample(1, "a"),
		testPlain.Sample(0), // a second series of an earlier family joins it
		testCounter.Sample(2, "b"),
	})
	want := "# HELP test_events_total Events.\n# TYPE test_events_total counter\n" +
		"test_events_total{kind=\"a\"} 1\ntest_events_total{kind=\"b\"} 2\n" +
		"# HELP test_up Up.\n# TYPE test_up gauge\ntest_up 1\ntest_up 0\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A batch whose families each come as one run (the OLT's) is written from the runs, a
// batch with families interleaved by the counting sort: the same series in the same
// family order give the same bytes either way, and what client_golang writes.
func TestWriteTextRunsAndInterleavedAgree(t *testing.T) {
	var byFamily, interleaved []*Sample
	fams := []*Family{testGauge, testCounter} // not in name order (test_value_bytes, test_events_total)
	for _, f := range fams {
		for u := range 5 {
			byFamily = append(byFamily, sampleOf(f, u))
		}
	}
	for u := range 5 {
		for _, f := range fams {
			interleaved = append(interleaved, sampleOf(f, u))
		}
	}
	if _, ok := familyRuns(batchOfSamples(byFamily).samples); !ok {
		t.Fatal("the family-major batch did not take the runs path")
	}
	if _, ok := familyRuns(batchOfSamples(interleaved).samples); ok {
		t.Fatal("the interleaved batch took the runs path")
	}
	runs, sorted := directText(t, byFamily), directText(t, interleaved)
	if runs != sorted {
		t.Errorf("runs path:\n%s\ncounting sort:\n%s", runs, sorted)
	}
	metrics := make([]prometheus.Metric, len(byFamily))
	for i, s := range byFamily {
		metrics[i] = s
	}
	sameFamilies(t, runs, registryText(t, metrics))
	// More runs than familyRuns looks at: the counting sort takes over, same text.
	var many []*Sample
	for u := range maxRuns + 1 {
		many = append(many, sampleOf(fams[u%2], u))
	}
	if _, ok := familyRuns(batchOfSamples(many).samples); ok {
		t.Error("more than maxRuns runs took the runs path")
	}
	directText(t, many)
}

func sampleOf(f *Family, u int) *Sample {
	labels := make([]string, len(f.labelNames))
	for i := range labels {
		labels[i] = fmt.Sprintf("v%d-%d", u, i)
	}
	return f.Sample(float64(u)+0.5, labels...)
}

func batchOfSamples(samples []*Sample) *Batch {
	var b Batch
	for _, s := range samples {
		b.AddMetric(s)
	}
	return &b
}

// Lines longer than the writer's buffer, and more text than fits in it, come out whole
// and in order.
func TestWriteTextLongLines(t *testing.T) {
	long := strings.Repeat("x", 3*textBufferSize)
	var samples []*Sample
	for i := range 3000 {
		v := fmt.Sprint("u", i)
		if i%1000 == 7 {
			v = long + v
		}
		samples = append(samples, testCounter.Sample(float64(i), v))
	}
	text := directText(t, samples)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3002 {
		t.Fatalf("%d lines, want 3002", len(lines))
	}
	for i, l := range lines[2:] {
		v := fmt.Sprint("u", i)
		if i%1000 == 7 {
			v = long + v
		}
		if want := fmt.Sprintf("test_events_total{kind=%q} %d", v, i); l != want {
			t.Fatalf("line %d: %.80q…, want %.80q…", i, l, want)
		}
	}
}

func TestSampleRepairsInvalidUTF8WithoutTouchingTheCallersSlice(t *testing.T) {
	shared := []string{"Caf\xe9", "ok"}
	s := testGauge.Sample(1, shared...)
	if shared[0] != "Caf\xe9" {
		t.Errorf("caller's slice changed to %q", shared[0])
	}
	text := directText(t, []*Sample{s})
	if !strings.Contains(text, `user="Caf`+"\uFFFD"+`"`) {
		t.Errorf("repaired value not in output:\n%s", text)
	}
	parsed(t, text) // valid exposition
	// The registry's paths (protobuf, ?debug=true) get the repaired value too.
	if reg := registryText(t, []prometheus.Metric{s}); !strings.Contains(reg, `user="Caf`+"\uFFFD"+`"`) {
		t.Errorf("repaired value not in the registry's output:\n%s", reg)
	}
}

func TestSamplePanicsOnWrongLabelCount(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a missing label value")
		}
	}()
	testGauge.Sample(1, "only-one")
}

func TestWriteScrapeNegotiates(t *testing.T) {
	metrics := []prometheus.Metric{testPlain.Sample(1), testCounter.Sample(3, "x")}
	serve := func(header http.Header, metrics []prometheus.Metric) *http.Response {
		req := httptest.NewRequest(http.MethodGet, "/mikrotik", nil)
		req.Header = header
		rec := httptest.NewRecorder()
		writeScrape(rec, req, batchOf(metrics))
		return rec.Result()
	}

	// Prometheus's usual request: text format, gzip.
	resp := serve(http.Header{
		"Accept":          {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
		"Accept-Encoding": {"gzip"},
	}, metrics)
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("headers: %v", resp.Header)
	}
	gz, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(gz)
	sameFamilies(t, string(body), registryText(t, metrics))

	// Protobuf asked for: the registry path answers in protobuf.
	resp = serve(http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}}, metrics)
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "application/vnd.google.protobuf") {
		t.Errorf("protobuf request answered with %q", ct)
	}

	// A metric that is not a Sample (a collector using client_golang directly) still works.
	other := prometheus.MustNewConstMetric(prometheus.NewDesc("test_other", "Other.", nil, nil), prometheus.GaugeValue, 5)
	resp = serve(http.Header{}, append(metrics, other))
	body, _ = io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "test_other 5") || !strings.Contains(string(body), "test_up 1") {
		t.Errorf("mixed metrics answer:\n%s", body)
	}
}

// The gzip writers and buffers are pooled: answers in a row, gzipped or not, each carry
// their own series and nothing of the one before.
func TestWriteScrapeReusesWritersCleanly(t *testing.T) {
	for i := range 6 {
		metrics := []prometheus.Metric{testPlain.Sample(float64(i)), testCounter.Sample(float64(10+i), fmt.Sprint("x", i))}
		req := httptest.NewRequest(http.MethodGet, "/mikrotik", nil)
		gzipped := i%3 != 2
		if gzipped {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		writeScrape(rec, req, batchOf(metrics))
		var body io.Reader = rec.Body
		if gzipped {
			gz, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
			body = gz
		}
		text, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		sameFamilies(t, string(text), registryText(t, metrics))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "identity": false, "deflate, gzip;q=0.5": true, "gzipped": false, " gzip ": true,
		"GZIP": true, "gzip;q=0, identity": false, "gzip; q=0.0": false, "identity, gzip;q=0.001": true,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", header)
		if got := acceptsGzip(req); got != want {
			t.Errorf("Accept-Encoding %q: got %v, want %v", header, got, want)
		}
	}
}

// TestTextAnswersVary: a text answer says it depends on Accept (text or protobuf) and
// Accept-Encoding (gzip or not), compressed or not, so that a cache between keeps them
// apart.
func TestTextAnswersVary(t *testing.T) {
	fam := NewFamily("test_vary", "Vary.", prometheus.GaugeValue)
	var b Batch
	b.Add(fam, 1)
	for _, enc := range []string{"", "gzip"} {
		req := httptest.NewRequest(http.MethodGet, "/olt", nil)
		req.Header.Set("Accept-Encoding", enc)
		rec := httptest.NewRecorder()
		writeScrape(rec, req, &b)
		if vary := rec.Header().Values("Vary"); !slices.Contains(vary, "Accept") || !slices.Contains(vary, "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary %v, want Accept and Accept-Encoding", enc, vary)
		}
	}
}

// TestGzipAnswerIsPlainTextCompressed: a large answer (several of writeText's pieces, label
// values that need escaping and repair) asked for with gzip decodes, with the standard
// library's reader, to exactly the plain answer.
func TestGzipAnswerIsPlainTextCompressed(t *testing.T) {
	fam := NewFamily("test_big", "Big.", prometheus.GaugeValue, "a", "b")
	var b Batch
	for i := range 20_000 {
		b.Add(fam, float64(i)/7, fmt.Sprint("v", i), []string{"plain", "quo\"te\n", "\xffbad", "Désa"}[i%4])
	}
	answer := func(gzipped bool) []byte {
		req := httptest.NewRequest(http.MethodGet, "/olt", nil)
		if gzipped {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		writeScrape(rec, req, &b)
		if got := rec.Header().Get("Content-Encoding"); (got == "gzip") != gzipped {
			t.Fatalf("gzip asked %v: Content-Encoding %q", gzipped, got)
		}
		return rec.Body.Bytes()
	}
	plain, compressed := answer(false), answer(true)
	if len(plain) < 4*textBufferSize {
		t.Fatalf("the plain answer is only %d bytes: not several pieces", len(plain))
	}
	gz, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(text, plain) {
		t.Errorf("the gzip answer decodes to %d bytes that differ from the %d of the plain one", len(text), len(plain))
	}
	if len(compressed) >= len(plain)/3 {
		t.Errorf("compressed to %d of %d bytes: not compressed", len(compressed), len(plain))
	}
}

// TestPlainLabelValueEightAtATime holds plainLabelValue's eight-byte steps to the byte
// table: every byte value at every place of strings of every length up to 24, on plain
// text and next to another byte that is not plain.
func TestPlainLabelValueEightAtATime(t *testing.T) {
	byByte := func(v string) bool {
		for i := 0; i < len(v); i++ {
			if !plainByte[v[i]] {
				return false
			}
		}
		return true
	}
	base := []byte("Warung Bu Tini, Blok C 12")
	for n := 0; n <= 24; n++ {
		for at := range n {
			for c := range 256 {
				for _, other := range []int{-1, (at + 5) % n} {
					v := slices.Clone(base[:n])
					if other >= 0 && other != at {
						v[other] = 0x80
					}
					v[at] = byte(c)
					if got, want := plainLabelValue(string(v)), byByte(string(v)); got != want {
						t.Fatalf("plainLabelValue(%q) = %v, want %v", v, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkPlainLabelValue: an ONU's label values, by plainLabelValue and, for
// comparison, by the byte table alone.
func BenchmarkPlainLabelValue(b *testing.B) {
	values := []string{"0/1", "0/1:13", "Warung Bu Tini", "E0:E8:E6:01:01:0D", "V2.1.05", "activated", "CtcNegDone", "up", "down", "Toko Maju, Blok C"}
	b.Run("ronda", func(b *testing.B) {
		for b.Loop() {
			for _, v := range values {
				if !plainLabelValue(v) {
					b.Fatal(v)
				}
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			for _, v := range values {
				for i := 0; i < len(v); i++ {
					if !plainByte[v[i]] {
						b.Fatal(v)
					}
				}
			}
		}
	})
}

// TestNewFamilyRefusesNamesTheTextCannotWrite: the text is written with names unquoted, so
// a family whose name or label name is valid only in client_golang's UTF-8 scheme is a
// programming error, caught when it is declared rather than in an answer Prometheus
// cannot parse.
func TestNewFamilyRefusesNamesTheTextCannotWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels []string
	}{
		{"node_memory_Active(anon)_bytes", nil},
		{"node_filesystem_size_bytes", []string{"mount-point"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewFamily(%q, %q) did not panic", tc.name, tc.labels)
				}
			}()
			NewFamily(tc.name, "Help.", prometheus.GaugeValue, tc.labels...)
		}()
	}
	NewFamily("node_memory_Active_anon_bytes", "Help.", prometheus.GaugeValue, "mountpoint") // fine
}
