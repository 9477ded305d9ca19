// Package telegram sends notifications with a Telegram bot: HTML parse mode with every
// value escaped, long groups split at alert boundaries into parts of at most 4,096
// characters, forum topics, silent delivery of non-critical alerts, and the Bot API's
// answers turned into retry decisions (429 retry_after, migrate_to_chat_id, permanent 4xx).
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// Options builds a Channel.
type Options struct {
	Name     string
	Config   *config.Telegram
	Template *tmpl.Template
	// Fallback renders when Template fails (a custom template's mistake must not lose the alert).
	Fallback  *tmpl.Template
	Language  string
	RateLimit time.Duration
	Logger    *slog.Logger
	// TemplateError is called for each failed render (a metric).
	TemplateError func(channel string)
	// BotInterval is the minimum time between two messages of the bot to any chats;
	// zero means DefaultBotInterval.
	BotInterval time.Duration
}

// DefaultBotInterval keeps a bot under Telegram's broadcast limit of about 30 messages a
// second across all its chats (the per-chat limits are the outbox lanes' job).
const DefaultBotInterval = time.Second / 30

// Channel is a Telegram bot and its chats.
type Channel struct {
	opts   Options
	client *http.Client
	base   string // API URL with the bot token: never logged
	token  string

	paceMu sync.Mutex
	// nextSlot is when the bot may send its next message.
	nextSlot time.Time
}

// pace waits for the bot's next sending slot.
func (c *Channel) pace(ctx context.Context) error {
	interval := c.opts.BotInterval
	if interval <= 0 {
		interval = DefaultBotInterval
	}
	c.paceMu.Lock()
	now := time.Now()
	slot := c.nextSlot
	if slot.Before(now) {
		slot = now
	}
	c.nextSlot = slot.Add(interval)
	c.paceMu.Unlock()
	if wait := slot.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return delivery.Temporary("timeout", 0, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// New builds the channel; it makes no request.
func New(opts Options) (*Channel, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opts.Config.ProxyURL != "" {
		u, err := url.Parse(opts.Config.ProxyURL)
		if err != nil {
			return nil, fmt.Errorf("proxy_url: %w", err)
		}
		transport.Proxy = http.ProxyURL(u)
	}
	token := opts.Config.BotToken.Reveal()
	return &Channel{
		opts:   opts,
		client: &http.Client{Transport: transport},
		base:   strings.TrimRight(opts.Config.APIURL, "/") + "/bot" + token,
		token:  token,
	}, nil
}

// Name is the channel's configured name.
func (c *Channel) Name() string { return c.opts.Name }

// Kind is "telegram".
func (c *Channel) Kind() string { return "telegram" }

// Recipients are the chat ids.
func (c *Channel) Recipients() []string { return c.opts.Config.ChatIDs }

// Interval is Telegram's pace: about one message a second to a chat, twenty a minute to a
// group (negative ids are groups and channels).
func (c *Channel) Interval(chat string) time.Duration {
	perChat := c.opts.RateLimit
	if perChat <= 0 {
		perChat = time.Second
	}
	if strings.HasPrefix(chat, "-") || strings.HasPrefix(chat, "@") {
		return max(perChat, time.Duration(c.opts.Config.GroupRateLimit))
	}
	return perChat
}

// Render is the message's HTML before splitting.
func (c *Channel) Render(job *delivery.Job) string {
	return tmpl.Renderer{Channel: c.opts.Name, Template: c.opts.Template, Fallback: c.opts.Fallback, Language: c.opts.Language,
		Logger: c.opts.Logger, TemplateError: c.opts.TemplateError}.Text(job.Text, job.Message)
}

// Send delivers the parts of job not sent yet, updating job.PartsSent as each goes out.
func (c *Channel) Send(ctx context.Context, job *delivery.Job) error {
	parts := Split(c.Render(job), MaxMessageLength)
	quiet := c.quiet(job)
	for job.PartsSent < len(parts) {
		err := c.sendMessage(ctx, job, parts[job.PartsSent], "HTML", quiet && job.PartsSent == 0 || job.PartsSent > 0)
		var apiErr *apiError
		if errors.As(err, &apiErr) && apiErr.Code == http.StatusBadRequest && strings.Contains(apiErr.Description, "can't parse entities") {
			// Should not happen (Split repairs the HTML), but if Telegram disagrees the alert
			// still goes out, as plain text, rather than being dead-lettered.
			c.opts.Logger.Warn("Telegram refused the HTML, sending plain text", "channel", c.opts.Name, "err", apiErr.Description)
			err = c.sendMessage(ctx, job, tmpl.Plain(parts[job.PartsSent]), "", quiet)
		}
		if err != nil {
			return err
		}
		job.PartsSent++
	}
	return nil
}

// quiet: no alert of the notification has a severity that should ring (critical by default);
// later parts of a split message are always silent, one ring per notification is enough.
func (c *Channel) quiet(job *delivery.Job) bool {
	for _, a := range job.Message.Alerts {
		if a.Firing() && slices.Contains(c.opts.Config.LoudSeverities, a.Labels["severity"]) {
			return false
		}
	}
	return true
}

type sendMessageRequest struct {
	ChatID              string `json:"chat_id"`
	Text                string `json:"text"`
	ParseMode           string `json:"parse_mode,omitempty"`
	MessageThreadID     int64  `json:"message_thread_id,omitempty"`
	DisableNotification bool   `json:"disable_notification,omitempty"`
	LinkPreviewOptions  struct {
		IsDisabled bool `json:"is_disabled"`
	} `json:"link_preview_options"`
}

// apiResponse is the Bot API's envelope.
type apiResponse struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

type apiError struct {
	Code        int
	Description string
}

func (e *apiError) Error() string { return fmt.Sprintf("Telegram error %d: %s", e.Code, e.Description) }

func (c *Channel) sendMessage(ctx context.Context, job *delivery.Job, text, parseMode string, quiet bool) error {
	if err := c.pace(ctx); err != nil {
		return err
	}
	req := sendMessageRequest{ChatID: job.Recipient, Text: text, ParseMode: parseMode,
		MessageThreadID: c.opts.Config.MessageThreadID, DisableNotification: quiet}
	req.LinkPreviewOptions.IsDisabled = true
	body, err := json.Marshal(req)
	if err != nil {
		return delivery.Permanent("encode", err)
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return delivery.Permanent("request", c.redact(err))
	}
	httpReq.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(httpReq)
	if err != nil {
		if ctx.Err() != nil {
			return delivery.Temporary("timeout", 0, c.redact(err))
		}
		return delivery.Temporary("connection", 0, c.redact(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var r apiResponse
	if jerr := json.Unmarshal(data, &r); jerr != nil {
		// A proxy's or load balancer's error page: judge by the status alone.
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return delivery.Temporary("bad_response", 0, fmt.Errorf("unreadable Bot API answer: %.200q", data))
		}
		return delivery.HTTPStatus(resp, fmt.Sprintf("%.200q", data))
	}
	if r.OK {
		return nil
	}
	code := r.ErrorCode
	if code == 0 {
		code = resp.StatusCode
	}
	apiErr := &apiError{Code: code, Description: r.Description}
	reason := "http_" + strconv.Itoa(code)
	switch {
	case r.Parameters.MigrateToChatID != 0:
		job.MovedTo = strconv.FormatInt(r.Parameters.MigrateToChatID, 10)
		return delivery.Temporary("chat_migrated", 0, apiErr)
	case code == http.StatusTooManyRequests:
		return delivery.Temporary(reason, time.Duration(r.Parameters.RetryAfter)*time.Second, apiErr)
	case code >= 500:
		return delivery.Temporary(reason, delivery.RetryAfter(resp.Header.Get("Retry-After"), time.Now()), apiErr)
	default:
		// 400 (bad chat id, message too long), 401 (token revoked), 403 (bot blocked or
		// removed from the group), 404: sending again cannot succeed.
		return delivery.Permanent(reason, apiErr)
	}
}

// redact removes the bot token from an error (url.Error quotes the whole URL).
func (c *Channel) redact(err error) error {
	if c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.token, "<secret>"))
}
