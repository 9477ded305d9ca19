package probe

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

// pongServer answers PONG to every PING line; over TLS when config is given.
func pongServer(t *testing.T, config *tls.Config, answer string) string {
	t.Helper()
	var l net.Listener
	var err error
	if config != nil {
		l, err = tls.Listen("tcp", "127.0.0.1:0", config)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					if s.Text() == "PING" {
						_, _ = c.Write([]byte(answer + "\n"))
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestTCP(t *testing.T) {
	cert := testtool.SelfSigned(t)
	h := setup(t, cert, "")
	plain := pongServer(t, nil, "PONG")
	wrong := pongServer(t, nil, "NOPE")
	secure := pongServer(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}}, "PONG")

	wantSuccess(t, probeURL(t, h, adHoc(plain, "tcp_connect"), ""))
	r := probeURL(t, h, adHoc(plain, "tcp_expect"), "")
	wantSuccess(t, r)
	if v, ok := r["probe_failed_due_to_regex"]; !ok || v != 0 {
		t.Errorf("probe_failed_due_to_regex = %v, %v; want 0", v, ok)
	}
	r = probeURL(t, h, adHoc(wrong, "tcp_expect"), "1.5")
	// The server keeps the connection open after its wrong answer: the probe waits for a
	// matching line until the deadline.
	wantFailure(t, r, "timeout")
	if r["probe_failed_due_to_regex"] != 1 {
		t.Errorf("probe_failed_due_to_regex = %v, want 1", r["probe_failed_due_to_regex"])
	}

	r = probeURL(t, h, adHoc(secure, "tcp_tls"), "")
	wantSuccess(t, r)
	if r["probe_ssl_earliest_cert_expiry"] == 0 {
		t.Errorf("no certificate expiry:\n%s", r)
	}
	wantFailure(t, probeURL(t, h, adHoc(plain, "tcp_tls"), "1.5"), "tls")

	wantFailure(t, probeURL(t, h, adHoc(closedPort(t), "tcp_connect"), ""), "connect")
	deadlineKept(t, h, adHoc(silentListener(t), "tcp_expect"))
}

// A server that answers wrongly and closes fails as body_mismatch, not as a timeout.
func TestTCPExpectMismatchOnClose(t *testing.T) {
	h := setup(t, testtool.SelfSigned(t), "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 welcome\n"))
			_ = c.Close()
		}
	}()
	wantFailure(t, probeURL(t, h, adHoc(l.Addr().String(), "tcp_expect"), ""), "body_mismatch")
}

func TestAdHocRequests(t *testing.T) {
	h := setup(t, testtool.SelfSigned(t), "")
	for _, q := range []string{
		adHoc("127.0.0.1", "tcp_connect"),           // no port
		adHoc("127.0.0.1:80", "icmp"),               // a port for ping
		adHoc("127.0.0.1:80", "no_such_module"),     // unknown module
		adHoc("http://u:pw@127.0.0.1/", "http_2xx"), // credentials in the URL
	} {
		rec := get(h, "/probe?"+q)
		if rec.Code != 400 {
			t.Errorf("%s: status %d, want 400: %s", q, rec.Code, rec.Body)
		}
	}
}
