package sim

import (
	"fmt"
	"net/http"

	"github.com/rondanet/ronda/internal/sim/sshhost"
)

// hostRoutes adds the SSH hosts' control endpoints.
func (lab *Lab) hostRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /hosts", func(w http.ResponseWriter, _ *http.Request) {
		out := make([]HostStatus, 0, len(lab.hosts))
		for _, h := range lab.hosts {
			out = append(out, hostStatus(h))
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /hosts/{name}", lab.withHost(func(w http.ResponseWriter, _ *http.Request, h *sshhost.Host) {
		writeJSON(w, http.StatusOK, hostStatus(h))
	}))
	mux.HandleFunc("POST /hosts/{name}/fault", lab.withHost(func(w http.ResponseWriter, r *http.Request, h *sshhost.Host) {
		var body struct {
			Fault string `json:"fault"`
		}
		if !readBody(w, r, &body) {
			return
		}
		if err := h.SetFault(sshhost.Fault(body.Fault)); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%v (use %s)", err, joinNames(sshhost.Faults)))
			return
		}
		writeJSON(w, http.StatusOK, hostStatus(h))
	}))
	mux.HandleFunc("POST /hosts/{name}/unit", lab.withHost(func(w http.ResponseWriter, r *http.Request, h *sshhost.Host) {
		var body struct {
			Unit    string `json:"unit"`
			Stopped bool   `json:"stopped"`
		}
		if !readBody(w, r, &body) {
			return
		}
		if !simUnitName.MatchString(body.Unit) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a unit name like nginx.service", body.Unit))
			return
		}
		h.SetUnitStopped(body.Unit, body.Stopped)
		writeJSON(w, http.StatusOK, hostStatus(h))
	}))
}

type hostHandler func(w http.ResponseWriter, r *http.Request, h *sshhost.Host)

func (lab *Lab) withHost(f hostHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		h, ok := lab.Host(name)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no SSH host named %q (see GET /hosts)", name))
			return
		}
		f(w, r, h)
	}
}

// HostStatus is one entry of GET /hosts.
type HostStatus struct {
	Name         string   `json:"name"`
	Address      string   `json:"address"`
	Fault        string   `json:"fault"`
	StoppedUnits []string `json:"stopped_units"`
	Logins       int64    `json:"logins"`
	Scrapes      int64    `json:"scripts_run"`
}

func hostStatus(h *sshhost.Host) HostStatus {
	return HostStatus{Name: h.Name(), Address: h.Addr(), Fault: string(h.Fault()), StoppedUnits: h.StoppedUnits(),
		Logins: h.Logins(), Scrapes: h.Execs()}
}
