package payload

import (
	"strings"
	"testing"
	"time"
)

// alertmanager0_27 is a notification as Alertmanager 0.27 sends it, with fields this
// package does not know (truncatedAlerts is known; routeLabels and notification_reason
// are newer).
const alertmanager0_27 = `{"receiver":"team\\.sms","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"ONUDown","onu":"budi"},"annotations":{"reason":"LOS"},"startsAt":"2026-11-24T08:01:02.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"9f1c"}],"groupLabels":{"alertname":"ONUDown"},"commonLabels":{"alertname":"ONUDown","onu":"budi"},"commonAnnotations":{"reason":"LOS"},"externalURL":"http://am:9093","version":"4","groupKey":"{}/{}:{alertname=\"ONUDown\"}","truncatedAlerts":0,"notification_reason":"new","routeLabels":{"x":"y"}}`

func TestDecodeAcceptsUnknownFields(t *testing.T) {
	m, err := Decode(strings.NewReader(alertmanager0_27))
	if err != nil {
		t.Fatal(err)
	}
	if m.Receiver != `team\.sms` || UnquoteReceiver(m.Receiver) != "team.sms" {
		t.Errorf("receiver %q, unquoted %q", m.Receiver, UnquoteReceiver(m.Receiver))
	}
	a := m.Alerts[0]
	if !a.Firing() || a.Labels["onu"] != "budi" || !a.EndsAt.IsZero() || a.StartsAt.Nanosecond() != 123000000 {
		t.Errorf("alert decoded as %+v", a)
	}
}

func TestUnquoteReceiver(t *testing.T) {
	for in, want := range map[string]string{
		`team\.sms`: "team.sms", `a\\b`: `a\b`, `plain`: "plain", `x\(y\)\*`: "x(y)*", `end\`: "end",
	} {
		if got := UnquoteReceiver(in); got != want {
			t.Errorf("UnquoteReceiver(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDedupKey(t *testing.T) {
	base := func() *Message {
		m, err := Decode(strings.NewReader(alertmanager0_27))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	key := base().DedupKey()
	same := base()
	same.ExternalURL = "http://other-peer:9093"             // the HA peer's copy
	same.Receiver = "team.sms"                              // quoting differs between versions
	same.Alerts[0].EndsAt = time.Now().Add(5 * time.Minute) // each peer's resolve_timeout estimate
	if same.DedupKey() != key {
		t.Error("the HA peer's copy has another key")
	}
	changes := map[string]func(m *Message){
		"resolved": func(m *Message) {
			m.Status, m.Alerts[0].Status, m.Alerts[0].EndsAt = "resolved", "resolved", time.Now()
		},
		"new alert":        func(m *Message) { m.Alerts = append(m.Alerts, Alert{Status: "firing", Fingerprint: "other"}) },
		"restarted":        func(m *Message) { m.Alerts[0].StartsAt = m.Alerts[0].StartsAt.Add(time.Hour) },
		"another group":    func(m *Message) { m.GroupKey = "{}:{alertname=\"Other\"}" },
		"another receiver": func(m *Message) { m.Receiver = "team.tg" },
		"no fingerprint, other labels": func(m *Message) {
			m.Alerts[0].Fingerprint = ""
			m.Alerts[0].Labels = map[string]string{"alertname": "X"}
		},
	}
	for name, change := range changes {
		m := base()
		change(m)
		if m.DedupKey() == key {
			t.Errorf("%s: same key as the original", name)
		}
	}
	// Order of alerts does not matter.
	two := base()
	two.Alerts = append(two.Alerts, Alert{Status: "firing", Fingerprint: "zz"})
	swapped := base()
	swapped.Alerts = append([]Alert{{Status: "firing", Fingerprint: "zz"}}, swapped.Alerts...)
	if two.DedupKey() != swapped.DedupKey() {
		t.Error("alert order changes the key")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(alertmanager0_27)
	f.Add(`{"version":"4","status":"resolved","receiver":"r","alerts":[{"status":"resolved","labels":{"a":"b"},"endsAt":"2026-01-01T00:00:00Z"}]}`)
	f.Add(`{"alerts":[{"labels":null}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		m, err := Decode(strings.NewReader(in))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// Whatever is accepted can be routed and deduplicated.
		if m.Receiver == "" || len(m.Alerts) == 0 {
			t.Fatalf("accepted %q without receiver or alerts", in)
		}
		for _, a := range m.Alerts {
			if len(a.Labels) == 0 || (a.Status != StatusFiring && a.Status != StatusResolved) {
				t.Fatalf("accepted alert %+v", a)
			}
		}
		if len(m.DedupKey()) != 64 {
			t.Fatal("bad dedup key")
		}
		_ = m.WithAlerts(m.Alerts[:1])
	})
}
