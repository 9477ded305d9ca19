package collector

import (
	"net/url"
	"sync"
	"time"

	"github.com/rondanet/ronda/config"
)

// Result is how one scrape went, kept for the landing page.
type Result struct {
	Kind     string
	Target   string
	Start    time.Time
	Duration time.Duration
	Success  bool
	Reason   Reason
	Error    string
	// AdHoc marks a target described by the request, not the configuration: it shows
	// among the recent scrapes only, so arbitrary addresses cannot grow the history.
	AdHoc bool
	// Query is, for an ad-hoc target, the request's query that described it (module=…),
	// without debug, so the landing page can link to the same probe again.
	Query url.Values
}

// history keeps the latest result of every target and the most recent scrapes overall.
type history struct {
	mu     sync.Mutex
	limit  int
	recent []Result // ring, oldest overwritten first
	next   int
	latest map[string]Result // by target name
}

func newHistory(limit int) *history {
	return &history{limit: limit, latest: make(map[string]Result)}
}

func (h *history) add(r Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !r.AdHoc {
		h.latest[r.Target] = r
	}
	if len(h.recent) < h.limit {
		h.recent = append(h.recent, r)
		return
	}
	h.recent[h.next] = r
	h.next = (h.next + 1) % h.limit
}

// retain forgets the latest results of targets no longer configured.
func (h *history) retain(configured map[string]config.Target) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range h.latest {
		if _, ok := configured[name]; !ok {
			delete(h.latest, name)
		}
	}
}

// Latest returns the latest result of a target.
func (m *Manager) Latest(target string) (Result, bool) {
	m.history.mu.Lock()
	defer m.history.mu.Unlock()
	r, ok := m.history.latest[target]
	return r, ok
}

// Recent returns the most recent scrapes, newest first.
func (m *Manager) Recent() []Result {
	h := m.history
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Result, 0, len(h.recent))
	for i := range h.recent {
		// Walk backwards from the newest entry.
		idx := (h.next - 1 - i + 2*len(h.recent)) % len(h.recent)
		out = append(out, h.recent[idx])
	}
	return out
}
