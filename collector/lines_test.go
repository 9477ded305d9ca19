package collector

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
)

var (
	linesState = NewFamily("test_onu_state", "State, one-hot.", prometheus.GaugeValue, "pon", "onu", "state")
	linesRx    = NewFamily("test_onu_rx", "Power \\ in\ndBm.", prometheus.GaugeValue, "pon", "onu")
	linesInfo  = NewFamily("test_onu_info", "Info.", prometheus.GaugeValue, "pon", "onu", "name")
	linesTemp  = NewFamily("test_onu_temp", "Temperature.", prometheus.GaugeValue, "pon", "onu", "sensor")
	linesPON   = NewFamily("test_pon", "Per PON.", prometheus.CounterValue, "pon")
	linesAge   = NewFamily("test_age", "Age.", prometheus.GaugeValue)
	linesUp    = NewFamily("test_up", "Up.", prometheus.GaugeValue)
	ponONU     = []string{"pon", "onu"}
)

// addLines adds the same series as an OLT-like collector: families through Lines with
// shared Labels (values to escape and repair among them; one ONU's kept from scrape to
// scrape with NewLabels), last label values both as Tails and as AddValues' rest, and two
// families with Add.
func addLines(b *Batch) {
	type onu struct{ pon, id, name string }
	onus := []onu{{"0/1", "1", "Kantor Désa"}, {"0/1", "2", "quo\"te\\ and\nnewline"}, {"0/2", "\xffbad", "\xfe"}, {"0/2", "4", ""}}
	labels := make([]Labels, len(onus))
	for k, o := range onus {
		labels[k] = b.Labels(ponONU, o.pon, o.id)
	}
	labels[1] = NewLabels(ponONU, onus[1].pon, onus[1].id)
	b.Add(linesUp, 1)
	state := b.Lines(linesState)
	for k := range onus {
		if k == 1 { // its series as a Block, kept from scrape to scrape
			state.AddBlock(linesState.Block(labels[k], linesStates, []float64{1, 1}))
			continue
		}
		for _, st := range linesStates {
			state.Add(&labels[k], st, float64(k%2))
		}
	}
	// The third ONU gave no reading: its series is left out. Values read from decimals
	// (-17.06, 46.00, 17.0630 as a shifted 0.0170630) and floats are written alike. The
	// column has every ONU's labels, one of them copied from the Labels kept above.
	column := NewLabelColumn(ponONU)
	for k, o := range onus {
		if k == 1 {
			column.AddLabels(&labels[1])
		} else {
			column.Add(o.pon, o.id)
		}
	}
	rx := b.Lines(linesRx)
	rx.AddEach(column, nil, []Number{mustDecimal(1706, 2, true), Float(-17.061), Float(math.NaN()), mustDecimal(170630, 7, false)})
	rest := NewLabelColumn(ponONU)
	for _, o := range onus[1:] {
		rest.Add(o.pon, o.id)
	}
	temp := b.Lines(linesTemp)
	temp.Add(&labels[0], linesTemp.Tail("module"), 45.5) // Add and AddEach for one family
	temp.AddEach(rest, linesTemp.Tail("module"), []Number{mustDecimal(4600, 2, false), Float(47.25), Float(math.Inf(1))})
	none := b.Lines(linesAge) // a family with no series is not written
	_ = none
	info := b.Lines(linesInfo)
	for k, o := range onus {
		if k%2 == 0 {
			info.Add(&labels[k], linesInfo.Tail(o.name), 1)
		} else {
			info.AddValues(&labels[k], 1, o.name)
		}
	}
	pon := b.Lines(linesPON)
	pon.Add(&Labels{}, linesPON.Tail("0/1"), 2)
	pon.AddValues(&Labels{}, 1e9, "0/2")
	b.Add(linesAge, 0.25)
}

var linesStates = []*Tail{linesState.Tail("up"), linesState.Tail("down")}

// TestLinesWriteWhatSamplesWrite: a collector's Lines write, in a text batch, exactly the
// bytes the same series written as Samples give, and those are what client_golang writes.
func TestLinesWriteWhatSamplesWrite(t *testing.T) {
	var text, samples Batch
	text.text = true
	addLines(&text)
	addLines(&samples)
	if len(text.samples) != 2 || len(text.runs) != 6 {
		t.Fatalf("text batch: %d samples and %d runs, want 2 and 6", len(text.samples), len(text.runs))
	}
	if len(samples.runs) != 0 || text.Len() != samples.Len() {
		t.Fatalf("sample batch: %d runs, %d series against the text batch's %d", len(samples.runs), samples.Len(), text.Len())
	}
	var got, want bytes.Buffer
	if err := writeText(&got, &text); err != nil {
		t.Fatal(err)
	}
	if err := writeText(&want, &samples); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("Lines wrote\n%s\nSamples wrote\n%s", got.String(), want.String())
	}
	sameFamilies(t, want.String(), registryText(t, samples.Metrics()))
	if strings.Contains(got.String(), "test_onu_rx{pon=\"0/2\",onu=\"\uFFFDbad\"}") || !strings.Contains(got.String(), `test_onu_rx{pon="0/2",onu="4"} 0.017063`) || !strings.Contains(got.String(), `test_onu_temp{pon="0/1",onu="2",sensor="module"} 46`) || !strings.Contains(got.String(), `test_onu_temp{pon="0/2",onu="4",sensor="module"} +Inf`) {
		t.Errorf("AddEach wrote a NaN reading or left out another:\n%s", got.String())
	}
	if !strings.Contains(got.String(), `test_onu_info{pon="0/1",onu="2",name="quo\"te\\ and\nnewline"} 1`) {
		t.Errorf("escaping lost:\n%s", got.String())
	}
}

// TestLinesMisuse: what would make the exposition invalid panics where it happens.
func TestLinesMisuse(t *testing.T) {
	for name, misuse := range map[string]func(b *Batch){
		"interleaved": func(b *Batch) {
			a, c := b.Lines(linesRx), b.Lines(linesInfo)
			one, two := b.Labels(ponONU, "0/1", "1"), b.Labels(ponONU, "0/1", "2")
			a.Add(&one, nil, 1)
			c.AddValues(&one, 1, "x")
			a.Add(&two, nil, 1)
		},
		"started twice": func(b *Batch) { b.Lines(linesRx); b.Lines(linesRx) },
		"a block of another family": func(b *Batch) {
			l := b.Lines(linesRx)
			l.AddBlock(linesState.Block(NewLabels(ponONU, "0/1", "1"), linesStates, []float64{1, 0}))
		},
		"a block without label values": func(b *Batch) {
			linesState.Block(b.Labels(ponONU, "0/1", "1"), linesStates, []float64{1, 0})
		},
		"a block with a value short": func(*Batch) {
			linesState.Block(NewLabels(ponONU, "0/1", "1"), linesStates, []float64{1})
		},
		"AddEach, a value short": func(b *Batch) {
			l := b.Lines(linesRx)
			c := NewLabelColumn(ponONU)
			c.Add("0/1", "1")
			c.Add("0/1", "2")
			l.AddEach(c, nil, []Number{Float(1)})
		},
		"AddEach, tail too short": func(b *Batch) {
			l := b.Lines(linesState)
			c := NewLabelColumn(nil)
			c.Add()
			l.AddEach(c, linesState.Tail("up"), []Number{Float(1)})
		},
		"AddEach, other labels": func(b *Batch) {
			l := b.Lines(linesRx)
			c := NewLabelColumn([]string{"onu", "pon"})
			c.Add("1", "0/1")
			l.AddEach(c, nil, []Number{Float(1)})
		},
		"a column, a value short": func(*Batch) { NewLabelColumn(ponONU).Add("0/1") },
		"a column, labels without values": func(b *Batch) {
			l := b.Labels(ponONU, "0/1", "1")
			NewLabelColumn(ponONU).AddLabels(&l)
		},
		"wrong count": func(b *Batch) { l := b.Lines(linesRx); l.AddValues(&Labels{}, 1, "0/1") },
		"tail too short": func(b *Batch) {
			l := b.Lines(linesState)
			l.Add(&Labels{}, linesState.Tail("up"), 1)
		},
		"another family's tail": func(b *Batch) {
			l := b.Lines(linesInfo)
			one := b.Labels(ponONU, "0/1", "1")
			l.Add(&one, linesState.Tail("up"), 1)
		},
		"wrong names": func(b *Batch) {
			l := b.Lines(linesInfo)
			labels := b.Labels([]string{"pon", "name"}, "0/1", "x")
			l.AddValues(&labels, 1, "y")
		},
		"lines and samples": func(b *Batch) {
			l := b.Lines(linesRx)
			one := b.Labels(ponONU, "0/1", "1")
			l.Add(&one, nil, 1)
			b.Add(linesRx, 2, "0/1", "2")
			_ = writeText(&bytes.Buffer{}, b)
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			b := &Batch{text: true}
			misuse(b)
		})
	}
}

// TestLinesThroughTheHandler: a collector using Lines answers Prometheus's text, protobuf
// and ?debug=true alike; only the text answer is written as lines.
func TestLinesThroughTheHandler(t *testing.T) {
	t.Setenv("RONDA_TEST_PASSWORD", "s3cret")
	cfg, err := config.Parse([]byte(testConfig), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wroteText []bool
	c := &batchLike{fakeCollector: &fakeCollector{kind: "mikrotik"}, keeps: true}
	c.scrapeInto = func(_ context.Context, b *Batch) error {
		wroteText = append(wroteText, b.WritesText())
		addLines(b)
		return nil
	}
	m := NewManager(Options{Logger: slog.New(slog.DiscardHandler)}, c)
	defer m.Close()
	m.ApplyConfig(cfg)
	h := m.Handler("mikrotik")
	plain := get(t, h, "/mikrotik?target=router-a", nil)
	proto := get(t, h, "/mikrotik?target=router-a", http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})
	debug := get(t, h, "/mikrotik?target=router-a&debug=true", nil)
	if fmt.Sprint(wroteText) != "[true false false]" {
		t.Errorf("text batches for plain, protobuf, debug: %v", wroteText)
	}
	if !strings.Contains(proto.Header().Get("Content-Type"), "protobuf") {
		t.Errorf("protobuf asked for, got %q", proto.Header().Get("Content-Type"))
	}
	fams := parseExposition(t, plain.Body.String())
	if fams["test_onu_state"].values["pon=0/1,onu=2,state=down"] != 1 || fams["mikrotik_up"].values[""] != 1 {
		t.Errorf("plain answer:\n%s", plain.Body)
	}
	if !strings.Contains(debug.Body.String(), `test_onu_info{name="Kantor Désa",onu="1",pon="0/1"} 1`) { // the registry sorts labels
		t.Errorf("debug answer:\n%s", debug.Body)
	}
}

// TestJoinWritesItsParts: a joined Block writes what its parts added one by one write, in
// text batches and batches of Samples alike; a block of another family cannot join.
func TestJoinWritesItsParts(t *testing.T) {
	var parts []*Block
	for _, id := range []string{"1", "2", "10"} {
		parts = append(parts, linesState.Block(NewLabels(ponONU, "0/1", id), linesStates, []float64{1, 0}))
	}
	joined := linesState.Join(parts)
	for _, text := range []bool{true, false} {
		write := func(add func(*Lines)) string {
			b := NewBatch(text)
			l := b.Lines(linesState)
			add(&l)
			var out bytes.Buffer
			if err := b.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			return out.String()
		}
		one := write(func(l *Lines) { l.AddBlock(joined) })
		each := write(func(l *Lines) {
			for _, p := range parts {
				l.AddBlock(p)
			}
		})
		if one != each || strings.Count(one, "\n") != 2+6 {
			t.Errorf("text batch %v: joined\n%s\nparts\n%s", text, one, each)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a block of another family joined")
		}
	}()
	linesInfo.Join(parts)
}
