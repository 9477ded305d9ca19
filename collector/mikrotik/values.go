package mikrotik

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/rondanet/ronda/internal/routeros"
)

// parseProblems counts values the router sent that could not be read. A bad value loses
// only its own series; the scrape logs one line about them, not one per value.
type parseProblems struct {
	count int
	first string // field=value of the first one
}

func (p *parseProblems) add(field, value string) {
	if p.count == 0 {
		p.first = field + "=" + routeros.ToUTF8(value)
	}
	p.count++
}

func (p *parseProblems) log(logger *slog.Logger) {
	if p.count > 0 {
		logger.Warn("router sent values that could not be read; their series are left out", "count", p.count, "first", p.first)
	}
}

// duration reads a RouterOS duration field. ok is false when the field is absent, says
// none or never, or cannot be read (counted in bad).
func duration(fields map[string]string, field string, bad *parseProblems) (time.Duration, bool) {
	v, present := fields[field]
	if !present {
		return 0, false
	}
	d, ok, err := routeros.ParseDuration(v)
	if err != nil {
		bad.add(field, v)
		return 0, false
	}
	return d, ok
}

// seconds is duration in seconds.
func seconds(fields map[string]string, field string, bad *parseProblems) (float64, bool) {
	d, ok := duration(fields, field, bad)
	return d.Seconds(), ok
}

// number reads a non-negative integer field (bytes, a count, a percentage). ok is false
// when the field is absent or empty, or cannot be read (counted in bad).
func number(fields map[string]string, field string, bad *parseProblems) (float64, bool) {
	v := fields[field]
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		bad.add(field, v)
		return 0, false
	}
	return float64(n), true
}
