package routeros

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

const (
	// writeTimeout bounds writing one reply, so a client that stops reading cannot hold a
	// connection goroutine forever.
	writeTimeout = 30 * time.Second
	// maxAcceptBackoff bounds the pause after a failed Accept.
	maxAcceptBackoff = time.Second
)

// Listen starts serving the API on addr (for example "127.0.0.1:0") in background
// goroutines; Close stops it.
func (r *Router) Listen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("routeros sim: listen on %s: %w", addr, err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		l.Close()
		return ErrRouterClosed
	}
	r.addListenerLocked(l)
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		if err := r.Serve(l); err != nil {
			r.opts.Logger.Error("API listener stopped", "address", l.Addr().String(), "err", err)
		}
	}()
	r.opts.Logger.Debug("API listening", "address", l.Addr().String(), "identity", r.opts.Identity)
	return nil
}

func (r *Router) addListenerLocked(l net.Listener) {
	if len(r.listeners) == 0 && r.addr == "" {
		r.addr = l.Addr().String()
	}
	r.listeners[l] = struct{}{}
}

// Serve accepts API connections on l until Close (then it returns nil) or until l fails.
func (r *Router) Serve(l net.Listener) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		l.Close()
		return ErrRouterClosed
	}
	r.addListenerLocked(l)
	closing := r.closing
	r.mu.Unlock()

	backoff := 5 * time.Millisecond
	for {
		nc, err := l.Accept()
		if err != nil {
			select {
			case <-closing:
				return nil
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Probably out of file descriptors: wait a little instead of spinning.
			select {
			case <-closing:
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxAcceptBackoff)
			continue
		}
		backoff = 5 * time.Millisecond
		r.accept(nc)
	}
}

// Addr is the host:port of the first listener ("" before Listen or Serve).
func (r *Router) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addr
}

// Close stops listening, closes every connection and waits for every goroutine the router
// started. The router's state stays readable.
func (r *Router) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return nil
	}
	r.closed = true
	close(r.closing)
	listeners := make([]net.Listener, 0, len(r.listeners))
	for l := range r.listeners {
		listeners = append(listeners, l)
	}
	conns := r.takeConnsLocked()
	r.mu.Unlock()

	var errs []error
	for _, l := range listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	closeConns(conns)
	r.wg.Wait()
	return errors.Join(errs...)
}

// accept registers a new connection, or closes it at once when the router is off.
func (r *Router) accept(nc net.Conn) {
	r.mu.Lock()
	if r.closed || !r.powered {
		r.mu.Unlock()
		nc.Close()
		return
	}
	c := &conn{
		r:          r,
		nc:         nc,
		br:         bufio.NewReaderSize(nc, 16<<10),
		bw:         bufio.NewWriterSize(nc, 64<<10),
		done:       make(chan struct{}),
		cmds:       make(chan readResult),
		readerGone: make(chan struct{}),
		bootEpoch:  r.bootEpoch,
		remote:     remoteHost(nc),
	}
	r.conns[c] = struct{}{}
	r.wg.Add(2)
	r.mu.Unlock()
	go c.readLoop()
	go c.serve()
}

func remoteHost(nc net.Conn) string {
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return nc.RemoteAddr().String()
	}
	return host
}

type readResult struct {
	words []string
	err   error
}

// conn is one API connection. A reader goroutine decodes sentences and hands them to the
// serving goroutine, so that a stalled connection still reads commands and notices when the
// peer goes away.
type conn struct {
	r          *Router
	nc         net.Conn
	br         *bufio.Reader
	bw         *bufio.Writer
	done       chan struct{} // closed by close()
	closeOnce  sync.Once
	cmds       chan readResult
	readerGone chan struct{}
	bootEpoch  int // the boot this connection belongs to
	remote     string

	// Owned by the serving goroutine.
	loggedIn  bool
	user      string
	challenge []byte
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) readLoop() {
	defer c.r.wg.Done()
	defer close(c.readerGone)
	for {
		words, err := ReadSentence(c.br)
		select {
		case c.cmds <- readResult{words, err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *conn) serve() {
	defer c.r.wg.Done()
	defer c.finish()
	for {
		select {
		case <-c.done:
			return
		case res := <-c.cmds:
			if res.err != nil {
				var pe *ProtocolError
				if errors.As(res.err, &pe) {
					c.writeFatal(pe.Reason)
				}
				return
			}
			if len(res.words) == 0 {
				continue // the API ignores empty sentences
			}
			if !c.handle(res.words) {
				return
			}
		}
	}
}

// finish closes the connection and, when the peer ended an authenticated session of the
// current boot, logs the API logout like RouterOS does.
func (c *conn) finish() {
	c.close()
	r := c.r
	r.mu.Lock()
	delete(r.conns, c)
	if c.loggedIn && r.powered && r.bootEpoch == c.bootEpoch {
		r.logLocked(r.clock.Now(), "system,info,account", fmt.Sprintf("user %s logged out from %s via api", c.user, c.remote))
	}
	r.mu.Unlock()
}

// flush sends what the reply writer buffered, bounded by writeTimeout.
func (c *conn) flush() bool {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.bw.Flush() == nil
}

// writeFatal sends !fatal with its reason as a plain word, as RouterOS does before closing.
func (c *conn) writeFatal(reason string) {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	rw := replyWriter{w: c.bw}
	rw.word("!fatal")
	rw.word(reason)
	rw.end()
	c.bw.Flush()
}
