package collector

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

var (
	// textContentType is the Prometheus text format, version 0.0.4.
	textContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))
	// acceptedFormats are the formats promhttp offers by default (no OpenMetrics).
	acceptedFormats = expfmt.DefaultAcceptedFormats()
)

// gzipWriters and textBuffers are reused across answers: a gzip writer allocates about
// 1 MB of compression state and the buffer 64 KB, which per answer dominated the CPU of a
// small scrape (a probe) through allocation and garbage collection. promhttp pools its
// gzip writers the same way.
var (
	gzipWriters = sync.Pool{New: func() any {
		gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // BestSpeed is a valid level: no error
		return gz
	}}
	textBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}
)

// writeScrape answers a scrape. When every series is a Sample and the client takes the text
// format (Prometheus does, unless told to prefer protobuf), it writes the text itself;
// otherwise it goes through a registry and promhttp, which also negotiates the other formats.
//
// The direct path does not repeat the registry's consistency checks (duplicate series,
// label validity): Family and Sample guarantee label validity, collectors' tests check for
// duplicates with testutil, and ?debug=true answers through the checking registry.
func writeScrape(w http.ResponseWriter, r *http.Request, metrics []prometheus.Metric) {
	samples, ok := asSamples(metrics)
	if !ok || expfmt.NegotiateAccept(r.Header, acceptedFormats...).FormatType() != expfmt.TypeTextPlain {
		reg := prometheus.NewRegistry()
		reg.MustRegister(&replay{metrics: metrics})
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", textContentType)
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			_ = gz.Close()
			gz.Reset(nil) // drop the reference to w while pooled
			gzipWriters.Put(gz)
		}()
		out = gz
	}
	buf := textBuffers.Get().(*bufio.Writer)
	buf.Reset(out)
	// An error here is the client gone away: nothing useful is left to do with it.
	_ = writeText(buf, samples)
	_ = buf.Flush()
	buf.Reset(nil)
	textBuffers.Put(buf)
}

func asSamples(metrics []prometheus.Metric) ([]*Sample, bool) {
	samples := make([]*Sample, len(metrics))
	for i, m := range metrics {
		s, ok := m.(*Sample)
		if !ok {
			return nil, false
		}
		samples[i] = s
	}
	return samples, true
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// writeText writes samples in the text format: families in name order, each family's
// series in the order the collector sent them.
func writeText(w *bufio.Writer, samples []*Sample) error {
	type group struct {
		family  *Family
		samples []*Sample
	}
	index := map[*Family]int{}
	var groups []group
	for _, s := range samples {
		i, ok := index[s.family]
		if !ok {
			i = len(groups)
			index[s.family] = i
			groups = append(groups, group{family: s.family})
		}
		groups[i].samples = append(groups[i].samples, s)
	}
	slices.SortFunc(groups, func(a, b group) int { return strings.Compare(a.family.name, b.family.name) })

	scratch := make([]byte, 0, 64)
	for _, g := range groups {
		if _, err := w.WriteString(g.family.header); err != nil {
			return err
		}
		for _, s := range g.samples {
			w.WriteString(g.family.name)
			if len(s.labelValues) > 0 {
				w.WriteByte('{')
				for i, v := range s.labelValues {
					if i > 0 {
						w.WriteByte(',')
					}
					w.WriteString(g.family.labelNames[i])
					w.WriteString(`="`)
					writeLabelValue(w, v)
					w.WriteByte('"')
				}
				w.WriteByte('}')
			}
			w.WriteByte(' ')
			scratch = appendFloat(scratch[:0], s.value)
			scratch = append(scratch, '\n')
			if _, err := w.Write(scratch); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeLabelValue escapes backslash, double quote and newline, as the text format requires.
func writeLabelValue(w *bufio.Writer, v string) {
	if !needsEscaping(v) {
		w.WriteString(v)
		return
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		case '\n':
			w.WriteString(`\n`)
		default:
			w.WriteByte(c)
		}
	}
}

// needsEscaping is strings.ContainsAny(v, "\\\"\n") without its generic set lookup, which
// showed in profiles: every label value of every series passes here.
func needsEscaping(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' {
			return true
		}
	}
	return false
}

// appendFloat formats a sample value the way the text format (and expfmt) writes it.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	// Whole numbers below 1e6 (counts, seconds, bytes of small things) print the same with
	// AppendInt, at a fraction of the cost of finding the shortest float representation:
	// 'g' with the shortest precision switches to an exponent only from 1e6 (2.232e+06).
	if f == math.Trunc(f) && math.Abs(f) < 1e6 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
