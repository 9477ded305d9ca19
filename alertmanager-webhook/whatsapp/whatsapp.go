// Package whatsapp sends notifications through WhatsApp: Meta's Cloud API (text, or an
// approved template outside the 24-hour window) and the gateways Indonesian operators use
// (Fonnte, Wablas, kirimwa / M-Pedia). Each provider's answer is read for what it means:
// most answer 200 with {"status":false} on failure, and some failures (a bad token, an
// unknown number) are permanent while others (the phone is offline) pass.
package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// MaxText is the longest text sent in one message (the Cloud API allows 4,096 characters).
const MaxText = 4000

// Options builds a Channel.
type Options struct {
	Name          string
	Config        *config.WhatsApp
	Template      *tmpl.Template
	Fallback      *tmpl.Template
	Language      string
	RateLimit     time.Duration
	Logger        *slog.Logger
	TemplateError func(channel string)
	Client        *http.Client
}

// Channel is a WhatsApp sender and its numbers.
type Channel struct{ opts Options }

// New builds the channel.
func New(opts Options) *Channel {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	return &Channel{opts: opts}
}

// Name is the channel's name.
func (c *Channel) Name() string { return c.opts.Name }

// Kind is "whatsapp".
func (c *Channel) Kind() string { return "whatsapp" }

// Recipients are the normalised numbers.
func (c *Channel) Recipients() []string { return c.opts.Config.Numbers }

// Interval between messages to one number: gateways driven by a real phone get the number
// banned when it sends like a bot, so the default is a calm 3s.
func (c *Channel) Interval(string) time.Duration {
	if c.opts.RateLimit > 0 {
		return c.opts.RateLimit
	}
	return 3 * time.Second
}

// Send delivers the parts of job not sent yet.
func (c *Channel) Send(ctx context.Context, job *delivery.Job) error {
	html := tmpl.Renderer{Channel: c.opts.Name, Template: c.opts.Template, Fallback: c.opts.Fallback, Language: c.opts.Language,
		Logger: c.opts.Logger, TemplateError: c.opts.TemplateError}.Text(job.Text, job.Message)
	parts := tmpl.SplitPlain(tmpl.WhatsApp(html), MaxText)
	for job.PartsSent < len(parts) {
		if err := c.send(ctx, job.Recipient, parts[job.PartsSent]); err != nil {
			return err
		}
		job.PartsSent++
	}
	return nil
}

func (c *Channel) send(ctx context.Context, number, text string) error {
	cfg := c.opts.Config
	var req *http.Request
	var err error
	switch cfg.Provider {
	case "fonnte":
		form := url.Values{"target": {number}, "message": {text}}
		req, err = delivery.PostForm(ctx, cfg.URL, form)
		if err == nil {
			req.Header.Set("Authorization", cfg.Token.Reveal())
		}
	case "wablas":
		body, _ := json.Marshal(map[string]any{"data": []map[string]string{{"phone": number, "message": text}}})
		req, err = delivery.PostJSON(ctx, cfg.URL, body)
		if err == nil {
			auth := cfg.Token.Reveal()
			if cfg.Secret != "" {
				auth += "." + cfg.Secret.Reveal()
			}
			req.Header.Set("Authorization", auth)
		}
	case "kirimwa":
		form := url.Values{"api_key": {cfg.Token.Reveal()}, "sender": {cfg.Sender}, "number": {number}, "message": {text}}
		req, err = delivery.PostForm(ctx, cfg.URL, form)
	case "cloud":
		msg := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": number}
		if t := cfg.Template; t != nil {
			msg["type"] = "template"
			msg["template"] = map[string]any{
				"name": t.Name, "language": map[string]string{"code": t.Language},
				"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]string{"type": "text", "text": text}}}},
			}
		} else {
			msg["type"] = "text"
			msg["text"] = map[string]any{"body": text, "preview_url": false}
		}
		body, _ := json.Marshal(msg)
		req, err = delivery.PostJSON(ctx, strings.TrimRight(cfg.URL, "/")+"/"+url.PathEscape(cfg.PhoneNumberID)+"/messages", body)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+cfg.Token.Reveal())
		}
	}
	if err != nil {
		return delivery.Permanent("request", err)
	}
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return delivery.Temporary("timeout", 0, delivery.RedactURL(err))
		}
		return delivery.Temporary("connection", 0, delivery.RedactURL(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if cfg.Provider == "cloud" {
		return cloudResult(resp, data)
	}
	return gatewayResult(resp, data)
}

// gatewayResult reads Fonnte's, Wablas's and kirimwa's {"status":bool, "reason"|"message"|"msg"}.
func gatewayResult(resp *http.Response, data []byte) error {
	var r struct {
		Status  any    `json:"status"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
		Msg     string `json:"msg"`
	}
	jerr := json.Unmarshal(data, &r)
	detail := strings.TrimSpace(r.Reason + " " + r.Message + " " + r.Msg)
	if detail == "" {
		detail = fmt.Sprintf("%.200q", data)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return classifyGateway(delivery.HTTPStatus(resp, detail), detail)
	}
	if jerr != nil {
		return delivery.Temporary("bad_response", 0, fmt.Errorf("unreadable gateway answer: %.200q", data))
	}
	if ok, _ := r.Status.(bool); ok || r.Status == "true" || r.Status == "success" {
		return nil
	}
	return classifyGateway(delivery.Temporary("rejected", 0, errors.New(detail)), detail)
}

// classifyGateway makes the failures that cannot pass by retrying permanent: a wrong token
// or key, an invalid or unregistered number.
func classifyGateway(e *delivery.Error, detail string) *delivery.Error {
	d := strings.ToLower(detail)
	for _, word := range []string{"token", "api key", "api_key", "unauthorized", "invalid number", "not registered", "target invalid", "invalid target", "invalid data"} {
		if strings.Contains(d, word) {
			e.Permanent = true
			if e.Reason == "rejected" {
				e.Reason = "rejected_permanent"
			}
			return e
		}
	}
	return e
}

// cloudResult reads the Cloud API's answer: {"messages":[{"id":…}]} or {"error":{code,…}}.
func cloudResult(resp *http.Response, data []byte) error {
	var r struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
		Error *struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &r)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && r.Error == nil && len(r.Messages) > 0 {
		return nil
	}
	if r.Error == nil {
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return delivery.Temporary("bad_response", 0, fmt.Errorf("unreadable Cloud API answer: %.200q", data))
		}
		return delivery.HTTPStatus(resp, fmt.Sprintf("%.200q", data))
	}
	err := fmt.Errorf("cloud API error %d: %s", r.Error.Code, r.Error.Message)
	switch r.Error.Code {
	case 4, 80007, 130429, 131048, 131056: // rate and spam limits: wait and retry
		return delivery.Temporary(fmt.Sprintf("cloud_%d", r.Error.Code), delivery.RetryAfter(resp.Header.Get("Retry-After"), time.Now()), err)
	case 131047: // outside the 24-hour window: free text cannot be delivered
		return delivery.Permanent("cloud_131047", fmt.Errorf("%w (outside the 24-hour window: set template_message)", err))
	}
	if resp.StatusCode >= 500 || r.Error.Code == 1 || r.Error.Code == 2 || r.Error.Code == 131000 {
		return delivery.Temporary(fmt.Sprintf("cloud_%d", r.Error.Code), 0, err)
	}
	return delivery.Permanent(fmt.Sprintf("cloud_%d", r.Error.Code), err)
}
