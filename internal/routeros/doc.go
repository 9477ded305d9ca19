// Package routeros keeps one managed connection to a MikroTik router's API (8728, or
// api-ssl on 8729) over github.com/go-routeros/routeros/v3, and parses the value formats
// RouterOS answers with (durations in every form the router uses, text that is not always
// UTF-8).
//
// A Conn is meant to live as long as the router is configured: it dials and logs in on first
// use, keeps the session across calls (a login per scrape fills the router's log with
// "logged in via api"), runs one command at a time with the caller's deadline, drops the
// session whenever the stream may be out of step, and reconnects with backoff. Its errors
// carry a failure.Reason so a scrape can say why it failed.
package routeros
