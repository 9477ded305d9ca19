package exporter

import (
	_ "embed"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/version"

	"github.com/rondanet/ronda/collector"
)

//go:embed landing.html
var landingHTML string

var landingTemplate = template.Must(template.New("landing").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"debugURL": func(kind, target string) string {
		return "/" + kind + "?" + url.Values{"target": {target}, "debug": {"true"}}.Encode()
	},
	// recentDebugURL repeats a recent scrape with its debug log; an ad-hoc target keeps the
	// query that described it (module=…), without which it would be a 404.
	"recentDebugURL": func(r collector.Result) string {
		q := url.Values{"target": {r.Target}}
		if r.AdHoc && r.Query != nil {
			q = maps.Clone(r.Query)
		}
		q.Set("debug", "true")
		return "/" + r.Kind + "?" + q.Encode()
	},
	"scrapeURL": func(kind, target string) string {
		return "/" + kind + "?" + url.Values{"target": {target}}.Encode()
	},
}).Parse(landingHTML))

type landingTarget struct {
	Kind, Name string
	Labels     string
	Last       collector.Result
	Scraped    bool
}

type landingData struct {
	Version string
	Kinds   []string
	Targets []landingTarget
	Recent  []collector.Result
}

// landingPage lists the configured targets with their latest scrape, and the recent scrapes,
// each with a link to scrape it again with its debug log.
func landingPage(manager *collector.Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		data := landingData{Version: version.Info(), Kinds: manager.Kinds(), Recent: manager.Recent()}
		for _, t := range manager.Config().Targets() {
			lt := landingTarget{Kind: t.Kind, Name: t.Name, Labels: formatLabels(t.Labels)}
			lt.Last, lt.Scraped = manager.Latest(t.Name)
			data.Targets = append(data.Targets, lt)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := landingTemplate.Execute(w, data); err != nil {
			slog.Default().Warn("rendering landing page", "err", err)
		}
	})
}

func formatLabels(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ", ")
}
