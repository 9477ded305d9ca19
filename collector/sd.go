package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// sdGroup is one target group of Prometheus HTTP service discovery.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// SDHandler serves /sd: Prometheus HTTP service discovery listing every configured target.
//
// The address is the host the request came to, so one scrape job pointed at the exporter
// covers every target of every kind; `__metrics_path__` and `__param_target` route each
// scrape to the right endpoint, `instance` is the target's name, and the target's configured
// labels (unit, location, …) ride along onto every series and alert. `?kind=olt` lists one
// kind only, for a job with its own scrape interval.
func (m *Manager) SDHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.URL.Query().Get("kind")
		if kind != "" && !slices.Contains(m.kinds, kind) {
			http.Error(w, fmt.Sprintf("unknown kind %q; known kinds: %v", kind, m.kinds), http.StatusBadRequest)
			return
		}
		groups := []sdGroup{}
		for _, t := range m.config.Load().targets {
			if _, served := m.collectors[t.Kind]; !served || (kind != "" && t.Kind != kind) {
				continue
			}
			labels := make(map[string]string, len(t.Labels)+4)
			for k, v := range t.Labels {
				labels[k] = v
			}
			labels["__metrics_path__"] = "/" + t.Kind
			labels["__param_target"] = t.Name
			labels["instance"] = t.Name
			if r.TLS != nil {
				labels["__scheme__"] = "https"
			}
			groups = append(groups, sdGroup{Targets: []string{r.Host}, Labels: labels})
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(groups); err != nil {
			m.logger.Warn("writing /sd answer failed", "err", err)
		}
	})
}
