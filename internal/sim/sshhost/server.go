// Package sshhost simulates a Linux host reached over SSH for ronda-sim, tests and
// benchmarks: an x/crypto/ssh server that answers the SSH collector's script with
// Linux-like output whose values move with time (CPU counters grow, load and memory
// wander, a unit can be stopped).
//
// It does not run a shell. It recognises the parts of the script it is given (the section
// marker, the units listed after `systemctl show`, the custom commands) and prints what a
// Debian 12 host would print for each; anything else gets exit status 127.
package sshhost

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Options configure a simulated host.
type Options struct {
	// Name is the host name it reports (uname's nodename); it also seeds the host key.
	Name string
	// AuthorizedKeys lists the client keys accepted; empty accepts any key (a demo lab).
	AuthorizedKeys []ssh.PublicKey
	// CPUs is the number of CPUs reported (default 2).
	CPUs int
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Host is a running simulated host.
type Host struct {
	opts    Options
	config  *ssh.ServerConfig
	hostKey ssh.Signer
	booted  time.Time

	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool

	// stopped holds the units reported inactive.
	stopped sync.Map
	fault   atomic.Value // string: a Fault
	addr    string       // the address listened on, for PowerOn
	logins  atomic.Int64
	execs   atomic.Int64
}

// HostKeyFor is the host key a simulated host named name uses: derived from the name so a
// demo's known_hosts file stays valid across restarts.
func HostKeyFor(name string) ssh.Signer {
	seed := sha256.Sum256([]byte("ronda-sim ssh host key " + name))
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(err) // an ed25519 key is always usable
	}
	return signer
}

// New returns a host; Listen starts it.
func New(opts Options) *Host {
	if opts.Name == "" {
		opts.Name = "sim-host"
	}
	if opts.CPUs <= 0 {
		opts.CPUs = 2
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{opts: opts, hostKey: HostKeyFor(opts.Name), conns: map[net.Conn]bool{}}
	h.booted = opts.Now().Add(-36 * time.Hour).Truncate(time.Second)
	h.config = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if len(opts.AuthorizedKeys) == 0 {
				return nil, nil
			}
			for _, k := range opts.AuthorizedKeys {
				if string(k.Marshal()) == string(key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 ronda-sim",
	}
	h.config.AddHostKey(h.hostKey)
	return h
}

// HostKey is the host's public key (for a known_hosts line).
func (h *Host) HostKey() ssh.PublicKey { return h.hostKey.PublicKey() }

// Logins counts the SSH logins accepted so far.
func (h *Host) Logins() int64 { return h.logins.Load() }

// Execs counts the commands run so far.
func (h *Host) Execs() int64 { return h.execs.Load() }

// Name is the host's name.
func (h *Host) Name() string { return h.opts.Name }

// Fault is the fault in force.
func (h *Host) Fault() Fault { return h.currentFault() }

// StoppedUnits lists the units reported inactive.
func (h *Host) StoppedUnits() []string {
	var units []string
	h.stopped.Range(func(k, _ any) bool {
		units = append(units, k.(string))
		return true
	})
	slices.Sort(units)
	return units
}

// SetUnitStopped makes unit report inactive (true) or active (false).
func (h *Host) SetUnitStopped(unit string, stopped bool) {
	if stopped {
		h.stopped.Store(unit, true)
	} else {
		h.stopped.Delete(unit)
	}
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// Listen starts serving on address (host:port; port 0 picks one).
func (h *Host) Listen(address string) error {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.ln, h.addr, h.closed = ln, ln.Addr().String(), false
	h.mu.Unlock()
	h.wg.Add(1)
	go h.serve(ln)
	return nil
}

// Addr is the address the host listens on.
func (h *Host) Addr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

// Close stops the host and ends every connection.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		c.Close()
	}
	ln := h.ln
	h.mu.Unlock()
	var err error
	if ln != nil {
		err = ln.Close()
	}
	h.wg.Wait()
	return err
}

func (h *Host) serve(ln net.Listener) {
	defer h.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = true
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.handle(c)
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
		}()
	}
}

func (h *Host) handle(c net.Conn) {
	defer c.Close()
	if !h.greet(c) {
		return
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // for the handshake only
	sc, chans, reqs, err := ssh.NewServerConn(gatedConn{Conn: c, h: h}, h.config)
	if err != nil {
		h.opts.Logger.Debug("SSH handshake failed", "err", err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	h.logins.Add(1)
	defer sc.Close()
	go ssh.DiscardRequests(reqs) // keepalives are answered (want-reply gets false)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		if h.currentFault() == FaultRefuseSession {
			_ = nc.Reject(ssh.Prohibited, errRefused.Error())
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go h.session(ch, chReqs)
	}
}

// execRequest is the payload of an "exec" channel request (RFC 4254 6.5).
type execRequest struct{ Command string }

func (h *Host) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			if req.WantReply {
				_ = req.Reply(req.Type == "env", nil)
			}
			continue
		}
		if h.currentFault() == FaultStallExec {
			continue // no reply; the client gives up and closes
		}
		var r execRequest
		if err := ssh.Unmarshal(req.Payload, &r); err != nil {
			_ = req.Reply(false, nil)
			return
		}
		_ = req.Reply(true, nil)
		h.execs.Add(1)
		status := h.run(ch, r.Command)
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

func (h *Host) run(ch ssh.Channel, command string) uint32 {
	if h.currentFault() == FaultScriptFails {
		fmt.Fprintln(ch.Stderr(), "sh: 1: cannot fork: Resource temporarily unavailable")
		return 1
	}
	s, ok := parseScript(command)
	if !ok {
		fmt.Fprintf(ch.Stderr(), "sh: 1: %s: not found\n", firstWord(command))
		return 127
	}
	_, _ = ch.Write(h.render(s))
	return 0
}
