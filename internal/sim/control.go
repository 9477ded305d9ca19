package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rondanet/ronda/internal/sim/routeros"
)

// maxBodyBytes bounds a control request body: they are all a few fields of JSON.
const maxBodyBytes = 64 << 10

func (lab *Lab) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /routers", lab.listRouters)
	mux.HandleFunc("GET /routers/{name}", lab.withRouter(lab.getRouter))
	mux.HandleFunc("GET /routers/{name}/users", lab.withRouter(lab.listUsers))
	mux.HandleFunc("GET /routers/{name}/active", lab.withRouter(lab.listActive))
	mux.HandleFunc("GET /routers/{name}/log", lab.withRouter(lab.listLog))
	mux.HandleFunc("GET /routers/{name}/writes", lab.withRouter(lab.listWrites))
	mux.HandleFunc("POST /routers/{name}/power-loss", lab.withRouter(powerEvent((*routeros.Router).PowerLoss)))
	mux.HandleFunc("POST /routers/{name}/power-off", lab.withRouter(powerEvent((*routeros.Router).PowerOff)))
	mux.HandleFunc("POST /routers/{name}/power-on", lab.withRouter(powerEvent((*routeros.Router).PowerOn)))
	mux.HandleFunc("POST /routers/{name}/reboot", lab.withRouter(powerEvent((*routeros.Router).Reboot)))
	mux.HandleFunc("POST /routers/{name}/login", lab.withRouter(lab.login))
	mux.HandleFunc("POST /routers/{name}/logout", lab.withRouter(lab.logout))
	mux.HandleFunc("POST /routers/{name}/fault", lab.withRouter(lab.setFault))
	mux.HandleFunc("POST /routers/{name}/empty-reply", lab.withRouter(lab.setEmptyReply))
	mux.HandleFunc("GET /clock", lab.getClock)
	mux.HandleFunc("POST /clock/advance", lab.advanceClock)
	lab.oltRoutes(mux) // control_olt.go
	// The SSH hosts' endpoints are in control_ssh.go.
	lab.hostRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %s %s; try GET /routers", r.Method, r.URL.Path))
	})
	return mux
}

type routerHandler func(w http.ResponseWriter, r *http.Request, name string, router *routeros.Router)

func (lab *Lab) withRouter(h routerHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		router, ok := lab.Router(name)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no router named %q (see GET /routers)", name))
			return
		}
		h(w, r, name, router)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// readBody decodes a small JSON body strictly; an empty body is an error too.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the body is empty")
		}
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// RouterStatus is one entry of GET /routers.
type RouterStatus struct {
	Name          string    `json:"name"`
	Address       string    `json:"address"`
	Powered       bool      `json:"powered"`
	BootTime      time.Time `json:"boot_time"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	Users         int       `json:"users"`
	Active        int       `json:"active"`
	Fault         string    `json:"fault"`
	APILogins     int       `json:"api_logins"`
}

func (lab *Lab) status(name string, r *routeros.Router) RouterStatus {
	boot := r.BootTime()
	return RouterStatus{
		Name: name, Address: r.Addr(), Powered: r.Powered(), BootTime: boot,
		UptimeSeconds: lab.clock.Now().Sub(boot).Seconds(),
		Users:         len(r.Users()), Active: len(r.Active()), Fault: r.Fault().String(), APILogins: r.Logins(),
	}
}

func (lab *Lab) listRouters(w http.ResponseWriter, _ *http.Request) {
	out := make([]RouterStatus, 0, len(lab.routers))
	for _, lr := range lab.routers {
		out = append(out, lab.status(lr.name, lr.router))
	}
	writeJSON(w, http.StatusOK, out)
}

func (lab *Lab) getRouter(w http.ResponseWriter, _ *http.Request, name string, r *routeros.Router) {
	writeJSON(w, http.StatusOK, lab.status(name, r))
}

// UserView is one entry of GET /routers/{name}/users.
type UserView struct {
	Name               string  `json:"name"`
	Profile            string  `json:"profile"`
	Server             string  `json:"server"`
	Comment            string  `json:"comment,omitempty"`
	Disabled           bool    `json:"disabled"`
	LimitUptime        string  `json:"limit_uptime,omitempty"`
	LimitUptimeSeconds float64 `json:"limit_uptime_seconds"`
	Uptime             string  `json:"uptime"`
	UptimeSeconds      float64 `json:"uptime_seconds"`
	BytesIn            int64   `json:"bytes_in"`
	BytesOut           int64   `json:"bytes_out"`
}

func (lab *Lab) listUsers(w http.ResponseWriter, _ *http.Request, _ string, r *routeros.Router) {
	users := r.Users()
	out := make([]UserView, len(users))
	for i, u := range users {
		out[i] = UserView{
			Name: u.Name, Profile: u.Profile, Server: u.Server, Comment: u.Comment, Disabled: u.Disabled,
			LimitUptimeSeconds: u.LimitUptime.Seconds(), Uptime: routeros.FormatDuration(u.Uptime),
			UptimeSeconds: u.Uptime.Seconds(), BytesIn: u.BytesIn, BytesOut: u.BytesOut,
		}
		if u.LimitUptime > 0 {
			out[i].LimitUptime = routeros.FormatDuration(u.LimitUptime)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// SessionView is one entry of GET /routers/{name}/active.
type SessionView struct {
	ID            string    `json:"id"`
	User          string    `json:"user"`
	Address       string    `json:"address"`
	MACAddress    string    `json:"mac_address"`
	LoginAt       time.Time `json:"login_at"`
	Uptime        string    `json:"uptime"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	BytesIn       int64     `json:"bytes_in"`
	BytesOut      int64     `json:"bytes_out"`
}

func (lab *Lab) sessionView(s routeros.Session) SessionView {
	up := max(lab.clock.Now().Sub(s.LoginAt), 0).Truncate(time.Second)
	return SessionView{
		ID: s.ID, User: s.User, Address: s.Address, MACAddress: s.MACAddress, LoginAt: s.LoginAt,
		Uptime: routeros.FormatDuration(up), UptimeSeconds: up.Seconds(), BytesIn: s.BytesIn, BytesOut: s.BytesOut,
	}
}

func (lab *Lab) listActive(w http.ResponseWriter, _ *http.Request, _ string, r *routeros.Router) {
	sessions := r.Active()
	out := make([]SessionView, len(sessions))
	for i, s := range sessions {
		out[i] = lab.sessionView(s)
	}
	writeJSON(w, http.StatusOK, out)
}

func (lab *Lab) listLog(w http.ResponseWriter, _ *http.Request, _ string, r *routeros.Router) {
	writeJSON(w, http.StatusOK, r.Log())
}

func (lab *Lab) listWrites(w http.ResponseWriter, _ *http.Request, _ string, r *routeros.Router) {
	writeJSON(w, http.StatusOK, r.Writes())
}

func powerEvent(event func(*routeros.Router)) routerHandler {
	return func(w http.ResponseWriter, _ *http.Request, name string, r *routeros.Router) {
		event(r)
		writeJSON(w, http.StatusOK, map[string]any{"router": name, "powered": r.Powered(), "boot_time": r.BootTime()})
	}
}

type loginRequest struct {
	User       string `json:"user"`
	Address    string `json:"address"`
	MACAddress string `json:"mac_address"`
}

func (lab *Lab) login(w http.ResponseWriter, req *http.Request, _ string, r *routeros.Router) {
	var body loginRequest
	if !readBody(w, req, &body) {
		return
	}
	if body.User == "" {
		writeError(w, http.StatusBadRequest, `"user" is required`)
		return
	}
	s, err := r.Login(body.User, body.Address, body.MACAddress)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, lab.sessionView(s))
}

func (lab *Lab) logout(w http.ResponseWriter, req *http.Request, _ string, r *routeros.Router) {
	var body struct {
		User string `json:"user"`
	}
	if !readBody(w, req, &body) {
		return
	}
	if body.User == "" {
		writeError(w, http.StatusBadRequest, `"user" is required`)
		return
	}
	if _, ok := r.User(body.User); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no user %q", body.User))
		return
	}
	if err := r.Logout(body.User); err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	u, _ := r.User(body.User)
	writeJSON(w, http.StatusOK, map[string]any{"user": u.Name, "uptime": routeros.FormatDuration(u.Uptime), "uptime_seconds": u.Uptime.Seconds()})
}

// statusOf maps the router's errors to HTTP: unknown things are 404, refusals 409.
func statusOf(err error) int {
	if errors.Is(err, routeros.ErrNoSuchUser) {
		return http.StatusNotFound
	}
	return http.StatusConflict
}

func (lab *Lab) setFault(w http.ResponseWriter, req *http.Request, name string, r *routeros.Router) {
	var body struct {
		Fault string `json:"fault"`
	}
	if !readBody(w, req, &body) {
		return
	}
	f, ok := routeros.ParseFault(body.Fault)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown fault %q: use none, stall, drop-mid-reply, fatal, malformed-length or garbage", body.Fault))
		return
	}
	r.SetFault(f)
	writeJSON(w, http.StatusOK, map[string]string{"router": name, "fault": f.String()})
}

func (lab *Lab) setEmptyReply(w http.ResponseWriter, req *http.Request, name string, r *routeros.Router) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if !readBody(w, req, &body) {
		return
	}
	if body.Enabled == nil {
		writeError(w, http.StatusBadRequest, `"enabled" (true or false) is required`)
		return
	}
	r.SetEmptyReply(*body.Enabled)
	writeJSON(w, http.StatusOK, map[string]any{"router": name, "empty_reply": *body.Enabled})
}

type clockView struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
}

func (lab *Lab) getClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, clockView{Now: lab.clock.Now(), Frozen: lab.manual != nil})
}

func (lab *Lab) advanceClock(w http.ResponseWriter, r *http.Request) {
	if lab.manual == nil {
		writeError(w, http.StatusConflict, "the clock is not frozen: start ronda-sim with --clock.frozen to move time by hand")
		return
	}
	by, err := time.ParseDuration(r.URL.Query().Get("by"))
	if err != nil {
		if by, err = routeros.ParseDuration(r.URL.Query().Get("by")); err != nil || r.URL.Query().Get("by") == "" {
			writeError(w, http.StatusBadRequest, "query parameter by must be a duration such as 5m or 1h30m")
			return
		}
	}
	if by < 0 {
		writeError(w, http.StatusBadRequest, "the clock only moves forward")
		return
	}
	lab.manual.Advance(by)
	writeJSON(w, http.StatusOK, clockView{Now: lab.manual.Now(), Frozen: true})
}
