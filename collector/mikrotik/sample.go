package mikrotik

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// userLabelName is the one label of the per-user value series.
var userLabelName = "user"

// userLabels are the label pairs of one user's value series, built once and shared by all
// of them: on a hotspot with thousands of users, building them again for each series (as
// prometheus.NewConstMetric does) is a good part of the scrape's own cost.
func userLabels(name string) []*dto.LabelPair {
	return []*dto.LabelPair{{Name: &userLabelName, Value: &name}}
}

// userSample is one value of a per-user family whose only label is user. The label value
// is already valid UTF-8 (ToUTF8), which is all NewConstMetric would check.
type userSample struct {
	desc    *prometheus.Desc
	counter bool
	value   float64
	labels  []*dto.LabelPair
}

func gaugeFor(desc *prometheus.Desc, value float64, labels []*dto.LabelPair) prometheus.Metric {
	return &userSample{desc: desc, value: value, labels: labels}
}

func counterFor(desc *prometheus.Desc, value float64, labels []*dto.LabelPair) prometheus.Metric {
	return &userSample{desc: desc, counter: true, value: value, labels: labels}
}

func (s *userSample) Desc() *prometheus.Desc { return s.desc }

func (s *userSample) Write(out *dto.Metric) error {
	out.Label = s.labels
	if s.counter {
		out.Counter = &dto.Counter{Value: &s.value}
	} else {
		out.Gauge = &dto.Gauge{Value: &s.value}
	}
	return nil
}
