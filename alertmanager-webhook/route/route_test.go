package route

import (
	"regexp"
	"slices"
	"testing"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

func whole(re string) *regexp.Regexp { return regexp.MustCompile("^(?:" + re + ")$") }

func alert(status, name, severity string) payload.Alert {
	return payload.Alert{Status: status, Labels: map[string]string{"alertname": name, "severity": severity}}
}

// routes as an operator writes them: critical alerts of the team.sms receiver to SMS and
// Telegram (continue on to the catch-all), everything of that receiver to Telegram, and a
// route for another receiver that must never take these alerts.
var routes = []config.Route{
	{Receiver: "team.sms", Matchers: map[string]*regexp.Regexp{"severity": whole("critical")}, Channels: []string{"sms", "tg"}, Continue: true},
	{Receiver: "team.sms", Channels: []string{"tg"}},
	{Receiver: "other", Channels: []string{"wa"}},
}

func TestRoute(t *testing.T) {
	m := &payload.Message{Status: payload.StatusFiring, Alerts: []payload.Alert{
		alert(payload.StatusFiring, "OLTDown", "critical"),
		alert(payload.StatusResolved, "DiskFull", "warning"),
		alert(payload.StatusFiring, "ONUWeak", "high"),
	}}
	out, unrouted := Route(routes, "team.sms", m)
	if unrouted != 0 {
		t.Errorf("unrouted %d, want 0", unrouted)
	}
	got := map[string][]string{}
	var order []string
	for _, d := range out {
		order = append(order, d.Channel)
		for _, a := range d.Message.Alerts {
			got[d.Channel] = append(got[d.Channel], a.Labels["alertname"])
		}
	}
	// Channels in the order alerts first reached them; a channel named by two matching
	// routes gets the alert once; alerts keep their order.
	if !slices.Equal(order, []string{"sms", "tg"}) {
		t.Errorf("channel order %v", order)
	}
	if !slices.Equal(got["sms"], []string{"OLTDown"}) || !slices.Equal(got["tg"], []string{"OLTDown", "DiskFull", "ONUWeak"}) {
		t.Errorf("alerts per channel %v", got)
	}
	// Each channel's message says firing only if one of its own alerts fires.
	resolvedOnly, _ := Route(routes, "team.sms", &payload.Message{Status: payload.StatusFiring, Alerts: []payload.Alert{
		alert(payload.StatusResolved, "DiskFull", "warning"),
	}})
	if len(resolvedOnly) != 1 || resolvedOnly[0].Message.Status != payload.StatusResolved {
		t.Errorf("a channel with only resolved alerts: %+v", resolvedOnly)
	}
}

func TestRouteUnroutedAndReceivers(t *testing.T) {
	m := &payload.Message{Status: payload.StatusFiring, Alerts: []payload.Alert{alert(payload.StatusFiring, "X", "critical")}}
	// The receiver as Alertmanager quotes it must be unquoted before routing.
	if out, unrouted := Route(routes, `team\.sms`, m); len(out) != 0 || unrouted != 1 {
		t.Errorf("regex-quoted receiver matched routes: %d deliveries, %d unrouted", len(out), unrouted)
	}
	if out, unrouted := Route(routes, payload.UnquoteReceiver(`team\.sms`), m); len(out) != 2 || unrouted != 0 {
		t.Errorf("unquoted receiver: %d deliveries, %d unrouted", len(out), unrouted)
	}
	if out, unrouted := Route(routes, "nobody", m); len(out) != 0 || unrouted != 1 {
		t.Errorf("unknown receiver: %d deliveries, %d unrouted", len(out), unrouted)
	}
	catchAll := []config.Route{{Channels: []string{"tg"}}}
	if out, _ := Route(catchAll, "anything", m); len(out) != 1 {
		t.Errorf("a route without receiver or matchers must take every alert, got %d deliveries", len(out))
	}
}

func TestRouteStopsAtFirstMatchWithoutContinue(t *testing.T) {
	stop := []config.Route{
		{Matchers: map[string]*regexp.Regexp{"severity": whole("critical")}, Channels: []string{"sms"}},
		{Channels: []string{"tg"}},
	}
	m := &payload.Message{Status: payload.StatusFiring, Alerts: []payload.Alert{
		alert(payload.StatusFiring, "OLTDown", "critical"),
		alert(payload.StatusFiring, "ONUWeak", "high"),
	}}
	out, _ := Route(stop, "team", m)
	got := map[string]int{}
	for _, d := range out {
		got[d.Channel] = len(d.Message.Alerts)
	}
	if got["sms"] != 1 || got["tg"] != 1 {
		t.Errorf("alerts per channel %v: the critical alert must stop at sms, the other reach tg", got)
	}
}
