package collector

import (
	"fmt"
	"io"
	"slices"
	"unsafe"
)

// Lines adds the series of one family. In a batch whose answer is the text format (what
// Prometheus asks for) each series is written straight away as a line of the exposition,
// with no Sample kept per series, the shared first labels (Labels) escaped once for all
// the families they appear in and the last ones (Tail) once for all the series they end;
// otherwise (protobuf, ?debug=true, Scrape through
// client_golang's testutil) it adds Samples as Batch.Add does. Both write the same text
// (TestLinesWriteWhatSamplesWrite).
//
// A family's series must all be added through one Lines, with no other family's Lines
// used in between, and the family must not also be added with Batch.Add: it panics
// otherwise, as Add does for a wrong number of label values.
type Lines struct {
	b   *Batch
	f   *Family
	run int // index of the family's run in b.runs, in a text batch
	// checked is the last Labels' names found to be f's first label names.
	checked []string
}

// textRun is one family's lines in Batch.lines.
type textRun struct {
	family     *Family
	start, end int
	n          int32
}

// Labels are the first label pairs of series in several families, made once with
// Batch.Labels or NewLabels: an ONU's pon and onu start each of its families' series.
// The zero Labels has no labels.
type Labels struct {
	names  []string
	text   []byte   // `pon="0/1",onu="0/1:3"`, escaped: in a text batch
	values []string // in a batch of Samples
}

// Len is the number of labels.
func (l *Labels) Len() int { return len(l.names) }

// NewLabels returns names=values for Lines in any batch, text or not: the values and
// their escaped text both, in memory of their own. A collector may keep them from scrape
// to scrape (an OLT keeps its ONUs' pon and onu until they change) and share them between
// scrapes running at once: nothing changes them.
func NewLabels(names []string, values ...string) Labels {
	if len(values) != len(names) {
		panic(fmt.Sprintf("collector: labels %v, got %d values", names, len(values)))
	}
	return Labels{names: names, values: slices.Clone(values), text: appendPairs(nil, names, values)}
}

// appendPairs appends `name="value"` pairs, escaped, separated by commas.
func appendPairs(b []byte, names, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, names[i]...)
		b = append(b, `="`...)
		b = appendLabelValue(b, v)
		b = append(b, '"')
	}
	return b
}

// Tail is the last label values of a family's series, escaped once: olt_onu_state's
// state="up", made once for every ONU's up series, or an ONU's name, MAC and firmware on
// olt_onu_info, kept until they change. Nothing changes a Tail: it may be kept and shared.
type Tail struct {
	family *Family
	values []string
	text   string // `,state="up"} `: the pairs and the line's closing brace
}

// Tail returns values as the last label values of f's series, for Lines.Add.
func (f *Family) Tail(values ...string) *Tail {
	if len(values) == 0 || len(values) > len(f.labelNames) {
		panic(fmt.Sprintf("collector: %s has labels %v, a tail of %d values", f.name, f.labelNames, len(values)))
	}
	first := len(f.labelNames) - len(values)
	var text []byte
	if first > 0 {
		text = append(text, ',')
	}
	text = appendPairs(text, f.labelNames[first:], values)
	return &Tail{family: f, values: slices.Clone(values), text: string(append(text, f.close...))}
}

// Labels returns names=values for Lines.Add in this batch. In a text batch they are
// escaped here, once, into the batch's scratch space; values is not kept.
func (b *Batch) Labels(names []string, values ...string) Labels {
	if len(values) != len(names) {
		panic(fmt.Sprintf("collector: labels %v, got %d values", names, len(values)))
	}
	if !b.text {
		return Labels{names: names, values: slices.Clone(values)}
	}
	start := len(b.labelText)
	b.labelText = appendPairs(b.labelText, names, values)
	end := len(b.labelText)
	return Labels{names: names, text: b.labelText[start:end:end]}
}

// NewBatch returns an empty batch whose Lines write text (text true, as for Prometheus's
// text answer) or add Samples: for a collector's tests of both paths, with WriteText.
func NewBatch(text bool) *Batch { return &Batch{text: text} }

// WriteText writes the batch's series in the text format, as the framework answers.
func (b *Batch) WriteText(w io.Writer) error { return writeText(w, b) }

// WritesText reports whether the batch's answer is the text format written from the
// batch as it is: Lines then writes text, not Samples.
func (b *Batch) WritesText() bool { return b.text }

// Lines starts adding the series of f.
func (b *Batch) Lines(f *Family) Lines {
	l := Lines{b: b, f: f, run: -1}
	if b.text {
		for _, r := range b.runs {
			if r.family == f {
				panic(fmt.Sprintf("collector: lines of %s started twice in one scrape", f.name))
			}
		}
		b.runs = append(b.runs, textRun{family: f, start: len(b.lines), end: len(b.lines)})
		l.run = len(b.runs) - 1
	}
	return l
}

// Add adds a series: labels, then tail's label values (nil when labels are all the
// family's), by the family's label names. It is the fast path: labels and tail were
// escaped when they were made, so a text line is three copies and a number.
func (l *Lines) Add(labels *Labels, tail *Tail, value float64) {
	f := l.f
	rest, closing := l.tail(tail)
	l.check(labels, len(rest))
	b := l.b
	if !b.text {
		l.addSample(labels.values, rest, value)
		return
	}
	line := l.start(len(f.lineOpen) + len(labels.text) + len(closing) + maxFloatText + 1)
	line = append(line, f.lineOpen...)
	line = append(line, labels.text...)
	line = append(line, closing...)
	line = appendFloat(line, value)
	l.end(append(line, '\n'), 1)
}

// LabelColumn is the first labels of a run of series, one set per series: every ONU's pon
// and onu, in the order they are exported. Lines.AddEach writes a family's series from it,
// family after family, so it is kept in one piece of memory (the sets' escaped text back
// to back) rather than as a Labels each, in places of their own: read again for every
// family, 256 ONUs' labels then stay in the processor's nearest cache. A collector may keep
// a column from scrape to scrape; nothing but its own methods changes it.
type LabelColumn struct {
	names  []string
	text   []byte   // each set's pairs, escaped, back to back
	ends   []int32  // where each set's text ends
	values []string // each set's values, len(names) of them a set: for batches of Samples
}

// NewLabelColumn returns an empty column of label sets with these names.
func NewLabelColumn(names []string) *LabelColumn { return &LabelColumn{names: names} }

// Len is the number of label sets.
func (c *LabelColumn) Len() int { return len(c.ends) }

// Reset empties the column, keeping its memory.
func (c *LabelColumn) Reset() {
	clear(c.values) // no references kept to old values
	c.text, c.ends, c.values = c.text[:0], c.ends[:0], c.values[:0]
}

// Add adds a set of label values, one per name.
func (c *LabelColumn) Add(values ...string) {
	if len(values) != len(c.names) {
		panic(fmt.Sprintf("collector: labels %v, got %d values", c.names, len(values)))
	}
	c.text = appendPairs(c.text, c.names, values)
	c.ends = append(c.ends, int32(len(c.text)))
	c.values = append(c.values, values...)
}

// AddLabels adds the set in l, made with NewLabels with the column's names: its text is
// copied, not escaped again.
func (c *LabelColumn) AddLabels(l *Labels) {
	if !slices.Equal(l.names, c.names) || len(l.values) != len(c.names) {
		panic(fmt.Sprintf("collector: labels %v (with values: %v) added to a column of %v", l.names, len(l.values) == len(l.names), c.names))
	}
	c.text = append(c.text, l.text...)
	c.ends = append(c.ends, int32(len(c.text)))
	c.values = append(c.values, l.values...)
}

// AddEach adds, for each label set of labels, a series with that set, tail (nil when the
// column's labels are all the family's) and values' value at the same index, leaving out
// the NaN ones: a device's reading of every one of its parts (an OLT's RX power of each
// ONU), where NaN stands for a reading the device did not give. values has one value per
// set; a Number read from a decimal is written from its text.
//
// It writes what Add called for each would, with the labels checked once for the family
// and each line made in room checked for once: a third of a line's cost when the lines
// are short.
func (l *Lines) AddEach(labels *LabelColumn, tail *Tail, values []Number) {
	if len(values) != labels.Len() {
		panic(fmt.Sprintf("collector: %s: %d label sets and %d values", l.f.name, labels.Len(), len(values)))
	}
	f := l.f
	rest, closing := l.tail(tail)
	l.checkNames(labels.names, len(rest))
	b := l.b
	if !b.text {
		k := len(labels.names)
		for i := range values {
			if v := values[i].f; v == v { // not NaN
				l.addSample(labels.values[i*k:(i+1)*k], rest, v)
			}
		}
		return
	}
	braceSpace := closing == "} " // the common closing, written without a copy call
	line := l.start(0)
	text, ends := labels.text, labels.ends
	n := int32(0)
	for i := range values {
		v := &values[i]
		if v.f != v.f { // NaN: no reading
			continue
		}
		start := int32(0)
		if i > 0 {
			start = ends[i-1]
		}
		pairs := text[start:ends[i]]
		if room := len(f.lineOpen) + len(pairs) + len(closing) + maxFloatText + 1; cap(line)-len(line) < room {
			line = slices.Grow(line, room*(len(values)-i)) // enough for the rest, as long as this one
		}
		line = append(line, f.lineOpen...)
		line = append(line, pairs...)
		if braceSpace {
			line = append(line, '}', ' ')
		} else {
			line = append(line, closing...)
		}
		line = appendNumber(line, *v)
		line = append(line, '\n')
		n++
	}
	l.end(line, n)
}

// Block is some series of one family written as text once, for series a collector adds
// unchanged scrape after scrape: an ONU's one-hot olt_onu_state while its state holds, its
// olt_onu_info while its name and the rest do. Adding it copies the text. Nothing changes
// a Block: it may be kept and shared.
type Block struct {
	family *Family
	text   []byte
	n      int32
	// labels, tails and values are the series, for batches of Samples; or, for a block
	// joined from others, parts are.
	labels Labels
	tails  []*Tail
	values []float64
	parts  []*Block
}

// Join returns one Block of blocks' series, in their order, its text in one piece of
// memory: every ONU's olt_onu_state, added with one copy while no ONU's changed, instead
// of a copy from each ONU's Block, each somewhere else in memory.
func (f *Family) Join(blocks []*Block) *Block {
	size, n := 0, int32(0)
	for _, bl := range blocks {
		if bl.family != f {
			panic(fmt.Sprintf("collector: a block of %s joined into %s", bl.family.name, f.name))
		}
		size, n = size+len(bl.text), n+bl.n
	}
	text := make([]byte, 0, size)
	for _, bl := range blocks {
		text = append(text, bl.text...)
	}
	return &Block{family: f, text: text, n: n, parts: slices.Clone(blocks)}
}

// Block returns f's series with labels, each of tails (nil for none: labels are all the
// family's) and the value at the same index. labels must hold their values (NewLabels):
// a Block serves batches of either kind.
func (f *Family) Block(labels Labels, tails []*Tail, values []float64) *Block {
	if len(tails) != len(values) {
		panic(fmt.Sprintf("collector: a block of %s: %d tails and %d values", f.name, len(tails), len(values)))
	}
	if len(labels.values) != len(labels.names) {
		panic(fmt.Sprintf("collector: a block of %s needs labels with their values (NewLabels)", f.name))
	}
	// The text is what Lines.Add writes for each, in a batch of its own.
	b := NewBatch(true)
	lines := b.Lines(f)
	for i, t := range tails {
		lines.Add(&labels, t, values[i])
	}
	return &Block{family: f, text: slices.Clip(b.lines), n: int32(len(values)), labels: labels,
		tails: slices.Clone(tails), values: slices.Clone(values)}
}

// AddBlock adds a Block's series.
func (l *Lines) AddBlock(bl *Block) {
	if bl.family != l.f {
		panic(fmt.Sprintf("collector: a block of %s added to %s", bl.family.name, l.f.name))
	}
	b := l.b
	if !b.text {
		for _, part := range bl.parts {
			l.AddBlock(part)
		}
		for i, t := range bl.tails {
			l.Add(&bl.labels, t, bl.values[i])
		}
		return
	}
	l.end(append(l.start(len(bl.text)), bl.text...), bl.n)
}

// AddValues adds a series with labels and then rest as its label values, escaped as they
// are written: for series whose last label values are not kept as a Tail (a PON's name on
// a per-PON count). rest is not kept.
func (l *Lines) AddValues(labels *Labels, value float64, rest ...string) {
	f := l.f
	l.check(labels, len(rest))
	b := l.b
	if !b.text {
		l.addSample(labels.values, rest, value)
		return
	}
	line := l.start(len(f.lineOpen) + len(labels.text) + 2 + maxFloatText + 1)
	line = append(line, f.lineOpen...)
	line = append(line, labels.text...)
	for j, v := range rest {
		i := len(labels.names) + j
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, f.labelNames[i]...)
		line = append(line, `="`...)
		line = appendLabelValue(line, v)
		line = append(line, '"')
	}
	line = append(line, f.close...)
	line = appendFloat(line, value)
	l.end(append(line, '\n'), 1)
}

// tail returns tail's label values and the text that closes a line with them: none and
// the family's closing brace for a nil tail. A tail of another family panics.
func (l *Lines) tail(tail *Tail) (values []string, closing string) {
	if tail == nil {
		return nil, l.f.close
	}
	if tail.family != l.f {
		panic(fmt.Sprintf("collector: a tail of %s added to %s", tail.family.name, l.f.name))
	}
	return tail.values, tail.text
}

// addSample adds a Sample with first and then rest as its label values (copied), for
// batches that are not written as text.
func (l *Lines) addSample(first, rest []string, value float64) {
	values := make([]string, 0, len(first)+len(rest))
	values = append(append(values, first...), rest...)
	l.b.samples = append(l.b.samples, Sample{family: l.f, value: value, labelValues: values})
}

// maxFloatText is room for any value appendFloat writes ("-1.2345678901234567e-308").
const maxFloatText = 24

// check panics unless labels' names and nRest more values make the family's labels.
func (l *Lines) check(labels *Labels, nRest int) { l.checkNames(labels.names, nRest) }

// checkNames panics unless names and nRest more values make the family's labels.
func (l *Lines) checkNames(names []string, nRest int) {
	f := l.f
	if len(names)+nRest != len(f.labelNames) {
		all := slices.Clone(names)
		for range nRest {
			all = append(all, "?")
		}
		f.wrongCount(all)
	}
	if len(names) > 0 && !sameSlice(l.checked, names) {
		if !slices.Equal(names, f.labelNames[:len(names)]) {
			panic(fmt.Sprintf("collector: %s has labels %v, not starting with %v", f.name, f.labelNames, names))
		}
		l.checked = names
	}
}

// start returns the batch's lines with room for a line of up to n bytes, after checking
// that no other family's line was written since this family's last.
func (l *Lines) start(n int) []byte {
	b := l.b
	if b.runs[l.run].end != len(b.lines) {
		panic(fmt.Sprintf("collector: lines of %s interleaved with another family's", l.f.name))
	}
	return slices.Grow(b.lines, n)
}

// end takes the batch's lines with n more lines written.
func (l *Lines) end(lines []byte, n int32) {
	b := l.b
	b.lines = lines
	r := &b.runs[l.run]
	r.end = len(lines)
	r.n += n
}

// sameSlice reports whether a and b are the very same slice (a cheap test before
// comparing label names element by element, once per Labels).
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}
