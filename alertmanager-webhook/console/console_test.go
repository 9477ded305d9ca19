package console

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

func onuMessage(t *testing.T) *payload.Message {
	t.Helper()
	data, err := os.ReadFile("../tmpl/testdata/onu-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	var m payload.Message
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func newChannel(t *testing.T, template string, out *strings.Builder, templateErrors *int) *Channel {
	t.Helper()
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := tmpl.Parse("console", template, jakarta)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Name: "console", Template: tpl, Fallback: tmpl.Default(jakarta), Language: "en", Location: jakarta,
		Out: out, TemplateError: func(string) { *templateErrors++ }})
}

// TestSendPrintsThePlainMessage: the default template's text, without Telegram's HTML and
// with its entities decoded, under a header naming the channel, the receiver (unquoted)
// and the status.
func TestSendPrintsThePlainMessage(t *testing.T) {
	var out strings.Builder
	var templateErrors int
	c := newChannel(t, "", &out, &templateErrors)
	if c.Kind() != "console" || len(c.Recipients()) != 1 || c.Interval(Recipient) != 0 {
		t.Errorf("kind %q, recipients %v, interval %v", c.Kind(), c.Recipients(), c.Interval(Recipient))
	}
	for range 2 {
		if err := c.Send(context.Background(), &delivery.Job{Recipient: Recipient, Message: onuMessage(t)}); err != nil {
			t.Fatal(err)
		}
	}
	got := out.String()
	if n := strings.Count(got, "──── console · wa.teknisi · firing · "); n != 2 {
		t.Errorf("%d headers, want one per message:\n%s", n, got)
	}
	for _, want := range []string{"ONU PWRDOWN", "OLT: olt-pasar", "ONU: budi <rumah> & toko", "MAC: a0:b1:c2:d3:e4:f5", "RX Power: -27.46 dBm", " WIB ────\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"<b>", "&lt;", "<code>", tmpl.Boundary} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output holds %q:\n%s", unwanted, got)
		}
	}
	if !strings.HasSuffix(got, "\n\n") || templateErrors != 0 {
		t.Errorf("output does not end with a blank line, or %d template errors:\n%q", templateErrors, got)
	}
}

// TestSendReport: a scheduled report arrives already rendered; it is printed as it is.
func TestSendReport(t *testing.T) {
	var out strings.Builder
	var templateErrors int
	c := newChannel(t, "", &out, &templateErrors)
	if err := c.Send(context.Background(), &delivery.Job{Recipient: Recipient, Text: "📊 <b>Laporan OLT</b>\nolt-pasar: 118/128"}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "──── console · report · ") || !strings.Contains(got, "📊 Laporan OLT\nolt-pasar: 118/128\n\n") {
		t.Errorf("report output:\n%s", got)
	}
}

// TestBrokenTemplateFallsBack: a template failing at render time is counted and the
// default format printed instead.
func TestBrokenTemplateFallsBack(t *testing.T) {
	var out strings.Builder
	var templateErrors int
	c := newChannel(t, `{{ .Field "x" | printf "%d" | len | index .Alerts }}`, &out, &templateErrors)
	if err := c.Send(context.Background(), &delivery.Job{Recipient: Recipient, Message: onuMessage(t)}); err != nil {
		t.Fatal(err)
	}
	if templateErrors != 1 || !strings.Contains(out.String(), "ONU PWRDOWN") {
		t.Errorf("%d template errors, output:\n%s", templateErrors, out.String())
	}
}

type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, errors.New("write /dev/stdout: broken pipe") }

// TestWriteFailureIsRetried: stdout closed is a temporary failure, so the outbox keeps
// the message instead of dead-lettering it.
func TestWriteFailureIsRetried(t *testing.T) {
	c := New(Options{Name: "console", Template: tmpl.Default(time.UTC), Fallback: tmpl.Default(time.UTC), Language: "en", Out: brokenPipe{}})
	err := c.Send(context.Background(), &delivery.Job{Recipient: Recipient, Message: onuMessage(t)})
	de := delivery.Classify(err)
	if err == nil || de.Permanent || de.Reason != "write" {
		t.Errorf("error %v (%+v), want a temporary write error", err, de)
	}
}
