// Package route decides which channels get which alerts of a notification.
package route

import (
	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

// Delivery is the part of a notification one channel gets.
type Delivery struct {
	Channel string
	Message *payload.Message
}

// Route splits m by the routes: each alert goes to the channels of the first route that
// matches it (and of later ones while routes say continue). receiver is the receiver name
// to match: the one in the URL path when given, else the payload's with Alertmanager's
// regex quoting undone. A channel gets one message with all its alerts, in their original
// order; unrouted lists the alerts no route took.
func Route(routes []config.Route, receiver string, m *payload.Message) (out []Delivery, unrouted int) {
	byChannel := map[string][]payload.Alert{}
	var order []string
	for _, a := range m.Alerts {
		matched := false
		seen := map[string]bool{}
		for i := range routes {
			r := &routes[i]
			if !r.Matches(receiver, a.Labels) {
				continue
			}
			matched = true
			for _, ch := range r.Channels {
				if seen[ch] {
					continue // two routes naming one channel send the alert once
				}
				seen[ch] = true
				if _, ok := byChannel[ch]; !ok {
					order = append(order, ch)
				}
				byChannel[ch] = append(byChannel[ch], a)
			}
			if !r.Continue {
				break
			}
		}
		if !matched {
			unrouted++
		}
	}
	for _, ch := range order {
		out = append(out, Delivery{Channel: ch, Message: m.WithAlerts(byChannel[ch])})
	}
	return out, unrouted
}
