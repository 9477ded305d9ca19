package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// bearerToken is sent when ronda-webhook requires one (--webhook.bearer-token-file).
var bearerToken string

// item is what /api/v1/outbox lists.
type item struct {
	ID        uint64    `json:"id"`
	State     string    `json:"state"`
	Channel   string    `json:"channel"`
	Recipient string    `json:"recipient"`
	Status    string    `json:"status"`
	Alerts    []string  `json:"alerts"`
	Created   time.Time `json:"created"`
	Attempts  int       `json:"attempts"`
	Reason    string    `json:"reason"`
	Error     string    `json:"error"`
}

func outboxList(base, state string, out io.Writer) error {
	u := strings.TrimRight(base, "/") + "/api/v1/outbox"
	if state != "" {
		u += "?state=" + url.QueryEscape(state)
	}
	items, err := call(http.MethodGet, u)
	if err != nil {
		return err
	}
	printItems(out, items)
	return nil
}

func outboxReplay(base string, ids []uint64, out io.Writer) error {
	q := url.Values{}
	for _, id := range ids {
		q.Add("id", strconv.FormatUint(id, 10))
	}
	items, err := call(http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/outbox/replay?"+q.Encode())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "replayed %d dead items\n", len(items))
	printItems(out, items)
	return nil
}

func call(method, u string) ([]item, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if bearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+bearerToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, req.URL.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	var items []item
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("unreadable answer from %s: %w", req.URL.Redacted(), err)
	}
	return items, nil
}

func printItems(out io.Writer, items []item) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tCHANNEL\tRECIPIENT\tSTATUS\tALERTS\tCREATED\tATTEMPTS\tREASON")
	for _, it := range items {
		alerts := strings.Join(it.Alerts, ",")
		if len(alerts) > 60 {
			alerts = alerts[:57] + "..."
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", it.ID, it.State, it.Channel, it.Recipient, it.Status,
			alerts, it.Created.Local().Format(time.DateTime), it.Attempts, it.Reason)
	}
	_ = w.Flush()
}
