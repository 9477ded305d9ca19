package promapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Result types the API answers with.
const (
	TypeMatrix = "matrix"
	TypeVector = "vector"
	TypeScalar = "scalar"
	TypeString = "string"
)

// Sample is one value at one time.
type Sample struct {
	T time.Time // UTC, millisecond precision, as Prometheus stores it
	V float64
}

// Series is one series of a matrix: a range selector's raw samples, oldest first.
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Instant is one series of a vector.
type Instant struct {
	Labels map[string]string
	Sample
}

// Result is a decoded successful answer; one of Matrix, Vector and Scalar is set, as Type says.
type Result struct {
	Type   string
	Matrix []Series
	Vector []Instant
	Scalar *Sample
	// Infos are the server's informational notes (Prometheus 2.45+), which do not mean the
	// data is incomplete.
	Infos []string
}

// APIError is the server's own refusal: status error, an errorType, warnings, or a partial
// answer.
type APIError struct {
	Type     string   // errorType: bad_data, timeout, execution, …; "warnings" or "partial" for those
	Message  string   // the server's error text
	Warnings []string // set when the answer carried warnings
}

func (e *APIError) Error() string {
	switch {
	case len(e.Warnings) > 0:
		return "the server warned that the answer may be incomplete: " + strings.Join(e.Warnings, "; ")
	case e.Type != "":
		return fmt.Sprintf("the server refused: %s: %s", e.Type, e.Message)
	default:
		return "the server refused: " + e.Message
	}
}

// envelope is the top level of every answer. Unknown top-level fields (stats, traceID) are
// allowed: backends add their own.
type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	Infos     []string        `json:"infos"`
	IsPartial *bool           `json:"isPartial"` // VictoriaMetrics
}

type data struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type rawSeries struct {
	Metric     map[string]string `json:"metric"`
	Values     []pair            `json:"values"`
	Value      *pair             `json:"value"`
	Histogram  json.RawMessage   `json:"histogram"`
	Histograms json.RawMessage   `json:"histograms"`
}

// pair is a sample as the API writes it, [unix_seconds, "value"], decoded by hand: a
// matrix has one per sample, and going through encoding/json for each costs most of the
// decoding time of a large answer.
type pair Sample

func (p *pair) UnmarshalJSON(b []byte) error {
	s, err := decodePair(b)
	*p = pair(s)
	return err
}

// Decode reads an /api/v1/query answer. Anything but a complete success is an error:
// an *APIError for the server's refusals, warnings and partial answers; a plain error for
// an answer that does not follow the API's format.
func Decode(body []byte) (*Result, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not a Prometheus API answer: %w", err)
	}
	switch {
	case env.Status == "error" || env.ErrorType != "" || env.Error != "":
		msg := env.Error
		if msg == "" {
			msg = "(no message)"
		}
		return nil, &APIError{Type: env.ErrorType, Message: msg}
	case env.Status != "success":
		return nil, fmt.Errorf("not a Prometheus API answer: status %q", env.Status)
	case len(env.Warnings) > 0:
		return nil, &APIError{Type: "warnings", Warnings: env.Warnings}
	case env.IsPartial != nil && *env.IsPartial:
		return nil, &APIError{Type: "partial", Message: "the answer is partial (isPartial: true): some storage nodes did not answer"}
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil, errors.New("not a Prometheus API answer: success without data")
	}
	var d data
	if err := strictUnmarshal(env.Data, &d); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	res := &Result{Type: d.ResultType, Infos: env.Infos}
	switch d.ResultType {
	case TypeMatrix, TypeVector:
		var raw []rawSeries
		if err := strictUnmarshal(d.Result, &raw); err != nil {
			return nil, fmt.Errorf("data.result: %w", err)
		}
		if raw == nil && string(bytes.TrimSpace(d.Result)) != "[]" {
			return nil, errors.New("data.result: missing")
		}
		var err error
		if d.ResultType == TypeMatrix {
			res.Matrix, err = decodeMatrix(raw)
		} else {
			res.Vector, err = decodeVector(raw)
		}
		if err != nil {
			return nil, err
		}
	case TypeScalar, TypeString:
		if d.ResultType == TypeString {
			return nil, errors.New("data.result: a string result is not supported")
		}
		s, err := decodePair(d.Result)
		if err != nil {
			return nil, fmt.Errorf("data.result: %w", err)
		}
		res.Scalar = &s
	default:
		return nil, fmt.Errorf("data.resultType: unknown %q", d.ResultType)
	}
	return res, nil
}

func decodeMatrix(raw []rawSeries) ([]Series, error) {
	out := make([]Series, 0, len(raw))
	for i, r := range raw {
		if err := r.check(i, true); err != nil {
			return nil, err
		}
		s := Series{Labels: r.Metric, Samples: make([]Sample, 0, len(r.Values))}
		for j, v := range r.Values {
			smp := Sample(v)
			if n := len(s.Samples); n > 0 && !smp.T.After(s.Samples[n-1].T) {
				return nil, fmt.Errorf("data.result[%d].values[%d]: timestamps out of order", i, j)
			}
			s.Samples = append(s.Samples, smp)
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeVector(raw []rawSeries) ([]Instant, error) {
	out := make([]Instant, 0, len(raw))
	for i, r := range raw {
		if err := r.check(i, false); err != nil {
			return nil, err
		}
		out = append(out, Instant{Labels: r.Metric, Sample: Sample(*r.Value)})
	}
	return out, nil
}

func (r *rawSeries) check(i int, matrix bool) error {
	if len(r.Histogram) > 0 || len(r.Histograms) > 0 {
		return fmt.Errorf("data.result[%d]: native histograms are not supported", i)
	}
	if r.Metric == nil {
		return fmt.Errorf("data.result[%d]: no metric", i)
	}
	if matrix && (r.Values == nil || r.Value != nil) {
		return fmt.Errorf("data.result[%d]: a matrix series needs values and no value", i)
	}
	if !matrix && (r.Value == nil || r.Values != nil) {
		return fmt.Errorf("data.result[%d]: a vector series needs value and no values", i)
	}
	return nil
}

// decodePair reads [unix_seconds, "value"], with any JSON whitespace between the parts.
func decodePair(raw []byte) (Sample, error) {
	b := bytes.TrimSpace(raw)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return Sample{}, fmt.Errorf("want [time, \"value\"], got %s", truncate(raw))
	}
	b = b[1 : len(b)-1]
	comma := bytes.IndexByte(b, ',')
	if comma < 0 {
		return Sample{}, fmt.Errorf("want [time, \"value\"], got %s", truncate(raw))
	}
	tsText, valText := bytes.TrimSpace(b[:comma]), bytes.TrimSpace(b[comma+1:])
	if bytes.IndexByte(valText, ',') >= 0 {
		return Sample{}, fmt.Errorf("want [time, \"value\"], got more elements: %s", truncate(raw))
	}
	if len(tsText) == 0 || !isJSONNumber(tsText) {
		return Sample{}, fmt.Errorf("time %s is not a Unix time in seconds", truncate(tsText))
	}
	ts, err := strconv.ParseFloat(string(tsText), 64)
	if err != nil || math.IsNaN(ts) || math.IsInf(ts, 0) || math.Abs(ts) > maxUnixSeconds {
		return Sample{}, fmt.Errorf("time %s is not a Unix time in seconds", truncate(tsText))
	}
	if len(valText) < 2 || valText[0] != '"' || valText[len(valText)-1] != '"' || bytes.ContainsAny(valText[1:len(valText)-1], "\"\\") {
		return Sample{}, fmt.Errorf("value %s is not a quoted number", truncate(valText))
	}
	vs := string(valText[1 : len(valText)-1])
	v, err := strconv.ParseFloat(vs, 64)
	if err != nil {
		return Sample{}, fmt.Errorf("value %q is not a number", truncate([]byte(vs)))
	}
	return Sample{T: time.UnixMilli(int64(math.Round(ts * 1000))).UTC(), V: v}, nil
}

// isJSONNumber reports whether b is a number as JSON writes one (no quotes, no NaN, no
// hex): what ParseFloat alone would accept more loosely.
func isJSONNumber(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// maxUnixSeconds keeps timestamps where milliseconds fit an int64 with room to spare.
const maxUnixSeconds = 1e12

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
