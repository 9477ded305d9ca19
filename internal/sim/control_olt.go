package sim

import (
	"fmt"
	"net/http"

	"github.com/rondanet/ronda/internal/sim/olt"
)

// oltRoutes adds the OLTs' control endpoints.
func (lab *Lab) oltRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /olts", lab.listOLTs)
	mux.HandleFunc("GET /olts/{name}", lab.withOLT(func(w http.ResponseWriter, _ *http.Request, name string, o *olt.OLT) {
		writeJSON(w, http.StatusOK, oltStatus(name, o))
	}))
	mux.HandleFunc("GET /olts/{name}/onus", lab.withOLT(func(w http.ResponseWriter, _ *http.Request, _ string, o *olt.OLT) {
		writeJSON(w, http.StatusOK, o.ONUs())
	}))
	mux.HandleFunc("GET /olts/{name}/requests", lab.withOLT(func(w http.ResponseWriter, _ *http.Request, _ string, o *olt.OLT) {
		writeJSON(w, http.StatusOK, o.Requests())
	}))
	mux.HandleFunc("POST /olts/{name}/fault", lab.withOLT(setOLTFault))
	mux.HandleFunc("POST /olts/{name}/onu", lab.withOLT(changeONU))
}

type oltHandler func(w http.ResponseWriter, r *http.Request, name string, o *olt.OLT)

func (lab *Lab) withOLT(h oltHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		o, ok := lab.OLT(name)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no OLT named %q (see GET /olts)", name))
			return
		}
		h(w, r, name, o)
	}
}

// OLTStatus is one entry of GET /olts.
type OLTStatus struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Address     string `json:"address"`
	Personality string `json:"personality"`
	Fault       string `json:"fault"`
	ONUs        int    `json:"onus"`
	Requests    int    `json:"requests"` // the last 1000 at most
	Writes      int    `json:"writes"`   // requests that would have changed the OLT
}

func oltStatus(name string, o *olt.OLT) OLTStatus {
	return OLTStatus{
		Name: name, URL: o.URL(), Address: o.Addr(), Personality: string(o.Personality()),
		Fault: string(o.Fault()), ONUs: len(o.ONUs()), Requests: len(o.Requests()), Writes: o.Writes(),
	}
}

func (lab *Lab) listOLTs(w http.ResponseWriter, _ *http.Request) {
	out := make([]OLTStatus, 0, len(lab.olts))
	for _, lo := range lab.olts {
		out = append(out, oltStatus(lo.name, lo.olt))
	}
	writeJSON(w, http.StatusOK, out)
}

func setOLTFault(w http.ResponseWriter, r *http.Request, name string, o *olt.OLT) {
	var body struct {
		Fault string `json:"fault"`
	}
	if !readBody(w, r, &body) {
		return
	}
	if err := o.SetFault(olt.Fault(body.Fault)); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%v (use %s)", err, joinNames(olt.Faults)))
		return
	}
	writeJSON(w, http.StatusOK, oltStatus(name, o))
}

// onuRequest is the body of POST /olts/NAME/onu: which ONU, and what to change.
type onuRequest struct {
	PON int `json:"pon"`
	ONU int `json:"onu"`
	olt.ONUChange
}

func changeONU(w http.ResponseWriter, r *http.Request, _ string, o *olt.OLT) {
	var body onuRequest
	if !readBody(w, r, &body) {
		return
	}
	if err := o.ChangeONU(body.PON, body.ONU, body.ONUChange); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	for _, u := range o.ONUs() {
		if u.PON == body.PON && u.ID == body.ONU {
			writeJSON(w, http.StatusOK, u)
			return
		}
	}
}
