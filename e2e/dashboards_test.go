package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/dashboards"
)

// quietInTheDemo are the dashboard queries the demo lab cannot give data, and why. Each
// must stay empty: one that returns data is an error, so the list cannot outlive its reason.
var quietInTheDemo = map[string]string{
	"probes.json: panel \"Ping round trip\" query A": "the demo has no ICMP probe: it runs without root or CAP_NET_RAW (examples/ronda.yml)",
	"probes.json: panel \"Ping round trip\" query B": "the demo has no ICMP probe: it runs without root or CAP_NET_RAW (examples/ronda.yml)",
	"probes.json: panel \"Why probes fail\" query A": "empty while every probe succeeds, and the demo's probes do",
}

// checkDashboardQueries runs every query of every dashboard in dashboards/ against the
// demo's Prometheus (the panels' range queries as range queries, the variables' selectors
// too) and fails for each one that returns nothing. By then the demo has had a power cut
// and its faulty ONUs and stopped units have had time to make alerts fire.
func checkDashboardQueries(t *testing.T, prom string) {
	t.Helper()
	ds, err := dashboards.Load()
	if err != nil {
		t.Fatal(err)
	}
	// 2m: long enough for rate() and changes() over 15s scrapes, and the window Grafana
	// gives $__range and $__rate_interval on a short time range.
	const window = "2m"
	type query struct {
		where, expr string
		instant     bool
	}
	var pending []query
	for name, d := range ds {
		qs, err := d.Queries()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			pending = append(pending, query{name + ": " + q.Where, dashboards.Expand(q.Expr, window, nil), q.Instant})
		}
	}
	if len(pending) < 50 {
		t.Fatalf("only %d queries in dashboards/", len(pending))
	}
	total := len(pending)
	// A query that returned data once is done; the others are asked again until alerts
	// have had time to fire. Each query has its own deadline, so a loaded machine slows
	// the check down instead of failing it.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		var problems []string
		var still []query
		for _, q := range pending {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			got, err := promCount(ctx, prom, q.expr, q.instant)
			cancel()
			reason, quiet := quietInTheDemo[q.where]
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s: %v", q.where, err))
				still = append(still, q)
			case quiet && got > 0:
				t.Errorf("%s returns data now: take it off quietInTheDemo (%s)", q.where, reason)
			case quiet:
				// As expected; asked again while the others wait.
				still = append(still, q)
			case got == 0:
				problems = append(problems, fmt.Sprintf("%s: no data for\n\t%s", q.where, q.expr))
				still = append(still, q)
			}
		}
		pending = still
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d dashboard queries return no data from the demo:\n%s", len(problems), total, strings.Join(problems, "\n"))
		}
		time.Sleep(5 * time.Second)
	}
}

// promCount runs a query as Grafana would (instant, or over the last five minutes at a
// 15s step) and returns how many series it answered.
func promCount(ctx context.Context, base, query string, instant bool) (int, error) {
	v := url.Values{"query": {query}}
	path := "/api/v1/query"
	if !instant {
		now := time.Now()
		path = "/api/v1/query_range"
		v.Set("start", strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10))
		v.Set("end", strconv.FormatInt(now.Unix(), 10))
		v.Set("step", "15")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+v.Encode(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("%s: %s", resp.Status, body.Error)
	}
	return len(body.Data.Result), nil
}
