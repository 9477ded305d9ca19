package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// splitAddress reads host[:port], where host is a name, an IPv4 address or an IPv6 address
// (bare, like fe80::1, or in brackets, like [fe80::1]:8729). port is "" when none is given.
func splitAddress(address string) (host, port string, err error) {
	switch {
	case address == "":
		return "", "", errors.New("empty")
	case strings.Contains(address, "://") || strings.Contains(address, "/"):
		return "", "", errors.New("write only host or host:port, with no scheme (like http://) and no path")
	}
	if _, err := netip.ParseAddr(address); err == nil {
		return address, "", nil // an IP address alone; a bare IPv6 one has colons but no port
	}
	if strings.HasPrefix(address, "[") && strings.HasSuffix(address, "]") {
		host = address[1 : len(address)-1]
	} else if strings.Contains(address, ":") {
		if host, port, err = net.SplitHostPort(address); err != nil {
			return "", "", errors.New("not host or host:port (an IPv6 address with a port goes in brackets: [2001:db8::1]:8729)")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("the port must be a number from 1 to 65535, got %q", port)
		}
	} else {
		host = address
	}
	if !validHost(host) {
		if host != address {
			return "", "", fmt.Errorf("%q is not a host name or IP address", host)
		}
		return "", "", errors.New("not a host name or IP address")
	}
	return host, port, nil
}

// validHost accepts IP addresses and DNS names (letters, digits, - and _ in dot-separated
// labels of at most 63 characters, - not first or last; a trailing dot is allowed).
func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// withDefaultPort adds port to an address written without one. The address must have passed
// splitAddress.
func withDefaultPort(address, port string) string {
	host, givenPort, err := splitAddress(address)
	if err != nil || givenPort != "" {
		return address
	}
	return net.JoinHostPort(host, port)
}

// URLWithoutPassword is a URL (or an address) for messages: a password in it shows as
// xxxxx, as url.URL.Redacted writes it. Text with an @ that does not parse as a URL with
// credentials may hold one all the same (http://admin:pa/ss@host, admin:pass@host):
// everything before its last @ is hidden then. Shared with the programs' own URL settings
// (ronda-restore's and ronda-webhook's Prometheus URL).
func URLWithoutPassword(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		return u.Redacted()
	case err == nil && u.Opaque == "", !strings.Contains(raw, "@"):
		return raw // no @, or one in the path, query or fragment of a URL
	}
	at := strings.LastIndex(raw, "@")
	if scheme, _, ok := strings.Cut(raw[:at], "://"); ok {
		return scheme + "://xxxxx" + raw[at:]
	}
	return "xxxxx" + raw[at:]
}

// ParseURL is url.Parse with an error fit to show: the reason alone (url.Parse's message
// quotes the URL whole), and none when the URL holds a password, which the reason may quote
// a piece of (invalid port ":pa" in http://user:pa/ss@host).
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err == nil:
		return u, nil
	case URLWithoutPassword(raw) != raw:
		return nil, errors.New("it does not parse")
	}
	return nil, errors.Unwrap(err)
}
