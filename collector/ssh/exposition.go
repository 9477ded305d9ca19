package ssh

import (
	"bytes"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/hostparse"
)

// Limits on what a command in prometheus mode may export: the command is the operator's,
// but its output comes from the host, and a runaway script must not flood Prometheus.
const (
	maxExposedSeries   = 1000
	maxExposedFamilies = 100
)

// exposed is one series a command printed in the text format.
type exposed struct {
	name   string
	help   string
	typ    dto.MetricType
	labels map[string]string
	value  float64
}

// parseExposition reads a command's output in the Prometheus text format, like
// node_exporter's textfile collector: counters, gauges and untyped series are kept
// (histograms and summaries are counted as problems), and names in the node_ and ssh_
// namespaces are refused so a command cannot shadow the collector's own series.
func parseExposition(b []byte) ([]exposed, []hostparse.Problem) {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return nil, []hostparse.Problem{{Reason: hostparse.Malformed, Detail: err.Error()}}
	}
	var out []exposed
	var problems []hostparse.Problem
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > maxExposedFamilies {
		problems = append(problems, hostparse.Problem{Reason: hostparse.TooMany, Detail: "too many metric families"})
		names = names[:maxExposedFamilies]
	}
	for _, name := range names {
		mf := families[name]
		if strings.HasPrefix(name, "node_") || strings.HasPrefix(name, "ssh_") {
			problems = append(problems, hostparse.Problem{Reason: hostparse.Malformed, Detail: name + " is in a namespace the collector owns"})
			continue
		}
		// The parser checks names and label values, not HELP: text that is not UTF-8 (a
		// Latin-1 word) would make Prometheus refuse the whole scrape, ssh_up included.
		help := strings.ToValidUTF8(mf.GetHelp(), "\uFFFD")
		for _, m := range mf.GetMetric() {
			var v float64
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				v = m.GetUntyped().GetValue()
			default:
				problems = append(problems, hostparse.Problem{Reason: hostparse.Malformed, Detail: name + ": only counters, gauges and untyped series are read"})
				continue
			}
			if len(out) >= maxExposedSeries {
				problems = append(problems, hostparse.Problem{Reason: hostparse.TooMany, Detail: "too many series"})
				return out, problems
			}
			labels := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				if strings.HasPrefix(l.GetName(), "__") {
					continue // reserved for Prometheus; the parser lets it through
				}
				labels[l.GetName()] = l.GetValue()
			}
			out = append(out, exposed{name: name, help: help, typ: mf.GetType(), labels: labels, value: v})
		}
	}
	return out, problems
}

// emitExposed sends the series of every command in prometheus mode. Series of one name
// from several commands share a family: its labels are the union of theirs (an absent
// label is an empty value, which Prometheus treats the same), and a series printed twice
// is sent once.
func emitExposed(b *collector.Batch, commands []commandResult) {
	type group struct {
		typ    dto.MetricType
		help   string
		labels map[string]bool
		series []exposed
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range commands {
		for _, e := range r.metrics {
			g := groups[e.name]
			if g == nil {
				g = &group{typ: e.typ, help: e.help, labels: map[string]bool{}}
				groups[e.name] = g
				order = append(order, e.name)
			}
			if e.typ != g.typ {
				continue // the first command's type wins
			}
			for l := range e.labels {
				g.labels[l] = true
			}
			g.series = append(g.series, e)
		}
	}
	for _, name := range order {
		g := groups[name]
		labelNames := make([]string, 0, len(g.labels))
		for l := range g.labels {
			labelNames = append(labelNames, l)
		}
		slices.Sort(labelNames)
		fam := exposedFamily(name, g.help, g.typ, labelNames)
		seen := map[string]bool{}
		for _, e := range g.series {
			values := make([]string, len(labelNames))
			for i, l := range labelNames {
				values[i] = e.labels[l]
			}
			key := strings.Join(values, "\xff")
			if seen[key] {
				continue
			}
			seen[key] = true
			b.Add(fam, e.value, values...)
		}
	}
}

func exposedFamily(name, help string, typ dto.MetricType, labelNames []string) *collector.Family {
	valueType := prometheus.UntypedValue
	switch typ {
	case dto.MetricType_COUNTER:
		valueType = prometheus.CounterValue
	case dto.MetricType_GAUGE:
		valueType = prometheus.GaugeValue
	}
	if help == "" {
		help = "Exported by a custom SSH command."
	}
	// Built per scrape, not cached: the names come from the host, and a cache would grow
	// with whatever it prints.
	return collector.NewFamily(name, help, valueType, labelNames...)
}
