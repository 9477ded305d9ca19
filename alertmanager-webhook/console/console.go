// Package console prints notifications on ronda-webhook's standard output as plain text,
// framed so each stands apart from the next. It is what `make demo` routes alerts to, and a
// way to try routes and templates before any phone is involved: the text is what an SMS
// would carry, before it is cut to fit.
package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// Recipient is the console channel's one recipient: its output stream.
const Recipient = "stdout"

// Options builds a Channel.
type Options struct {
	Name     string
	Template *tmpl.Template
	Fallback *tmpl.Template
	Language string
	// Location is the zone of the time in each message's frame.
	Location      *time.Location
	Logger        *slog.Logger
	TemplateError func(channel string)
	// Out is where messages go (ronda-webhook's standard output). Writes from every console
	// channel of the process are serialised, so two messages never interleave.
	Out io.Writer
}

// Channel writes messages to Out.
type Channel struct{ opts Options }

// New builds the channel.
func New(opts Options) *Channel {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	return &Channel{opts: opts}
}

// Name is the channel's name.
func (c *Channel) Name() string { return c.opts.Name }

// Kind is "console".
func (c *Channel) Kind() string { return "console" }

// Recipients is the one output stream.
func (c *Channel) Recipients() []string { return []string{Recipient} }

// Interval: a terminal has no rate limit.
func (c *Channel) Interval(string) time.Duration { return 0 }

// outMu serialises writes of every console channel in the process: they share stdout.
var outMu sync.Mutex

// Send writes the message, framed by a header naming the channel, the receiver and the
// status. A failed write (stdout closed) is retried like any temporary failure.
func (c *Channel) Send(_ context.Context, job *delivery.Job) error {
	html := tmpl.Renderer{Channel: c.opts.Name, Template: c.opts.Template, Fallback: c.opts.Fallback, Language: c.opts.Language,
		Logger: c.opts.Logger, TemplateError: c.opts.TemplateError}.Text(job.Text, job.Message)
	var b strings.Builder
	what := "report"
	if m := job.Message; m != nil {
		what = fmt.Sprintf("%s · %s", payload.UnquoteReceiver(m.Receiver), m.Status)
	}
	fmt.Fprintf(&b, "──── %s · %s · %s ────\n", c.opts.Name, what, time.Now().In(c.opts.Location).Format("2006-01-02 15:04:05 MST"))
	b.WriteString(tmpl.Plain(html))
	b.WriteString("\n\n")
	outMu.Lock()
	defer outMu.Unlock()
	if _, err := io.WriteString(c.opts.Out, b.String()); err != nil {
		return delivery.Temporary("write", 0, err)
	}
	return nil
}
