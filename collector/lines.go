package collector

import (
	"fmt"
	"io"
	"slices"
	"unsafe"
)

// Lines adds the series of one family. In a batch whose answer is the text format (what
// Prometheus asks for) each series is written straight away as a line of the exposition,
// with no Sample kept per series and the shared first labels (Labels) escaped once for
// all the families they appear in; otherwise (protobuf, ?debug=true, Scrape through
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
// Batch.Labels: an ONU's pon and onu start each of its ten families' series. The zero
// Labels has no labels.
type Labels struct {
	names  []string
	text   []byte   // `pon="0/1",onu="0/1:3"`, escaped: in a text batch
	values []string // in a batch of Samples
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
	for i, v := range values {
		if i > 0 {
			b.labelText = append(b.labelText, ',')
		}
		b.labelText = append(b.labelText, names[i]...)
		b.labelText = append(b.labelText, `="`...)
		b.labelText = appendLabelValue(b.labelText, v)
		b.labelText = append(b.labelText, '"')
	}
	end := len(b.labelText)
	return Labels{names: names, text: b.labelText[start:end:end]}
}

// LabelSets returns n zero Labels for the caller to fill with Labels, in memory the batch
// keeps from scrape to scrape: an OLT makes the Labels of its 256 ONUs up front, ~18 KB
// a scrape otherwise. Each call returns memory of its own; all of it is the batch's, and
// is reused once ScrapeBatch has returned.
func (b *Batch) LabelSets(n int) []Labels {
	start := len(b.labelSets)
	b.labelSets = slices.Grow(b.labelSets, n)[:start+n]
	s := b.labelSets[start : start+n : start+n]
	clear(s)
	return s
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

// Add adds a series with labels and then rest as its label values, by the family's label
// names; invalid UTF-8 is repaired, as everywhere. rest is not kept.
func (l *Lines) Add(labels Labels, value float64, rest ...string) {
	f := l.f
	if len(labels.names)+len(rest) != len(f.labelNames) {
		f.wrongCount(append(slices.Clone(labels.names), rest...))
	}
	if len(labels.names) > 0 && !sameSlice(l.checked, labels.names) {
		if !slices.Equal(labels.names, f.labelNames[:len(labels.names)]) {
			panic(fmt.Sprintf("collector: %s has labels %v, not starting with %v", f.name, f.labelNames, labels.names))
		}
		l.checked = labels.names
	}
	b := l.b
	if !b.text {
		values := make([]string, 0, len(f.labelNames))
		values = append(append(values, labels.values...), rest...)
		b.samples = append(b.samples, Sample{family: f, value: value, labelValues: values})
		return
	}
	r := &b.runs[l.run]
	if r.end != len(b.lines) {
		panic(fmt.Sprintf("collector: lines of %s interleaved with another family's", f.name))
	}
	line := append(b.lines, f.name...)
	if len(f.labelNames) == 0 {
		line = append(line, ' ')
	} else {
		line = append(line, '{')
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
		line = append(line, "} "...)
	}
	line = appendFloat(line, value)
	b.lines = append(line, '\n')
	r.end = len(b.lines)
	r.n++
}

// sameSlice reports whether a and b are the very same slice (a cheap test before
// comparing label names element by element, once per Labels).
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}
