package collector

import (
	"io"
	"math"
	"math/bits"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
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
//
// The gzip is klauspost/compress's, a drop-in for compress/gzip that writes the same
// format (any gzip reader reads it; TestGzipAnswerIsPlainTextCompressed decodes it with
// the standard library, the e2e tests with Prometheus) about a third faster at
// BestSpeed: compressing an OLT's 197 KB answer cost as much as parsing and exporting it.
var (
	gzipWriters = sync.Pool{New: func() any {
		gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // BestSpeed is a valid level: no error
		return gz
	}}
	textBuffers = sync.Pool{New: func() any { b := make([]byte, 0, textBufferSize); return &b }}
)

// textBufferSize is how much text writeText gathers before it writes to the client.
const textBufferSize = 64 << 10

// writeScrape answers a scrape. When every series is a Sample and the client takes the text
// format (Prometheus does, unless told to prefer protobuf), it writes the text itself;
// otherwise it goes through a registry and promhttp, which also negotiates the other formats.
//
// The direct path does not repeat the registry's consistency checks (duplicate series,
// label validity): Family and Sample guarantee label validity, collectors' tests check for
// duplicates with testutil, and ?debug=true answers through the checking registry.
func writeScrape(w http.ResponseWriter, r *http.Request, b *Batch) {
	if len(b.runs) > 0 && len(b.others) > 0 {
		panic("collector: a scrape wrote text lines and also added metrics that are not Samples")
	}
	if len(b.runs) == 0 && (len(b.others) > 0 || !answersText(r)) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(&replay{metrics: b.Metrics()})
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", textContentType)
	w.Header().Add("Vary", "Accept")
	w.Header().Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			_ = gz.Close()
			gz.Reset(nil) // drop the reference to w while pooled
			gzipWriters.Put(gz)
		}()
		out = gz
	}
	// An error here is the client gone away: nothing useful is left to do with it.
	_ = writeText(out, b)
}

// answersText reports whether the answer to r is the text format written by writeText.
func answersText(r *http.Request) bool {
	return expfmt.NegotiateAccept(r.Header, acceptedFormats...).FormatType() == expfmt.TypeTextPlain
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
				return false
			}
		}
		return true
	}
	return false
}

// textGroup is one family's series in writeText: how many, and where they start in the
// sorted order.
type textGroup struct {
	family    *Family
	n, offset int32
	// lines are the family's series written as text by Lines, or nil for Samples.
	lines []byte
}

// writeText writes the batch's Samples to w in the text format: families in name order,
// each family's series in the order the collector added them.
func writeText(w io.Writer, b *Batch) error {
	bp := textBuffers.Get().(*[]byte)
	t := &textWriter{w: w, buf: (*bp)[:0]}
	defer func() {
		if cap(t.buf) <= 4*textBufferSize { // a buffer grown by a huge line is not kept
			*bp = t.buf[:0]
			textBuffers.Put(bp)
		}
	}()
	samples := b.samples
	// The collector added each family's series together (the OLT's shared series do):
	// write the runs in name order, no per-series grouping needed. Otherwise group them.
	groups, ok := familyRuns(samples)
	var order []int32
	if !ok {
		groups, order = groupByFamily(b)
	}
	for _, g := range withTextRuns(groups, b) {
		var err error
		switch {
		case g.lines != nil:
			err = t.text(g.family, g.lines)
		case order != nil:
			err = t.family(g.family, samples, order[g.offset:g.offset+g.n])
		default:
			err = t.family(g.family, samples[g.offset:g.offset+g.n], nil)
		}
		if err != nil {
			return err
		}
	}
	return t.flush()
}

// withTextRuns merges the families Lines wrote as text (each with at least one series)
// into groups, in name order. A family both written as text and added as Samples is a
// collector's bug, and would make the exposition invalid: it panics.
func withTextRuns(groups []textGroup, b *Batch) []textGroup {
	if len(b.runs) == 0 {
		return groups
	}
	for _, r := range b.runs {
		if r.n > 0 {
			groups = append(groups, textGroup{family: r.family, n: r.n, lines: b.lines[r.start:r.end]})
		}
	}
	slices.SortFunc(groups, func(a, b textGroup) int { return strings.Compare(a.family.name, b.family.name) })
	for i := 1; i < len(groups); i++ {
		if groups[i].family == groups[i-1].family {
			panic("collector: " + groups[i].family.name + " written as text lines and added as Samples")
		}
	}
	return groups
}

// text writes f's header and lines already written as text.
func (t *textWriter) text(f *Family, lines []byte) error {
	if cap(t.buf)-len(t.buf) < len(f.header)+lineRoom {
		if err := t.flush(); err != nil {
			return err
		}
	}
	t.buf = append(t.buf, f.header...)
	if cap(t.buf)-len(t.buf) >= len(lines) {
		t.buf = append(t.buf, lines...)
		return nil
	}
	if err := t.flush(); err != nil {
		return err
	}
	_, err := t.w.Write(lines)
	return err
}

// textWriter gathers lines in buf and writes them to w in large pieces. Lines are appended
// to buf directly (not assembled elsewhere and copied, as through a bufio.Writer).
type textWriter struct {
	w   io.Writer
	buf []byte
}

func (t *textWriter) flush() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := t.w.Write(t.buf)
	t.buf = t.buf[:0]
	return err
}

// maxRuns bounds familyRuns' work on a batch whose families are interleaved: past it, the
// counting sort is the quicker way.
const maxRuns = 64

// familyRuns returns the batch's runs of series of one family, sorted by name, when every
// family is one run.
func familyRuns(samples []Sample) ([]textGroup, bool) {
	var buf [maxRuns]textGroup
	runs := buf[:0]
	for i := range samples {
		f := samples[i].family
		if len(runs) > 0 && runs[len(runs)-1].family == f {
			runs[len(runs)-1].n++
			continue
		}
		if len(runs) == maxRuns {
			return nil, false
		}
		runs = append(runs, textGroup{family: f, n: 1, offset: int32(i)})
	}
	slices.SortFunc(runs, func(a, b textGroup) int { return strings.Compare(a.family.name, b.family.name) })
	for i := 1; i < len(runs); i++ {
		if runs[i].family == runs[i-1].family {
			return nil, false // a family in two runs: its series must be written together
		}
	}
	return slices.Clone(runs), true
}

// groupByFamily returns the families of the batch in name order, each with its number of
// series, and the indices of the series grouped that way.
//
// It groups with a counting sort over the batch's own scratch space (no allocation once
// the batch is pooled): a scrape has a few families and up to tens of thousands of series.
func groupByFamily(b *Batch) ([]textGroup, []int32) {
	samples := b.samples
	if cap(b.order) < 2*len(samples) {
		b.order = make([]int32, 2*len(samples))
	}
	group := b.order[:len(samples)]                 // the group of each sample
	order := b.order[len(samples) : 2*len(samples)] // sample indices, grouped
	var groups []textGroup
	var index map[*Family]int32 // only for scrapes with many families: a scan is quicker for few
	const scanAtMost = 16
	for i := range samples {
		f := samples[i].family
		g := int32(-1)
		if index != nil {
			if k, ok := index[f]; ok {
				g = k
			}
		} else {
			for k := range groups {
				if groups[k].family == f {
					g = int32(k)
					break
				}
			}
		}
		if g < 0 {
			g = int32(len(groups))
			groups = append(groups, textGroup{family: f})
			if index != nil {
				index[f] = g
			} else if len(groups) > scanAtMost {
				index = make(map[*Family]int32, 2*len(groups))
				for k := range groups {
					index[groups[k].family] = int32(k)
				}
			}
		}
		groups[g].n++
		group[i] = g
	}
	byName := make([]int32, len(groups))
	for k := range byName {
		byName[k] = int32(k)
	}
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(groups[a].family.name, groups[b].family.name) })
	var next int32
	for _, k := range byName {
		groups[k].offset = next
		next += groups[k].n
	}
	for i, g := range group {
		order[groups[g].offset] = int32(i)
		groups[g].offset++
	}
	sorted := make([]textGroup, len(groups))
	for i, k := range byName {
		sorted[i] = groups[k]
		sorted[i].offset -= sorted[i].n // the loop above moved it to the group's end
	}
	return sorted, order
}

// family writes f's header and its series: samples[i] for each i of order, or every
// sample when order is nil.
func (t *textWriter) family(f *Family, samples []Sample, order []int32) error {
	if cap(t.buf)-len(t.buf) < len(f.header)+lineRoom {
		if err := t.flush(); err != nil {
			return err
		}
	}
	t.buf = append(t.buf, f.header...)
	n := len(samples)
	if order != nil {
		n = len(order)
	}
	for k := range n {
		s := &samples[k]
		if order != nil {
			s = &samples[order[k]]
		}
		if cap(t.buf)-len(t.buf) < lineRoom {
			if err := t.flush(); err != nil {
				return err
			}
		}
		// A line longer than lineRoom still works: append grows the buffer.
		line := append(t.buf, f.open...)
		for j, v := range s.labelValues {
			if j > 0 {
				line = append(line, f.between[j-1]...)
			}
			line = appendLabelValue(line, v)
		}
		if len(s.labelValues) > 0 {
			line = append(line, `"} `...)
		}
		line = appendFloat(line, s.value)
		t.buf = append(line, '\n')
	}
	return nil
}

// lineRoom is the free space textWriter wants in its buffer before it starts a line:
// enough for nearly every series line.
const lineRoom = 512

// appendLabelValue escapes backslash, double quote and newline, as the text format requires,
// and repairs invalid UTF-8 (see validUTF8).
func appendLabelValue(b []byte, v string) []byte {
	if plainLabelValue(v) {
		return append(b, v...)
	}
	v = validUTF8(v)
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// plainLabelValue reports whether v is written as it is: ASCII without backslash, double
// quote or newline. Every label value of every series passes here, so it looks at eight
// bytes at a time (names, MACs and firmware strings are mostly 8 to 20 bytes).
func plainLabelValue(v string) bool {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		// Byte by byte, which the compiler merges into one load.
		x := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		if x&highBits|zeroByte(x^('\\'*lowBits))|zeroByte(x^('"'*lowBits))|zeroByte(x^('\n'*lowBits)) != 0 {
			return false
		}
	}
	for ; i < len(v); i++ {
		if !plainByte[v[i]] {
			return false
		}
	}
	return true
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// zeroByte is not 0 exactly when one of x's bytes is 0: the lowest zero byte's
// subtraction borrows into its high bit, which was clear, and no byte below it borrows.
func zeroByte(x uint64) uint64 { return (x - lowBits) &^ x & highBits }

// plainByte says which bytes plainLabelValue lets through: one lookup per byte instead of
// four comparisons.
var plainByte = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c != '\\' && c != '"' && c != '\n'
	}
	return t
}()

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
	// Whole numbers of up to 15 digits (counts, seconds, bytes) are their own shortest
	// form, written at a fraction of the cost of looking for it: below 1e6 as they are,
	// from 1e6 with the exponent 'g' gives them (2.232e+06).
	if f == math.Trunc(f) {
		switch a := math.Abs(f); {
		case a < 1e6:
			return appendUnsigned(b, uint64(a), f < 0)
		case a < maxDecimalDigits:
			return appendWhole(b, f)
		}
	}
	if out, ok := appendShortDecimal(b, f); ok {
		return out
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendPointed writes n·10^-k (k ≥ 1, n < 10^15) as decimal digits with a point, "0."
// and zeros first when n < 10^k: the digits written backwards, two at a time, straight
// into b's room, sized first (through a small array and a copy, they cost half as much
// again).
func appendPointed(b []byte, n uint64, k int, negative bool) []byte {
	size := max(digitCount(n), k+1) + 1 // the digits, a 0 before the point if need be, the point
	if negative {
		size++
	}
	start := len(b)
	b = grown(b, size)
	out := b[start:]
	i := len(out)
	for ; k >= 2; k -= 2 {
		i -= 2
		n = putPair(out[i:i+2], n)
	}
	if k == 1 {
		i--
		out[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	out[i] = '.'
	putDigits(out[:i], n)
	if negative {
		out[0] = '-'
	}
	return b
}

// digitPairs are 00 to 99, two bytes each.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// putPair writes n's last two digits into out (two bytes) and returns n without them.
func putPair(out []byte, n uint64) uint64 {
	q := n / 100
	r := (n - q*100) * 2
	out[0], out[1] = digitPairs[r], digitPairs[r+1]
	return q
}

// putDigits writes n's digits at the end of out (room for them at least; 0 is "0").
func putDigits(out []byte, n uint64) {
	i := len(out)
	for n >= 10 {
		i -= 2
		n = putPair(out[i:i+2], n)
	}
	if n > 0 || i == len(out) {
		out[i-1] = byte('0' + n)
	}
}

// appendUnsigned writes n (below 10^15), a minus sign first when negative, as appendPointed
// writes its digits.
func appendUnsigned(b []byte, n uint64, negative bool) []byte {
	size := digitCount(n)
	if negative {
		size++
	}
	start := len(b)
	b = grown(b, size)
	putDigits(b[start:], n)
	if negative {
		b[start] = '-'
	}
	return b
}

// grown returns b extended by n bytes of room to write into.
func grown(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		b = slices.Grow(b, n)
	}
	return b[:len(b)+n]
}

// digitCount is the number of decimal digits of n (1 for 0).
func digitCount(n uint64) int {
	// bits.Len64 × log10(2) is the count or one short of it (1233/4096 ≈ log10 2).
	d := bits.Len64(n) * 1233 >> 12
	if d < len(uintPow10) && n >= uintPow10[d] {
		d++
	}
	return max(d, 1)
}

// decimalPow10 are the powers of ten appendShortDecimal tries, all exact as float64.
var decimalPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// appendShortDecimal writes f the way strconv's shortest 'g' format does, for the values
// devices mostly report: decimals of a few places (-17.06 dBm, 3.3 V, 0.0142 A) between
// 1e-4 and 1e6, where 'g' writes no exponent. It is several times cheaper than finding
// the shortest representation in general; ok is false for any other value.
//
// Why it is exact: it looks for the fewest decimal places k ≤ 8 such that n = round(|f|·10^k)
// gives back |f| as n/10^k. Both are exact float64 integers (n < 10^14 < 2^53) and IEEE
// division rounds correctly, so |f| is the float64 nearest the decimal n·10^-k. Two
// different decimals of at most 15 significant digits never round to the same float64, so
// no shorter decimal names |f|, and with k the fewest, n has no trailing zero: its digits
// are the shortest representation. FuzzAppendFloat holds it to strconv.
//
// (One try at k = 8 and stripping N's trailing zeros is exact too, but measured slower:
// readings have one to four places, and the zeros cost more than the tries.)
func appendShortDecimal(b []byte, f float64) ([]byte, bool) {
	a := math.Abs(f)
	if !(a >= 1e-4 && a < 1e6) {
		return b, false
	}
	for k := 1; k < len(decimalPow10); k++ {
		m := math.Round(a * decimalPow10[k])
		if m/decimalPow10[k] != a {
			continue
		}
		return appendPointed(b, uint64(m), k, f < 0), true
	}
	return b, false
}
