package olt

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Personality is which OLT web interface the simulator plays.
type Personality string

// The personalities.
const (
	// HiOSO is a HiOSO HA7304: the all-PON page (22 columns) and the overview pages.
	HiOSO Personality = "hioso"
	// HiOSOOverview is older HiOSO firmware with only the per-PON overview pages (16
	// columns): the all-PON page answers 404.
	HiOSOOverview Personality = "hioso-overview"
	// HSGQ is an HSGQ OLT's JSON API with X-Token login (hsgq.go).
	HSGQ Personality = "hsgq"
	// VSOL is a V-SOL OLT: form login, rotating SessionKey, GB2312 HTML tables (vsol.go).
	VSOL Personality = "vsol"
)

// Personalities lists every personality.
var Personalities = []Personality{HiOSO, HiOSOOverview, HSGQ, VSOL}

// Fault is a way the OLT's web server misbehaves.
type Fault string

// The faults.
const (
	FaultNone         Fault = "none"
	FaultUnauthorized Fault = "unauthorized" // 401 whatever the credentials
	FaultServerError  Fault = "server-error" // 500
	FaultSlow         Fault = "slow"         // hold every request until the client gives up (or a minute)
	FaultTruncated    Fault = "truncated"    // promise the whole page, send half, hang up
	FaultGarbage      Fault = "garbage"      // 200 with bytes that are not a page
)

// Faults lists every fault.
var Faults = []Fault{FaultNone, FaultUnauthorized, FaultServerError, FaultSlow, FaultTruncated, FaultGarbage}

// Clock tells the simulated time.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Options configure an OLT.
type Options struct {
	Personality        Personality // default HiOSO
	Username, Password string
	PONs               int // default 4
	ONUs               []*ONU
	Clock              Clock // default the wall clock
	Logger             *slog.Logger
}

// Request is one request the OLT received.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"` // with the query
	Status int    `json:"status"`
}

// OLT is one simulated OLT web server.
type OLT struct {
	opts   Options
	server *http.Server
	l      net.Listener
	done   chan struct{}

	closeOnce sync.Once

	mu       sync.Mutex
	onus     []*ONU // sorted by PON, then ID
	fault    Fault
	requests []Request
	dropped  int // requests logged and since dropped from the front of requests
	writes   int
	inFlight int
	peak     int             // most requests in flight at once
	tokens   map[string]bool // HSGQ login tokens handed out
	// vsolSessions maps V-SOL session cookies to the SessionKey their next POST must send.
	vsolSessions map[string]string
}

// New makes an OLT; Listen starts it.
func New(opts Options) *OLT {
	if opts.Personality == "" {
		opts.Personality = HiOSO
	}
	if opts.PONs == 0 {
		opts.PONs = 4
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o := &OLT{opts: opts, fault: FaultNone, onus: slices.Clone(opts.ONUs), done: make(chan struct{})}
	o.sortONUs()
	return o
}

func (o *OLT) sortONUs() {
	slices.SortFunc(o.onus, func(a, b *ONU) int {
		if a.PON != b.PON {
			return a.PON - b.PON
		}
		return a.ID - b.ID
	})
}

// Listen starts serving on addr (host:port; port 0 picks one).
func (o *OLT) Listen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	o.l = l
	o.server = &http.Server{
		Handler:           o,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.opts.Logger.Handler(), slog.LevelDebug),
	}
	go func() { _ = o.server.Serve(l) }()
	return nil
}

// Addr is where the OLT listens.
func (o *OLT) Addr() string { return o.l.Addr().String() }

// URL is the OLT's base URL.
func (o *OLT) URL() string { return "http://" + o.Addr() }

// Close stops the OLT, cutting requests held by the slow fault.
func (o *OLT) Close() error {
	if o.server == nil {
		return nil
	}
	o.closeOnce.Do(func() { close(o.done) })
	return o.server.Close()
}

// Personality is what the OLT plays.
func (o *OLT) Personality() Personality { return o.opts.Personality }

// SetFault switches how the OLT misbehaves.
func (o *OLT) SetFault(f Fault) error {
	if !slices.Contains(Faults, f) {
		return fmt.Errorf("unknown fault %q", f)
	}
	o.mu.Lock()
	o.fault = f
	o.mu.Unlock()
	return nil
}

// Fault is the fault in force.
func (o *OLT) Fault() Fault {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fault
}

// Requests lists the requests received so far (the last 1,000), each with the status of
// its answer, 0 while it is being answered.
func (o *OLT) Requests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.requests)
}

// Writes counts requests that would change the OLT: any POST, PUT, DELETE or PATCH, and
// any request to /goform/.
func (o *OLT) Writes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writes
}

// PeakConcurrency is the most requests the OLT was serving at once.
func (o *OLT) PeakConcurrency() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.peak
}

// InFlight is the number of requests being served now.
func (o *OLT) InFlight() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inFlight
}

// ONUs returns copies of the ONUs.
func (o *OLT) ONUs() []ONU {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]ONU, len(o.onus))
	for i, u := range o.onus {
		out[i] = *u
	}
	return out
}

// ONUChange is a change to one ONU; nil fields stay as they are.
type ONUChange struct {
	Status    *Status  `json:"status,omitempty"`
	RxPower   *float64 `json:"rx_power_dbm,omitempty"`
	Temp      *float64 `json:"temperature_celsius,omitempty"`
	Active    *bool    `json:"active,omitempty"`
	Glitch    *Glitch  `json:"glitch,omitempty"`
	Name      *string  `json:"name,omitempty"`
	DyingGasp *bool    `json:"dying_gasp,omitempty"`
	Reason    *int     `json:"offline_reason,omitempty"`
}

// ChangeONU changes the ONU id on PON pon. A change of status does what the OLT would:
// going down counts a deregistration and records why (a dying gasp for PwrDown, TIMEOUT for
// Down unless a reason is given), coming up restarts the online time.
func (o *OLT) ChangeONU(pon, id int, c ONUChange) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var u *ONU
	for _, x := range o.onus {
		if x.PON == pon && x.ID == id {
			u = x
		}
	}
	if u == nil {
		return fmt.Errorf("no ONU 0/%d:%d", pon, id)
	}
	if c.Status != nil {
		if !slices.Contains(Statuses, *c.Status) {
			return fmt.Errorf("unknown status %q (use Up, Down, PwrDown, LoopDetected)", *c.Status)
		}
		wasOnline := u.online()
		u.Status = *c.Status
		switch {
		case wasOnline && !u.online():
			u.Deregs++
			u.Since = o.opts.Clock.Now()
			u.DyingGasp = u.Status == StatusPwrDown
			u.Reason = OfflineTimeout
			if u.DyingGasp {
				u.Reason = OfflineOther
			}
		case !wasOnline && u.online():
			u.Since = o.opts.Clock.Now()
		}
	}
	if c.RxPower != nil {
		u.RxPower = *c.RxPower
	}
	if c.Temp != nil {
		u.Temp = *c.Temp
	}
	if c.Active != nil {
		u.Active = *c.Active
	}
	if c.Glitch != nil {
		u.Glitch = *c.Glitch
	}
	if c.Name != nil {
		u.Name = *c.Name
	}
	if c.DyingGasp != nil {
		u.DyingGasp = *c.DyingGasp
	}
	if c.Reason != nil {
		u.Reason = *c.Reason
	}
	return nil
}

// ServeHTTP answers like a GoAhead server on a HiOSO OLT.
func (o *OLT) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The request is logged as it arrives, and its status once answered: a client that
	// has read the whole answer may look at the log before this handler has returned.
	o.mu.Lock()
	o.inFlight++
	o.peak = max(o.peak, o.inFlight)
	seq := o.dropped + len(o.requests)
	o.requests = append(o.requests, Request{Method: r.Method, Path: r.URL.RequestURI()})
	if len(o.requests) > 1000 { // keep the last ones; the write count covers them all
		o.dropped += len(o.requests) - 1000
		o.requests = slices.Delete(o.requests, 0, len(o.requests)-1000)
	}
	if o.isWrite(r) {
		o.writes++
	}
	o.mu.Unlock()
	status := 0
	// Deferred: the truncated fault ends the handler with a panic.
	defer func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.inFlight--
		if i := seq - o.dropped; i >= 0 {
			o.requests[i].Status = status
		}
	}()
	status = o.serve(w, r)
}

// isWrite reports whether a request would change the OLT: anything but a GET (or HEAD)
// and a login, and any request to HiOSO's /goform/.
func (o *OLT) isWrite(r *http.Request) bool {
	if o.opts.Personality == HSGQ && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/userlogin") && r.URL.Query().Get("form") == "login" {
		return false
	}
	// V-SOL's login and its PON selector are POSTs that change nothing.
	if o.opts.Personality == VSOL && r.Method == http.MethodPost &&
		(strings.HasSuffix(r.URL.Path, "/action/main.html") || strings.HasSuffix(r.URL.Path, "/action/onuinfo.html")) {
		return false
	}
	return r.Method != http.MethodGet && r.Method != http.MethodHead || strings.HasPrefix(r.URL.Path, "/goform/")
}

// basicAuthOK checks HiOSO's HTTP Basic credentials.
func (o *OLT) basicAuthOK(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(o.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(o.opts.Password)) == 1
}

func (o *OLT) serve(w http.ResponseWriter, r *http.Request) int {
	fault := o.Fault()
	hioso := o.opts.Personality == HiOSO || o.opts.Personality == HiOSOOverview
	if fault == FaultUnauthorized || hioso && !o.basicAuthOK(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="GoAhead"`)
		http.Error(w, "<html><body><h2>Access Denied</h2></body></html>", http.StatusUnauthorized)
		return http.StatusUnauthorized
	}
	switch fault {
	case FaultServerError:
		http.Error(w, "<html><body><h2>Internal Server Error</h2></body></html>", http.StatusInternalServerError)
		return http.StatusInternalServerError
	case FaultSlow:
		select {
		case <-r.Context().Done():
		case <-o.done:
		case <-time.After(time.Minute):
		}
		return 0
	case FaultGarbage:
		garbage := make([]byte, 4096)
		rng := rand.New(rand.NewPCG(uint64(len(o.Requests())), 7))
		for i := range garbage {
			garbage[i] = byte(rng.IntN(256))
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(garbage)
		return http.StatusOK
	}
	switch o.opts.Personality {
	case HSGQ:
		return o.serveHSGQ(w, r, fault)
	case VSOL:
		return o.serveVSOL(w, r, fault)
	}

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// HiOSO accepts its writes (POST /goform/setOnu); the simulator records them
		// (see Writes) and changes nothing.
		http.Redirect(w, r, "/onuAllPonOnuList.asp", http.StatusFound)
		return http.StatusFound
	}
	buf := pageBufs.Get().(*[]byte)
	defer pageBufs.Put(buf) // deferred: the truncated fault ends the handler with a panic
	page, status := o.page(r, (*buf)[:0])
	*buf = page
	if status != http.StatusOK {
		http.Error(w, "<html><body><h2>Page Not Found</h2></body></html>", status)
		return status
	}
	w.Header().Set("Content-Type", "text/html")
	writeBody(w, fault, page) // the truncated fault hangs up mid-body, as a crashing server does
	return http.StatusOK
}

// page appends the page asked for to b, or answers a status.
func (o *OLT) page(r *http.Request, b []byte) ([]byte, int) {
	now := o.opts.Clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	switch r.URL.Path {
	case "/onuAllPonOnuList.asp":
		if o.opts.Personality == HiOSOOverview {
			return b, http.StatusNotFound
		}
		return appendPage(b, o.onus, 22, now), http.StatusOK
	case "/onuOverview.asp":
		pon, err := parsePON(r.URL.Query().Get("oltponno"))
		if err != nil || pon < 1 || pon > o.opts.PONs {
			return b, http.StatusNotFound
		}
		// o.onus is sorted by PON, then ID.
		lo := sort.Search(len(o.onus), func(i int) bool { return o.onus[i].PON >= pon })
		hi := sort.Search(len(o.onus), func(i int) bool { return o.onus[i].PON > pon })
		return appendPage(b, o.onus[lo:hi], 16, now), http.StatusOK
	case "/", "/index.asp":
		return append(b, "<html><head><title>EPON OLT</title></head><body><frameset><frame src=\"/onuAllPonOnuList.asp\"></frameset></body></html>\n"...), http.StatusOK
	}
	return b, http.StatusNotFound
}

// parsePON reads "0/N".
func parsePON(s string) (int, error) {
	slot, port, ok := strings.Cut(s, "/")
	if !ok || slot != "0" {
		return 0, errors.New("not 0/N")
	}
	return strconv.Atoi(port)
}
