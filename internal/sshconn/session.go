package sshconn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/collector"
)

// session runs one request on client.
//
// It speaks to the channel directly rather than through x/crypto's ssh.Session, which
// costs three goroutines a scrape (one waiting for the exit status, one copying each of
// stdout and stderr, each with a fresh 32 KiB buffer) and a reflection-marshalled exec
// request. Here one goroutine reads stdout straight into the pooled output buffer, and
// one reads stderr and then the channel's requests (the exit status). Stdout is not read
// in the caller's goroutine because only the server can end that read: sshd answers the
// close of a session only once its command exits, and a command past the deadline must
// cost the scrape, not the connection (see linger).
func (h *Host) session(ctx context.Context, client *conn, req Request) (Result, error) {
	h.mu.Lock()
	client.open++
	h.lastUsed = time.Now()
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		client.open--
		h.lastUsed = time.Now()
		unused := client.retired && client.open == 0
		h.mu.Unlock()
		if unused {
			client.Close()
		}
	}()

	// Opening the session and starting the command wait for the server's answers, with no
	// deadline of their own. A server that does not answer them is stuck, so the deadline
	// drops the connection, which ends both waits; this costs no goroutine per step.
	stuck := context.AfterFunc(ctx, func() { h.drop(client) })
	timedOut := func(what string) (Result, error) {
		return Result{}, collector.Fail(collector.ReasonTimeout, fmt.Errorf("%s: %s: %w", h.cfg.Address, what, context.Cause(ctx)))
	}

	ch, reqs, err := client.OpenChannel("session", nil)
	if _, refused := errors.AsType[*ssh.OpenChannelError](err); refused {
		// sshd frees a session's place among its MaxSessions only once it has handled
		// our close, in its main loop after the packets it read with it: an open that
		// followed the close of the session this slot held can still be counted against
		// it. Nothing ran, and by the time the refusal is back sshd has gone round its
		// loop, so one more try is enough; a second refusal is a real limit (sshd's
		// MaxSessions below max_sessions, or its sessions held by commands still running).
		ch, reqs, err = client.OpenChannel("session", nil)
	}
	if err != nil {
		if !stuck() {
			return timedOut("opening a session")
		}
		if oce, ok := errors.AsType[*ssh.OpenChannelError](err); ok {
			// The server refused the session but the connection is fine (MaxSessions).
			return Result{}, collector.Fail(collector.ReasonDevice, fmt.Errorf("%s: session refused: %w", h.cfg.Address, oce))
		}
		h.drop(client)
		return Result{}, collector.Fail(collector.ReasonConnect, fmt.Errorf("%s: %w: %w", h.cfg.Address, errStale, err))
	}
	closeAtEnd := true
	defer func() {
		if closeAtEnd {
			_ = ch.Close()
		}
	}()

	stderr := &tailBuffer{max: 4096}
	exited := make(chan exitInfo, 1)
	go readSide(ch, reqs, stderr, exited)

	// No stdin is sent: the script reads nothing (it starts with `exec </dev/null`), and
	// closing the channel ends it. The exec request asks for no reply (RFC 4254 6.5 leaves
	// it to the client): the output, or its absence by the deadline, says whether the
	// command runs, and the reply would be one more packet each way and a wait per scrape.
	// A server that refuses the command (sshd failing to fork) then costs the scrape its
	// deadline, as a command that hangs does, and the connection is kept.
	_, err = ch.SendRequest("exec", false, execPayload(req.Command))
	switch {
	case !stuck():
		return timedOut("starting the command")
	case err != nil:
		h.drop(client)
		return Result{}, collector.Fail(collector.ReasonConnect, fmt.Errorf("%s: starting the command: %w", h.cfg.Address, err))
	}
	// abandon hands a session whose command may still be running to linger, with its slot.
	abandon := func(res Result) Result {
		closeAtEnd = false
		h.linger(client, ch, exited)
		res.lingers = true
		return res
	}
	read := make(chan stdout, 1)
	go func() { read <- readStdout(ch, req) }()
	var out stdout
	select {
	case out = <-read:
	case <-ctx.Done():
		// The output read so far is left to the reader.
		return abandon(Result{Stderr: stderr.bytes()}), collector.Fail(collector.ReasonTimeout,
			fmt.Errorf("%s: the command did not finish: %w", h.cfg.Address, context.Cause(ctx)))
	}
	res := Result{Stdout: out.buf, Stderr: stderr.bytes(), pooled: true}
	switch {
	case out.over:
		return abandon(res), collector.Failf(collector.ReasonProtocol, "%s: output larger than %d bytes", h.cfg.Address, req.Limit)
	case out.seen:
		closeAtEnd = false
		h.finish(client, ch, exited)
		res.lingers = true
		return res, nil
	}
	// Stdout ended without the marker: the exit status says why.
	var exit exitInfo
	select {
	case exit = <-exited:
	case <-ctx.Done():
		return abandon(res), collector.Fail(collector.ReasonTimeout, fmt.Errorf("%s: waiting for the exit status: %w", h.cfg.Address, context.Cause(ctx)))
	}
	res.Stderr = stderr.bytes() // all of it now
	switch {
	case !exit.exited:
		h.drop(client)
		return res, collector.Failf(collector.ReasonConnect, "%s: session: the command ended without an exit status", h.cfg.Address)
	case exit.signal != "":
		return res, collector.Failf(collector.ReasonProtocol, "%s: the script was killed by signal %s before finishing: %s",
			h.cfg.Address, exit.signal, strings.TrimSpace(lastLine(res.Stderr)))
	case exit.status != 0:
		return res, collector.Failf(collector.ReasonProtocol, "%s: the script exited with status %d before finishing: %s",
			h.cfg.Address, exit.status, strings.TrimSpace(lastLine(res.Stderr)))
	case req.Until != nil:
		return res, collector.Failf(collector.ReasonProtocol, "%s: the script ended without its last marker: %s", h.cfg.Address, strings.TrimSpace(lastLine(res.Stderr)))
	}
	return res, nil
}

// linger ends, after Run returned, a session whose command may still be running.
//
// Closing the channel asks the server to end the session, and a command that writes
// again dies of SIGPIPE; but sshd keeps a session, and does not answer the close, until
// its command exits, and one that writes nothing (a sleep, a df on a dead NFS server)
// never notices. Such a session would hold one of the connection's sessions for good
// (sshd allows 10; past them every new session is refused), and this session's two
// readers with it. So the session keeps its slot (Run's token) until the server
// confirms the close; if it has not within one keepalive interval, the connection is
// retired: the next Run dials afresh, and the old connection is closed once its other
// sessions end, which frees the server's sessions and ends the readers.
func (h *Host) linger(client *conn, ch ssh.Channel, exited <-chan exitInfo) {
	// The close is sent from a goroutine of its own: a peer that stopped reading could
	// hold the write, and Run returns by its deadline (the collector promises it).
	go func() { _ = ch.Close() }()
	go func() {
		grace := time.NewTimer(h.cfg.KeepaliveInterval)
		defer grace.Stop()
		select {
		case <-exited: // the channel closed: the server ended the session, or the connection ended
		case <-grace.C:
			h.retire(client, "a timed-out command still holds its session")
		}
		<-h.sessions
	}()
}

// finish ends, after Run returned, a session whose script printed its last marker and is
// exiting. The session keeps its slot until the server ends it: sshd counts a session
// against its MaxSessions until it has reaped the command, so a slot handed back when
// the marker arrives lets the next Run open a session sshd cannot yet have room for. The
// server ends it on its own once the script has exited (it closes the channel after the
// exit status); one that has not within a keepalive interval has a child holding the
// output open, and is closed as a timed-out session is (see linger).
func (h *Host) finish(client *conn, ch ssh.Channel, exited <-chan exitInfo) {
	go func() {
		grace := time.NewTimer(h.cfg.KeepaliveInterval)
		select {
		case <-exited: // the server closed the channel (x/crypto answers with our close)
			grace.Stop()
			<-h.sessions
		case <-grace.C:
			h.linger(client, ch, exited)
		}
	}()
}

// execPayload is an exec request's payload (RFC 4254 6.5): the command as an SSH string.
func execPayload(command string) []byte {
	b := make([]byte, 4+len(command))
	binary.BigEndian.PutUint32(b, uint32(len(command)))
	copy(b[4:], command)
	return b
}

// stdout is what readStdout read.
type stdout struct {
	buf  []byte
	seen bool // the buffer holds req.Until
	over bool // the output passed req.Limit
}

// readStdout reads the command's stdout into a pooled buffer until it ends, holds
// req.Until, or passes req.Limit.
func readStdout(ch ssh.Channel, req Request) stdout {
	var out stdout
	out.buf = (*outputBuffers.Get().(*[]byte))[:0]
	for {
		if cap(out.buf)-len(out.buf) < 2048 {
			out.buf = slices.Grow(out.buf, max(cap(out.buf), 4096))
		}
		room := out.buf[len(out.buf):cap(out.buf)]
		if req.Limit > 0 {
			room = room[:min(len(room), req.Limit+1-len(out.buf))]
		}
		n, err := ch.Read(room)
		start := max(0, len(out.buf)-len(req.Until))
		out.buf = out.buf[:len(out.buf)+n]
		if req.Limit > 0 && len(out.buf) > req.Limit {
			out.buf, out.over = out.buf[:req.Limit], true
			return out
		}
		if len(req.Until) > 0 && bytes.Contains(out.buf[start:], req.Until) {
			out.seen = true
			return out
		}
		if err != nil {
			return out
		}
	}
}

// exitInfo is how the remote command ended.
type exitInfo struct {
	exited bool
	status int
	signal string
}

// readSide reads the channel's stderr into tail and then its requests until the channel
// closes, and sends how the command exited. Stderr is read as it comes (unread, it would
// hold the channel's window, which stdout shares); a server sends one or two requests per
// session, which the channel buffers meanwhile.
func readSide(ch ssh.Channel, reqs <-chan *ssh.Request, tail *tailBuffer, exited chan<- exitInfo) {
	buf, errs := copyBuffers.Get().(*[]byte), ch.Stderr()
	for {
		n, err := errs.Read(*buf)
		tail.Write((*buf)[:n])
		if err != nil {
			break
		}
	}
	copyBuffers.Put(buf)
	var e exitInfo
	for r := range reqs {
		switch r.Type {
		case "exit-status":
			if len(r.Payload) >= 4 {
				e.exited, e.status = true, int(binary.BigEndian.Uint32(r.Payload))
			}
		case "exit-signal":
			var msg struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}
			if ssh.Unmarshal(r.Payload, &msg) == nil {
				e.exited, e.signal = true, msg.Signal
			}
		}
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
	exited <- e
}

// copyBuffers are the read buffers of stderr.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

// bytes returns a copy of what is kept, nil when nothing was written.
func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
