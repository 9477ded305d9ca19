package sshhost

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Fault is a way the simulated host misbehaves.
type Fault string

// The faults a host can be given.
const (
	// FaultNone: the host answers normally.
	FaultNone Fault = "none"
	// FaultStall: new connections are accepted and never answered (a hung sshd, a
	// firewall that drops after the SYN).
	FaultStall Fault = "stall"
	// FaultGarbage: new connections get an SSH version line, then bytes that are not SSH
	// packets (a port forwarded to the wrong service, a broken middlebox).
	FaultGarbage Fault = "garbage"
	// FaultRefuseSession: logins work but sessions are refused (sshd's MaxSessions).
	FaultRefuseSession Fault = "refuse-session"
	// FaultScriptFails: the script exits with status 1 at once (a broken /bin/sh).
	FaultScriptFails Fault = "script-fails"
	// FaultStallExec: sessions open, but exec requests are never answered (an sshd whose
	// forks hang, a host out of process slots).
	FaultStallExec Fault = "stall-exec"
	// FaultBlackhole: every connection, including those already up, stops answering
	// without closing (a host that froze, a link that died with no reset).
	FaultBlackhole Fault = "blackhole"
)

// Faults lists every fault.
var Faults = []Fault{FaultNone, FaultStall, FaultGarbage, FaultRefuseSession, FaultScriptFails, FaultStallExec, FaultBlackhole}

// SetFault puts a fault in force for what happens next (connections already up keep
// working unless the fault is about sessions).
func (h *Host) SetFault(f Fault) error {
	for _, known := range Faults {
		if f == known {
			h.fault.Store(string(f))
			return nil
		}
	}
	return fmt.Errorf("unknown fault %q", f)
}

func (h *Host) currentFault() Fault {
	if f, ok := h.fault.Load().(string); ok {
		return Fault(f)
	}
	return FaultNone
}

// PowerOff drops every connection and stops listening, like a host losing power.
func (h *Host) PowerOff() {
	h.mu.Lock()
	for c := range h.conns {
		c.Close()
	}
	ln := h.ln
	h.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	h.wg.Wait()
}

// PowerOn listens again on the address the host had.
func (h *Host) PowerOn() error {
	addr := h.Addr()
	var err error
	for range 50 { // the port may take a moment to be free again
		if err = h.Listen(addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// greet handles a new connection under the connection faults; it reports whether the SSH
// handshake should go ahead.
func (h *Host) greet(c net.Conn) bool {
	switch h.currentFault() {
	case FaultStall:
		buf := make([]byte, 1)
		for { // read until the client gives up, answer nothing
			if _, err := c.Read(buf); err != nil {
				return false
			}
		}
	case FaultGarbage:
		_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.2p1\r\n\xff\xff\xff\xf0 this is not an SSH packet at all"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(make([]byte, 4096)) // let the client read it before the close
		return false
	}
	return true
}

var errRefused = errors.New("session refused")

// gatedConn stops delivering what the client sends while the host is blackholed, so
// nothing is answered, and the connection stays open.
type gatedConn struct {
	net.Conn
	h *Host
}

func (g gatedConn) Read(p []byte) (int, error) {
	for g.h.currentFault() == FaultBlackhole {
		time.Sleep(10 * time.Millisecond)
		if g.h.isClosed() {
			return 0, net.ErrClosed
		}
	}
	return g.Conn.Read(p)
}
