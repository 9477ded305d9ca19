// Package web is ronda-restore's web page: the field tool's flow in a browser. Pick a router,
// pick a restore point (an abrupt reboot found in the Prometheus history, or any other
// time), see the users online then with what they lost, press Restore, confirm, and see
// what was written.
//
// It is plain server-rendered HTML that works without JavaScript, on a phone. Only POST
// changes anything, and every POST carries a CSRF token bound to a SameSite=Strict session
// cookie. The browser never sends plan numbers to apply: a form carries only the router and
// the identity of the restore point, and the server finds the point again, plans again and
// applies that plan. The numbers the operator confirmed travel along only to be compared:
// when the fresh plan differs, nothing is written and the page says so.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rondanet/ronda/restore"
)

// Defaults of Options.
const (
	DefaultWindow       = 7 * 24 * time.Hour
	DefaultTimeout      = time.Minute
	DefaultApplyTimeout = 10 * time.Minute
)

// Options configure the page.
type Options struct {
	Service restore.Service
	Logger  *slog.Logger
	// Location is the zone times are shown and typed in; nil means the server's local zone.
	Location *time.Location
	// Window is how far back the list of restore points looks unless the page asks for
	// another number of days; 0 means DefaultWindow.
	Window time.Duration
	// Timeout bounds the calls to Prometheus and the router behind one page; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// ApplyTimeout bounds one restore; 0 means DefaultApplyTimeout. A restore that has
	// started goes on when the browser goes away (a phone losing signal), so that it never
	// stops half done for that reason; the ledger makes a second try harmless anyway.
	ApplyTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves the page. Mount it at the root of its own listener.
type Handler struct {
	opts  Options
	log   *slog.Logger
	csrf  *csrf
	mux   *http.ServeMux
	pages map[string]*template.Template
}

//go:embed templates/*.html templates/style.css
var files embed.FS

// New makes the page. Each Handler has its own CSRF key, made here.
func New(opts Options) (*Handler, error) {
	if opts.Service == nil {
		return nil, errors.New("restore web page: no Service")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ApplyTimeout <= 0 {
		opts.ApplyTimeout = DefaultApplyTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := newCSRF()
	if err != nil {
		return nil, fmt.Errorf("restore web page: making the CSRF key: %w", err)
	}
	h := &Handler{opts: opts, log: opts.Logger, csrf: c, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"dur":   humanDuration,
		"when":  h.when,
		"limit": limitText,
		"skip":  skipText,
		"users": restore.Users,
	}
	for _, page := range []string{"routers", "points", "plan", "confirm", "result", "error"} {
		t, err := template.New(page+".html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("restore web page: template %s: %w", page, err)
		}
		h.pages[page] = t
	}

	h.mux.HandleFunc("GET /{$}", h.routers)
	h.mux.HandleFunc("GET /routers/{router}", h.points)
	h.mux.HandleFunc("GET /routers/{router}/plan", h.plan)
	h.mux.HandleFunc("GET /routers/{router}/confirm", h.confirm)
	h.mux.HandleFunc("POST /routers/{router}/apply", h.apply)
	h.mux.HandleFunc("/routers/{router}/apply", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, "Restoring needs the Confirm button.",
			errors.New("a restore is made only by the Confirm button's POST; open the plan and press Restore"))
	})
	h.mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		http.ServeFileFS(w, r, files, "templates/style.css")
	})
	return h, nil
}

// contentSecurityPolicy allows nothing but this site's style sheet and forms posting back
// to it: no scripts at all, no frames.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	defer func() {
		// A bug must not show the operator a stack trace or leave a blank page.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("restore page panicked", "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error; see ronda-restore's log", http.StatusInternalServerError)
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title  string
	Zone   string
	Router string
	CSRF   string
	Data   any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title, router string, data any) {
	// The zone as the clock on the wall names it now ("WIB (UTC+07:00)"): a Location's own
	// name is "Local" for the server's zone, which tells the operator nothing.
	zone := h.opts.Now().In(h.opts.Location).Format("MST (UTC-07:00)")
	p := page{Title: title, Zone: zone, Router: router, Data: data}
	if name == "confirm" {
		p.CSRF = h.csrf.token(h.csrf.session(w, r))
	} else {
		h.csrf.session(w, r) // every page hands out the session, so the confirm form works
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.pages[name].Execute(w, p); err != nil {
		h.log.Error("rendering the restore page", "page", name, "err", err)
	}
}

type errorView struct {
	Status  int
	Heading string
	Reason  string
	Back    string
	// Accept, for a plan refused over an unseen gap, plans again accepting it.
	Accept, AcceptGap string
}

// fail shows a clear message and the reason; never a stack trace.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, heading string, err error) {
	h.failBack(w, r, status, heading, err, "")
}

func (h *Handler) failBack(w http.ResponseWriter, r *http.Request, status int, heading string, err error, back string) {
	if status >= 500 {
		h.log.Warn("restore page failed", "path", r.URL.Path, "status", status, "err", err)
	}
	v := errorView{Status: status, Heading: heading, Reason: err.Error(), Back: back}
	var gap gapError
	if errors.As(err, &gap) {
		v.Accept, v.AcceptGap = planPath(r.PathValue("router"), "plan", gap.accept), humanDuration(gap.gap)
	}
	h.render(w, r, status, "error", heading, r.PathValue("router"), v)
}

// statusOf maps a Service error to the page's status: a time-out is 504; the core's
// classes say the rest (a refused plan or a held lock 409, an unreachable router or
// Prometheus 502); an error can also choose its own status with an HTTPStatus() int
// method; anything else is 502, a failure of what the page depends on.
func statusOf(err error) int {
	var s interface{ HTTPStatus() int }
	var classed *restore.Error
	switch {
	case errors.Is(err, errBadInput):
		return http.StatusBadRequest
	case errors.Is(err, errNoPoint):
		return http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &s):
		return s.HTTPStatus()
	case errors.As(err, &classed):
		switch classed.Failure {
		case restore.Refused, restore.Incomplete:
			return http.StatusConflict
		}
	}
	return http.StatusBadGateway
}

// knownRouter checks the router in the path against the exporter's config.
func (h *Handler) knownRouter(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("router")
	if !slices.Contains(h.opts.Service.Routers(), name) {
		h.failBack(w, r, http.StatusNotFound, "No such router",
			fmt.Errorf("%q is not a MikroTik target in the exporter's configuration", name), "/")
		return "", false
	}
	return name, true
}

func (h *Handler) routers(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "routers", "Routers", "", h.opts.Service.Routers())
}

type pointsView struct {
	Days    int
	Choices []int
	From    time.Time
	Points  []pointRow
	AtValue string // the datetime-local field's initial value: now
}

type pointRow struct {
	restore.Point
	Link string
}

func (h *Handler) points(w http.ResponseWriter, r *http.Request) {
	router, ok := h.knownRouter(w, r)
	if !ok {
		return
	}
	window := h.opts.Window
	if d := r.URL.Query().Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 366 {
			h.fail(w, r, http.StatusBadRequest, "Bad window", fmt.Errorf("days=%q: give a whole number of days from 1 to 366", d))
			return
		}
		window = time.Duration(n) * 24 * time.Hour
	}
	now := h.opts.Now()
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	points, err := h.opts.Service.Points(ctx, router, now.Add(-window), now)
	if err != nil {
		h.fail(w, r, statusOf(err), "Could not list restore points", err)
		return
	}
	// The Service promises newest first; sorting again costs nothing and keeps the
	// promise on the page whatever the implementation.
	slices.SortStableFunc(points, func(a, b restore.Point) int { return b.At.Compare(a.At) })
	v := pointsView{
		Days:    int((window + 12*time.Hour) / (24 * time.Hour)),
		Choices: []int{1, 3, 7, 30},
		From:    now.Add(-window),
		AtValue: now.In(h.opts.Location).Format("2006-01-02T15:04"),
	}
	for _, p := range points {
		v.Points = append(v.Points, pointRow{Point: p, Link: planPath(router, "plan", selection{At: p.At, Boot: p.BootTime})})
	}
	h.render(w, r, http.StatusOK, "points", "Restore points of "+router, router, v)
}

func planPath(router, step string, sel selection) string {
	return "/routers/" + pathEscape(router) + "/" + step + "?" + sel.values().Encode()
}

// errNoPoint: the identity in the form names no restore point the history still has.
var errNoPoint = errors.New("no such restore point")

// pointMargin widens the search for a reboot around its identity, so that Points finds
// it whether it selects reboots by the restore point's time or by the boot time.
const pointMargin = time.Hour

// resolve finds the restore point named by id again, from the history: the browser's word
// is only an identity, never the point's numbers.
func (h *Handler) resolve(ctx context.Context, router string, id selection) (restore.Point, error) {
	if id.Boot.IsZero() {
		return h.opts.Service.PointAt(ctx, router, id.At)
	}
	to := id.Boot.Add(pointMargin)
	if now := h.opts.Now(); to.After(now) {
		to = now
	}
	points, err := h.opts.Service.Points(ctx, router, id.At.Add(-pointMargin), to)
	if err != nil {
		return restore.Point{}, err
	}
	// Links carry milliseconds; the boot time is derived from the router's uptime and
	// may wobble by a scrape's latency between two reads of the history.
	best, found := restore.Point{}, false
	for _, p := range points {
		if absDur(p.At.Sub(id.At)) < time.Millisecond && absDur(p.BootTime.Sub(id.Boot)) < time.Minute &&
			(!found || absDur(p.BootTime.Sub(id.Boot)) < absDur(best.BootTime.Sub(id.Boot))) {
			best, found = p, true
		}
	}
	if !found {
		return restore.Point{}, fmt.Errorf("%w: %s has no reboot at %s with a restore point at %s in the history any more",
			errNoPoint, router, formatStamp(id.Boot), formatStamp(id.At))
	}
	return best, nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

type planView struct {
	Point      restore.Point
	Force      bool
	MaxGap     time.Duration
	Entries    []restore.Entry
	Restore    int
	GiveBack   time.Duration
	Skipped    int
	LimitSkips int // skipped for a changed limit: the page offers to force them
	PlanURL    string
	ForceURL   string
	ConfirmURL string
	PointsURL  string
	// Hidden holds the confirm form's fields: the selection, nothing more.
	Hidden []hiddenField
}

type hiddenField struct{ Name, Value string }

// gapError is a plan refused for a gap Prometheus did not see the router fail in: the
// page offers to accept it, as the CLI's --max-gap does.
type gapError struct {
	error
	accept selection
	gap    time.Duration
}

func (e gapError) Unwrap() error { return e.error }

// planFor resolves the point from the request's form and plans it.
func (h *Handler) planFor(ctx context.Context, router string, form url.Values) (*planView, *restore.Plan, error) {
	sel, err := parseSelection(form, h.opts.Location)
	if err != nil {
		return nil, nil, err
	}
	p, err := h.resolve(ctx, router, sel)
	if err != nil {
		return nil, nil, err
	}
	plan, err := h.opts.Service.Plan(ctx, p, restore.PlanOptions{Force: sel.Force, MaxGap: sel.MaxGap})
	if err != nil {
		// Only a gap the plan does not accept is offered (Plan checks it before reading
		// anything): any other failure is shown as it is.
		if !p.GapAccepted(sel.MaxGap) {
			accept := sel
			accept.At, accept.Boot, accept.MaxGap = p.At, p.BootTime, p.Gap
			return nil, nil, gapError{error: err, accept: accept, gap: p.Gap}
		}
		return nil, nil, err
	}
	// Links carry the resolved point's identity: a typed time becomes the exact scrape.
	sel.At, sel.Boot = plan.Point.At, plan.Point.BootTime
	toggled := sel
	toggled.Force = !sel.Force
	v := &planView{
		Point: plan.Point, Force: sel.Force, MaxGap: sel.MaxGap, Entries: plan.Entries,
		PlanURL:    planPath(router, "plan", sel),
		ForceURL:   planPath(router, "plan", toggled),
		ConfirmURL: planPath(router, "confirm", sel),
		PointsURL:  "/routers/" + pathEscape(router),
	}
	vals := sel.values()
	for _, k := range []string{"at", "boot", "force", "max_gap"} {
		if vals.Has(k) {
			v.Hidden = append(v.Hidden, hiddenField{k, vals.Get(k)})
		}
	}
	v.Restore, v.GiveBack = summarize(plan)
	for _, e := range plan.Entries {
		if !e.Restored() {
			v.Skipped++
		}
		if e.Skip == restore.SkipLimitChanged {
			v.LimitSkips++
		}
	}
	return v, plan, nil
}

// summarize counts what a plan would write: the users and the time given back.
func summarize(plan *restore.Plan) (users int, total time.Duration) {
	for _, e := range plan.Entries {
		if e.Restored() {
			users++
			total += e.Lost
		}
	}
	return users, total
}

func (h *Handler) plan(w http.ResponseWriter, r *http.Request) {
	if router, v, ok := h.planPage(w, r); ok {
		h.render(w, r, http.StatusOK, "plan", "Users online on "+router, router, v)
	}
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) {
	router, v, ok := h.planPage(w, r)
	if !ok {
		return
	}
	if v.Restore == 0 {
		h.failBack(w, r, http.StatusConflict, "Nothing to restore",
			errors.New("no user online at this restore point gets time back; nothing would be written"), v.PlanURL)
		return
	}
	h.render(w, r, http.StatusOK, "confirm", "Confirm the restore on "+router, router, v)
}

// planPage plans the restore a GET page's query names (the plan and its confirmation
// show the same plan); on failure it has answered already and ok is false.
func (h *Handler) planPage(w http.ResponseWriter, r *http.Request) (router string, v *planView, ok bool) {
	router, ok = h.knownRouter(w, r)
	if !ok {
		return "", nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	v, _, err := h.planFor(ctx, router, r.URL.Query())
	if err != nil {
		h.failBack(w, r, statusOf(err), "Could not plan the restore", err, "/routers/"+pathEscape(router))
		return "", nil, false
	}
	return router, v, true
}

// maxNamedUsers is how many users written before a failed restore its page names; the
// rest are counted (the plan, one click away, shows each as already restored).
const maxNamedUsers = 10

// maxFormBytes bounds the body of the confirm form (a handful of short fields).
const maxFormBytes = 16 << 10

func (h *Handler) apply(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "Bad form", fmt.Errorf("reading the form: %w", err))
		return
	}
	if !h.csrf.check(r) {
		h.log.Warn("restore refused: missing or wrong CSRF token", "router", r.PathValue("router"), "remote", r.RemoteAddr)
		h.fail(w, r, http.StatusForbidden, "Nothing was written",
			errors.New("this form has expired (ronda-restore restarted) or did not come from this page; go back, reload the plan and confirm again"))
		return
	}
	router, ok := h.knownRouter(w, r)
	if !ok {
		return
	}
	back := "/routers/" + pathEscape(router)
	users, err1 := strconv.Atoi(r.PostForm.Get("users"))
	total, err2 := strconv.ParseInt(r.PostForm.Get("total"), 10, 64)
	if err1 != nil || err2 != nil {
		h.failBack(w, r, http.StatusBadRequest, "Nothing was written",
			errors.New("a restore needs the confirmation step: open the plan, press Restore, then Confirm"), back)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	v, plan, err := h.planFor(ctx, router, r.PostForm)
	if err != nil {
		h.failBack(w, r, statusOf(err), "Nothing was written: could not plan the restore", err, back)
		return
	}
	if v.Restore != users || int64(v.GiveBack) != total {
		h.failBack(w, r, http.StatusConflict, "Nothing was written: the plan changed",
			fmt.Errorf("you confirmed %d users and %s; the plan now restores %d users and %s (already restored, or the router changed); review it again",
				users, humanDuration(time.Duration(total)), v.Restore, humanDuration(v.GiveBack)), v.PlanURL)
		return
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.ApplyTimeout)
	defer acancel()
	h.log.Info("restoring", "router", router, "point", formatStamp(plan.Point.At), "boot", plan.Point.BootTime, "users", users,
		"give_back", time.Duration(total), "force", v.Force, "remote", r.RemoteAddr)
	res, err := h.opts.Service.Apply(actx, plan, nil)
	if err != nil {
		h.log.Error("restore failed", "router", router, "err", err)
		next := "pressing Restore again finishes the rest"
		if classed, ok := errors.AsType[*restore.Error](err); ok && classed.Failure == restore.Refused {
			next = "pressing Restore again will not help until this is fixed"
		}
		// Writes the router refused may follow users written all the same: the operator
		// must know who already has the time back, in auto's words.
		done := "no user was restored"
		if written := res.Written(); len(written) > 0 {
			done = "restored all the same: " + restore.WrittenSummary(written, maxNamedUsers, humanDuration)
		}
		h.failBack(w, r, statusOf(err), "The restore failed", fmt.Errorf("%w (%s; %s)", err, done, next), v.PlanURL)
		return
	}
	h.log.Info("restored", "router", router, "applied", res.Applied, "skipped", res.Skipped, "failed", res.Failed, "given_back", res.GivenBack)
	status := http.StatusOK
	if res.Failed > 0 {
		status = http.StatusBadGateway
	}
	h.render(w, r, status, "result", "Restore result on "+router, router, resultView{Result: res, PlanURL: v.PlanURL, PointsURL: back})
}

type resultView struct {
	*restore.Result
	PlanURL, PointsURL string
}

func (h *Handler) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(h.opts.Location).Format("2006-01-02 15:04:05 MST")
}

// limitText is a limit-uptime as RouterOS means it: 0 is no limit.
func limitText(d time.Duration) string {
	if d == 0 {
		return "unlimited"
	}
	return humanDuration(d)
}

// skipText says why a user gets nothing back, in the operator's words.
func skipText(s restore.Skip) string {
	switch s {
	case "":
		return "restore"
	case restore.SkipUnlimited:
		return "skipped: unlimited user"
	case restore.SkipExpired:
		return "skipped: expired voucher (limit 1s)"
	case restore.SkipUptimeGrew:
		return "skipped: uptime was saved across the reboot"
	case restore.SkipDeleted:
		return "skipped: user deleted since"
	case restore.SkipLimitChanged:
		return "skipped: limit changed since the reboot"
	case restore.SkipAlreadyRestored:
		return "skipped: already restored"
	case restore.SkipAmbiguous:
		return "skipped: several users have this name"
	case restore.SkipNothingLost:
		return "skipped: nothing lost"
	case restore.SkipStillOnline:
		return "skipped: still online (the router will store the session)"
	}
	return "skipped: " + string(s)
}
