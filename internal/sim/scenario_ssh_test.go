package sim

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHostScenario(t *testing.T) {
	s, err := ParseScenario(strings.NewReader("hosts:\n  - {name: web-1, listen: 127.0.0.1:0, stopped_units: [nginx.service]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Hosts[0]; got.CPUs != 2 || got.StoppedUnits[0] != "nginx.service" {
		t.Errorf("host %+v", got)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"hosts:\n  - {listen: 127.0.0.1:0}\n", "line 2: hosts[0]: name is required"},
		{"hosts:\n  - {name: a}\n", "line 2: hosts[0] (a): listen is required"},
		{"hosts:\n  - {name: a, listen: 127.0.0.1:1}\n  - {name: a, listen: 127.0.0.1:2}\n", `line 3: hosts[1]: name "a" is used twice`},
		{"olts:\n  - {name: a, listen: 127.0.0.1:1}\nhosts:\n  - {name: a, listen: 127.0.0.1:2}\n", `hosts[0]: name "a" is used twice`},
		{"hosts:\n  - {name: a, listen: 127.0.0.1:1, cpus: 300}\n", "cpus must be between 1 and 256"},
		{"hosts:\n  - {name: a, listen: 127.0.0.1:1, stopped_units: [\"a b\"]}\n", `"a b" is not a unit name`},
		{"hosts:\n  - {name: a, listen: 127.0.0.1:1, colour: red}\n", `unknown key "colour" in an SSH host`},
	} {
		_, err := ParseScenario(strings.NewReader(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

// TestLabStartsHosts: a lab with a hosts section serves SSH (checked with the real
// x/crypto/ssh client) and closes them with the lab.
func TestLabStartsHosts(t *testing.T) {
	s, err := ParseScenario(strings.NewReader("hosts:\n  - {name: web-1, listen: 127.0.0.1:0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := Start(Options{Scenario: s, ControlAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := lab.Host("web-1")
	if !ok {
		t.Fatal("no host web-1")
	}
	signer, _ := ssh.NewSignerFromKey(mustKey(t))
	client, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{
		User: "ronda", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.FixedHostKey(h.HostKey()),
	})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Run("uptime"); err == nil {
		t.Error("a command other than the collector's script succeeded")
	}
	client.Close()
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{User: "ronda", HostKeyCallback: ssh.InsecureIgnoreHostKey()}); err == nil {
		t.Error("host still serving after the lab closed")
	}
}

func mustKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// TestHostControl: the control API lists hosts, stops a unit and sets a fault.
func TestHostControl(t *testing.T) {
	s, err := ParseScenario(strings.NewReader("hosts:\n  - {name: web-1, listen: 127.0.0.1:0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := Start(Options{Scenario: s, ControlAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	h, _ := lab.Host("web-1")
	srv := httptest.NewServer(lab.handler())
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/hosts/web-1/unit", `{"unit":"nginx.service","stopped":true}`); code != 200 || len(h.StoppedUnits()) != 1 {
		t.Errorf("stop unit: %d %v", code, h.StoppedUnits())
	}
	if code := post("/hosts/web-1/fault", `{"fault":"stall"}`); code != 200 || h.Fault() != "stall" {
		t.Errorf("fault: %d %v", code, h.Fault())
	}
	if code := post("/hosts/web-1/fault", `{"fault":"fire"}`); code != 400 {
		t.Errorf("unknown fault: %d", code)
	}
	if code := post("/hosts/nope/fault", `{"fault":"none"}`); code != 404 {
		t.Errorf("unknown host: %d", code)
	}
	resp, err := http.Get(srv.URL + "/hosts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []HostStatus
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list) != 1 || list[0].Fault != "stall" {
		t.Errorf("GET /hosts: %+v %v", list, err)
	}
}
