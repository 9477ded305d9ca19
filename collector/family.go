package collector

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
)

// Family is one metric family a collector exports: name, help, type and label names,
// declared once. Its samples are prometheus.Metrics, so collectors stay testable with
// client_golang's testutil, but the framework can also write them as exposition text
// straight away, without the registry's per-series conversion, checking and sorting: a
// hotspot with 10,000 users is 60,000 series a scrape, and that conversion would cost more
// than reading them from the router (see BENCHMARKS.md).
type Family struct {
	name       string
	help       string
	valueType  prometheus.ValueType
	labelNames []string
	desc       *prometheus.Desc
	// header is the family's "# HELP" and "# TYPE" lines, escaped once.
	header string
	// open is what a series line starts with: `name{first="`, or `name ` without labels;
	// between[i] goes before label i+1's value (`",second="`). Built once, so writing a
	// series copies whole runs of bytes instead of assembling them name by name.
	open    string
	between []string
	// lineOpen and close frame the label pairs of a line written by Lines: `name{` and
	// `} `, or `name ` and nothing without labels.
	lineOpen, close string
}

// NewFamily declares a family. Like prometheus.NewDesc it panics on an invalid name or
// label name: families are package-level declarations, so that is a programming error.
func NewFamily(name, help string, valueType prometheus.ValueType, labelNames ...string) *Family {
	desc := prometheus.NewDesc(name, help, labelNames, nil)
	if err := desc.Err(); err != nil {
		panic(fmt.Sprintf("collector: family %s: %v", name, err))
	}
	// The text writer writes names unquoted: they must be legacy names, whatever
	// client_golang's validation scheme accepts.
	if !model.LegacyValidation.IsValidMetricName(name) {
		panic(fmt.Sprintf("collector: family %q: not a legacy metric name", name))
	}
	for _, l := range labelNames {
		if !model.LegacyValidation.IsValidLabelName(l) {
			panic(fmt.Sprintf("collector: family %s: label %q: not a legacy label name", name, l))
		}
	}
	typ := "gauge"
	switch valueType {
	case prometheus.CounterValue:
		typ = "counter"
	case prometheus.UntypedValue:
		typ = "untyped"
	}
	f := &Family{
		name: name, help: help, valueType: valueType, labelNames: labelNames, desc: desc,
		header:   "# HELP " + name + " " + helpEscaper.Replace(help) + "\n# TYPE " + name + " " + typ + "\n",
		open:     name + " ",
		lineOpen: name + " ",
	}
	if len(labelNames) > 0 {
		f.lineOpen, f.close = name+"{", "} "
		f.open = name + "{" + labelNames[0] + `="`
		for _, l := range labelNames[1:] {
			f.between = append(f.between, `",`+l+`="`)
		}
	}
	return f
}

// Name is the family's metric name.
func (f *Family) Name() string { return f.name }

// Desc is the family's client_golang description.
func (f *Family) Desc() *prometheus.Desc { return f.desc }

// Sample is one series of the family. labelValues must match the family's label names in
// number (it panics otherwise, like prometheus.MustNewConstMetric); invalid UTF-8 is
// repaired when the series is written, so the exposition stays valid. The slice is kept,
// not copied: several samples of one user may share it.
func (f *Family) Sample(value float64, labelValues ...string) *Sample {
	if len(labelValues) != len(f.labelNames) {
		f.wrongCount(labelValues)
	}
	return &Sample{family: f, value: value, labelValues: labelValues}
}

func (f *Family) wrongCount(labelValues []string) {
	panic(fmt.Sprintf("collector: %s has labels %v, got %d values", f.name, f.labelNames, len(labelValues)))
}

// validUTF8 returns v with invalid UTF-8 replaced by U+FFFD. Label values are repaired
// only where they are written (writeText, Sample.Write), not where series are added: the
// text writer looks at every byte of a value anyway (for escaping) and asks this only of
// values with non-ASCII bytes, which are rare, while checking every value on the way in
// cost as much as writing it.
func validUTF8(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

// Sample is one series of a Family. It implements prometheus.Metric.
type Sample struct {
	family      *Family
	value       float64
	labelValues []string
}

// Desc implements prometheus.Metric.
func (s *Sample) Desc() *prometheus.Desc { return s.family.desc }

// Write implements prometheus.Metric; the framework's text path does not need it.
func (s *Sample) Write(out *dto.Metric) error {
	out.Label = make([]*dto.LabelPair, len(s.labelValues))
	for i, v := range s.labelValues {
		v := validUTF8(v)
		out.Label[i] = &dto.LabelPair{Name: &s.family.labelNames[i], Value: &v}
	}
	v := s.value
	switch s.family.valueType {
	case prometheus.CounterValue:
		out.Counter = &dto.Counter{Value: &v}
	case prometheus.UntypedValue:
		out.Untyped = &dto.Untyped{Value: &v}
	default:
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// helpEscaper escapes HELP text as the text format requires.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
