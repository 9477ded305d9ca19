// Package sms sends notifications as text messages through HTTP gateways: any gateway
// described by a URL, a method and parameter templates, Zenziva, and Twilio. Texts are made
// SMS-friendly (emoji removed) and bounded to a number of parts, counted the way the
// network counts them (GSM-7 septets, or UCS-2 once one character needs it).
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// Options builds a Channel.
type Options struct {
	Name          string
	Config        *config.SMS
	Template      *tmpl.Template
	Fallback      *tmpl.Template
	Language      string
	RateLimit     time.Duration
	Logger        *slog.Logger
	TemplateError func(channel string)
	Client        *http.Client
}

// Channel is an SMS gateway and its numbers.
type Channel struct {
	opts   Options
	params map[string]*template.Template
}

// New builds the channel; a generic gateway's parameter templates are parsed here.
func New(opts Options) (*Channel, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	c := &Channel{opts: opts, params: map[string]*template.Template{}}
	for k, v := range opts.Config.Params {
		t, err := template.New(k).Option("missingkey=error").Parse(v)
		if err != nil {
			return nil, fmt.Errorf("params.%s: %w", k, err)
		}
		c.params[k] = t
	}
	return c, nil
}

// Name is the channel's name.
func (c *Channel) Name() string { return c.opts.Name }

// Kind is "sms".
func (c *Channel) Kind() string { return "sms" }

// Recipients are the normalised numbers.
func (c *Channel) Recipients() []string { return c.opts.Config.Numbers }

// Interval between messages to one number.
func (c *Channel) Interval(string) time.Duration { return c.opts.RateLimit }

// Text is the SMS text of a job: rendered, plain, cleaned and cut to the part limit.
func (c *Channel) Text(job *delivery.Job) string {
	html := tmpl.Renderer{Channel: c.opts.Name, Template: c.opts.Template, Fallback: c.opts.Fallback, Language: c.opts.Language,
		Logger: c.opts.Logger, TemplateError: c.opts.TemplateError}.Text(job.Text, job.Message)
	return Fit(Clean(tmpl.Plain(html)), c.opts.Config.MaxParts)
}

// Send sends one SMS (the gateway joins its parts).
func (c *Channel) Send(ctx context.Context, job *delivery.Job) error {
	text := c.Text(job)
	req, err := c.request(ctx, job.Recipient, text)
	if err != nil {
		return delivery.Permanent("request", err)
	}
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		err = delivery.RedactURL(err)
		if ctx.Err() != nil {
			return delivery.Temporary("timeout", 0, err)
		}
		return delivery.Temporary("connection", 0, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return c.result(resp, data)
}

func (c *Channel) request(ctx context.Context, number, text string) (*http.Request, error) {
	cfg := c.opts.Config
	switch cfg.Provider {
	case "zenziva":
		form := url.Values{"userkey": {cfg.Token.Reveal()}, "passkey": {cfg.Secret.Reveal()}, "to": {number}, "message": {text}}
		return delivery.PostForm(ctx, cfg.URL, form)
	case "twilio":
		u := strings.TrimRight(cfg.URL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
		req, err := delivery.PostForm(ctx, u, url.Values{"To": {"+" + number}, "From": {cfg.From}, "Body": {text}})
		if err == nil {
			req.SetBasicAuth(cfg.AccountSID, cfg.Token.Reveal())
		}
		return req, err
	}
	// generic
	data := map[string]string{"Number": number, "Message": text, "Token": cfg.Token.Reveal(), "Secret": cfg.Secret.Reveal()}
	values := url.Values{}
	keys := make([]string, 0, len(c.params))
	for k := range c.params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var b bytes.Buffer
		if err := c.params[k].Execute(&b, data); err != nil {
			return nil, fmt.Errorf("params.%s: %w", k, err)
		}
		values.Set(k, b.String())
	}
	if cfg.Method == http.MethodPost {
		return delivery.PostForm(ctx, cfg.URL, values)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	for k, v := range values {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
}

func (c *Channel) result(resp *http.Response, data []byte) error {
	detail := fmt.Sprintf("%.200q", data)
	switch c.opts.Config.Provider {
	case "twilio":
		// {"code":21211,"message":"The 'To' number … is not a valid phone number.","status":400}
		var r struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &r) == nil && r.Message != "" {
			detail = fmt.Sprintf("Twilio error %d: %s", r.Code, r.Message)
		}
		if e := delivery.HTTPStatus(resp, detail); e != nil {
			return e
		}
		return nil
	case "zenziva":
		// Zenziva answers 200 with {"messageId":"…","to":"…","status":"1","text":"Success"};
		// status "0" is a failure described in text.
		if e := delivery.HTTPStatus(resp, detail); e != nil {
			return e
		}
		var r struct {
			Status string `json:"status"`
			Text   string `json:"text"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return delivery.Temporary("bad_response", 0, fmt.Errorf("unreadable Zenziva answer: %s", detail))
		}
		if r.Status == "1" {
			return nil
		}
		e := delivery.Temporary("rejected", 0, fmt.Errorf("zenziva: %s", r.Text))
		t := strings.ToLower(r.Text)
		if strings.Contains(t, "userkey") || strings.Contains(t, "passkey") || strings.Contains(t, "invalid") || strings.Contains(t, "tidak valid") {
			e.Permanent, e.Reason = true, "rejected_permanent"
		}
		return e
	}
	// A generic gateway has only its HTTP status to go by.
	if e := delivery.HTTPStatus(resp, detail); e != nil {
		return e
	}
	return nil
}
