package app

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/report"
	"github.com/rondanet/ronda/alertmanager-webhook/route"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
	"github.com/rondanet/ronda/internal/service"
)

func (a *App) routes(registry *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /alert", a.handleAlert)
	mux.HandleFunc("POST /alert/{receiver}", a.handleAlert)
	mux.HandleFunc("/alert", methodNotAllowed)
	mux.HandleFunc("GET /api/v1/outbox", a.handleList)
	mux.HandleFunc("POST /api/v1/outbox/replay", a.handleReplay)
	mux.HandleFunc("POST /api/v1/reports/{name}/run", a.handleRunReport)
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	service.HandleLifecycle(mux, a.reload)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ronda-webhook: Alertmanager webhook relay\n\n"+
			"POST /alert, /alert/{receiver}   Alertmanager webhook_configs url\n"+
			"GET  /api/v1/outbox?state=dead   pending and dead items\n"+
			"POST /api/v1/outbox/replay       replay dead items (?id=N, repeatable; none = all)\n"+
			"POST /api/v1/reports/NAME/run    send a scheduled report now\n"+
			"/metrics, /-/healthy, /-/ready, POST /-/reload\n")
	})
	return mux
}

func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	http.Error(w, "Alertmanager notifications are POSTed to /alert", http.StatusMethodNotAllowed)
}

type alertResponse struct {
	Status    string `json:"status"`
	Items     int    `json:"items"`
	Unrouted  int    `json:"unrouted_alerts,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// handleAlert stores a notification before answering. The answer is the contract with
// Alertmanager: 2xx means "stored, never send it again"; 5xx means "not stored, retry";
// 4xx means "this can never be accepted" (Alertmanager does not retry it), so it is used
// only for a payload that is not a notification.
func (a *App) handleAlert(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a.metrics.received.Inc()
	m, err := payload.Decode(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		a.metrics.invalid.Inc()
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
			err = fmt.Errorf("notification larger than %d bytes (--web.max-body-bytes); lower max_alerts in the webhook_config", a.opts.MaxBodyBytes)
		}
		a.log.Warn("refused an invalid notification", "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), code)
		return
	}
	receiver := r.PathValue("receiver")
	if receiver == "" {
		receiver = payload.UnquoteReceiver(m.Receiver)
	}
	cfg, channels := a.current()
	deliveries, unrouted := route.Route(cfg.Routes, receiver, m)
	if unrouted > 0 {
		a.metrics.unrouted.Add(float64(unrouted))
		a.log.Warn("alerts matched no route", "receiver", receiver, "alerts", unrouted)
	}
	now := time.Now()
	var items []*store.Item
	for _, d := range deliveries {
		ch := channels[d.Channel]
		recipients := ch.Recipients()
		if s, ok := ch.(delivery.Sharded); ok {
			recipients = s.RecipientsFor(d.Message)
		}
		for _, rcpt := range recipients {
			items = append(items, &store.Item{Channel: d.Channel, Recipient: rcpt, State: store.Pending, Message: d.Message, Created: now})
		}
	}
	// The path's receiver is part of the key: one Alertmanager receiver may post the same
	// body to two paths, each with its own routes. Retries and an HA peer's copy come to
	// the same path, and are duplicates.
	duplicate, err := a.store.Accept(receiver+"\x00"+m.DedupKey(), now, time.Duration(cfg.Delivery.DedupWindow), items)
	if err != nil {
		a.metrics.storeErrors.Inc()
		a.log.Error("cannot store a notification: answering 500 so that Alertmanager retries", "err", err)
		http.Error(w, "cannot store the notification: "+err.Error(), http.StatusInternalServerError)
		return
	}
	resp := alertResponse{Status: "stored", Items: len(items), Unrouted: unrouted, Duplicate: duplicate}
	if duplicate {
		a.metrics.duplicates.Inc()
		resp = alertResponse{Status: "duplicate", Duplicate: true}
		a.log.Debug("duplicate notification skipped", "receiver", receiver, "group", m.GroupKey)
	} else {
		a.metrics.stored.Inc()
		a.outbox.Add(items)
	}
	a.metrics.intake.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusOK, resp)
}

// itemView is an outbox item as listed: the notification summarised, not whole.
type itemView struct {
	ID        uint64    `json:"id"`
	State     string    `json:"state"`
	Channel   string    `json:"channel"`
	Recipient string    `json:"recipient"`
	Receiver  string    `json:"receiver"`
	Status    string    `json:"status"`
	Alerts    []string  `json:"alerts"`
	Created   time.Time `json:"created"`
	NextAt    time.Time `json:"next_attempt,omitzero"`
	Attempts  int       `json:"attempts"`
	PartsSent int       `json:"parts_sent,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func view(it *store.Item) itemView {
	v := itemView{ID: it.ID, State: it.State, Channel: it.Channel, Recipient: it.Recipient, Created: it.Created,
		NextAt: it.NextAt, Attempts: it.Attempts, PartsSent: it.PartsSent, Reason: it.Reason, Error: it.Error}
	if it.Message != nil {
		v.Receiver, v.Status = payload.UnquoteReceiver(it.Message.Receiver), it.Message.Status
		for _, al := range it.Message.Alerts {
			name := al.Labels["alertname"]
			if inst := al.Labels["instance"]; inst != "" {
				name += "{instance=" + strconv.Quote(inst) + "}"
			}
			v.Alerts = append(v.Alerts, name)
		}
	}
	return v
}

func (a *App) handleList(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state != "" && state != store.Pending && state != store.Dead {
		http.Error(w, `state must be "pending" or "dead"`, http.StatusBadRequest)
		return
	}
	items, err := a.store.Items(state)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := make([]itemView, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *App) handleReplay(w http.ResponseWriter, r *http.Request) {
	var ids []uint64
	for _, s := range r.URL.Query()["id"] {
		for _, f := range strings.Split(s, ",") {
			id, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				http.Error(w, fmt.Sprintf("id %q is not an item id", f), http.StatusBadRequest)
				return
			}
			ids = append(ids, id)
		}
	}
	items, err := a.outbox.Replay(ids)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := make([]itemView, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	a.log.Info("dead letters replayed", "items", len(items))
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// handleRunReport sends a report now (to check a new report, or on demand).
func (a *App) handleRunReport(w http.ResponseWriter, r *http.Request) {
	cfg, _ := a.current()
	name := r.PathValue("name")
	for _, rc := range cfg.Reports {
		if rc.Name != name {
			continue
		}
		runner, err := report.New(rc, cfg.Location, a.enqueueReport, a.log)
		if err == nil {
			err = runner.RunOnce(r.Context(), time.Now())
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "report %s queued\n", name)
		return
	}
	http.Error(w, fmt.Sprintf("no report is named %q", name), http.StatusNotFound)
}

// requireBearer refuses requests without "Authorization: Bearer token" (when token is set).
// Health and readiness stay open for probes.
func requireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/healthy" || r.URL.Path == "/-/ready" ||
			subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="ronda-webhook"`)
		http.Error(w, "a bearer token is required (Authorization: Bearer …)", http.StatusUnauthorized)
	})
}
