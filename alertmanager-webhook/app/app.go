// Package app is the ronda-webhook application: it opens the durable outbox, loads the
// configuration, accepts Alertmanager's notifications on /alert and delivers them until its
// context ends. cmd/ronda-webhook only turns flags and signals into Options, so the whole
// application also runs inside tests.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/rondanet/ronda/alertmanager-webhook/command"
	"github.com/rondanet/ronda/alertmanager-webhook/config"
	consolech "github.com/rondanet/ronda/alertmanager-webhook/console"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/outbox"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/report"
	"github.com/rondanet/ronda/alertmanager-webhook/sms"
	"github.com/rondanet/ronda/alertmanager-webhook/store"
	"github.com/rondanet/ronda/alertmanager-webhook/telegram"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
	"github.com/rondanet/ronda/alertmanager-webhook/whatsapp"
	"github.com/rondanet/ronda/internal/service"
)

// Options configures the application.
type Options struct {
	ConfigFile string
	// StoragePath is the outbox file (bbolt).
	StoragePath string
	// Web holds the listen addresses and the exporter-toolkit web config file.
	Web *web.FlagConfig
	// MaxBodyBytes bounds a notification's size.
	MaxBodyBytes int64
	Logger       *slog.Logger
	// Reload receives a channel per reload request (SIGHUP); the outcome is sent back on it.
	Reload <-chan chan error
	// Ready, when set, is told the addresses listened on once serving.
	Ready func(addrs []string)
	// BearerToken, when set, is required on every request but /-/healthy and /-/ready
	// (Alertmanager's http_config.authorization); on top of the web config's basic auth.
	BearerToken string
	// Console is where console channels print (default: standard output).
	Console io.Writer
}

// DefaultMaxBodyBytes is large enough for Alertmanager's biggest groups (it sends every
// alert of a group, each with its labels and annotations) and small enough that a
// misdirected upload cannot exhaust memory.
const DefaultMaxBodyBytes = 16 << 20

// App is a running ronda-webhook.
type App struct {
	opts    Options
	log     *slog.Logger
	store   *store.Store
	outbox  *outbox.Outbox
	metrics *metrics

	mu  sync.RWMutex
	cfg *config.Config
	// channels of cfg, by name.
	channels map[string]delivery.Channel

	deliverCtx context.Context
	// reportsMu serialises restarts of the reports (SIGHUP and /-/reload may race).
	reportsMu   sync.Mutex
	reportsStop context.CancelFunc
	reportsDone sync.WaitGroup
	// running are the reports started, each with what its Run returned once done.
	running []*runningReport
}

// runningReport is a started report; interrupted is the tick of the report its stop cut
// short (Runner.Run), written by its goroutine before reportsDone is done.
type runningReport struct {
	name        string
	interrupted time.Time
}

// Run serves until ctx ends. It fails at once when the configuration is invalid or the
// outbox cannot be opened.
func Run(ctx context.Context, opts Options) error {
	if opts.Console == nil {
		opts.Console = os.Stdout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	a := &App{opts: opts, log: opts.Logger}
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		versioncollector.NewCollector("ronda_webhook"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	a.metrics = newMetrics(registry)
	outboxMetrics := outbox.NewMetrics(registry)

	cfg, channels, err := a.load()
	if err != nil {
		return err
	}
	st, err := store.Open(opts.StoragePath, 10*time.Second)
	if err != nil {
		return err
	}
	switch c := st.Compaction(); {
	case c.Err != nil:
		a.log.Warn("the outbox file is mostly free space but could not be compacted; it is used as it is", "err", c.Err)
	case c.Before > 0:
		a.log.Info("outbox file compacted: space freed by deliveries and pruned dead letters given back", "path", opts.StoragePath, "bytes_before", c.Before, "bytes_after", c.After)
	}
	defer func() {
		if err := st.Close(); err != nil {
			a.log.Warn("closing the outbox", "err", err)
		}
	}()
	a.store = st
	a.outbox = outbox.New(outbox.Options{Store: st, Logger: a.log, Metrics: outboxMetrics, Timing: timing(cfg)})
	outboxMetrics.Watch(a.outbox)
	a.put(cfg, channels)
	a.metrics.reloaded(true)

	deliverCtx, stopDelivery := context.WithCancel(context.Background())
	defer func() {
		stopDelivery()
		a.outbox.Wait() // lanes finish their current send before the store closes
	}()
	if err := a.outbox.Start(deliverCtx); err != nil {
		return err
	}
	go a.prune(deliverCtx)
	a.deliverCtx = deliverCtx
	a.startReports(cfg)
	defer a.stopReports()

	server := &http.Server{
		Handler:           requireBearer(opts.BearerToken, a.routes(registry)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr, err := service.Start(server, opts.Web, a.log, opts.Ready)
	if err != nil {
		return err
	}
	for {
		select {
		case err := <-serveErr:
			return fmt.Errorf("web server: %w", err)
		case done := <-opts.Reload:
			done <- a.reload()
		case <-ctx.Done():
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				a.log.Warn("web server shutdown", "err", err)
			}
			return nil
		}
	}
}

// load reads the configuration and builds its channels.
func (a *App) load() (*config.Config, map[string]delivery.Channel, error) {
	cfg, err := config.Load(a.opts.ConfigFile)
	if err != nil {
		return nil, nil, err
	}
	channels, err := buildChannels(cfg, a.log, a.metrics.templateError, a.enqueueReply, a.opts.Console)
	if err != nil {
		return nil, nil, err
	}
	for _, rc := range cfg.Reports {
		if _, err := report.New(rc, cfg.Location, nil, nil); err != nil {
			return nil, nil, err
		}
	}
	return cfg, channels, nil
}

func (a *App) put(cfg *config.Config, channels map[string]delivery.Channel) {
	a.mu.Lock()
	a.cfg, a.channels = cfg, channels
	a.mu.Unlock()
	a.outbox.SetChannels(channels)
}

func (a *App) current() (*config.Config, map[string]delivery.Channel) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg, a.channels
}

// timing is cfg's delivery settings for the outbox.
func timing(cfg *config.Config) outbox.Timing {
	return outbox.Timing{
		MaxAge:      time.Duration(cfg.Delivery.MaxAge),
		MinBackoff:  time.Duration(cfg.Delivery.MinBackoff),
		MaxBackoff:  time.Duration(cfg.Delivery.MaxBackoff),
		SendTimeout: time.Duration(cfg.Delivery.SendTimeout),
	}
}

// reload puts a new configuration in force if it is valid; a broken one leaves the old one
// running. Every setting of the file takes effect; the command-line flags need a restart.
func (a *App) reload() error {
	cfg, channels, err := a.load()
	a.metrics.reloaded(err == nil)
	if err != nil {
		a.log.Error("configuration reload failed, keeping the previous one", "err", err)
		return err
	}
	a.outbox.SetTiming(timing(cfg))
	a.put(cfg, channels)
	a.startReports(cfg)
	a.log.Info("configuration reloaded", "channels", len(channels), "routes", len(cfg.Routes))
	return nil
}

func buildChannels(cfg *config.Config, logger *slog.Logger, templateError func(string), reply command.Reply, console io.Writer) (map[string]delivery.Channel, error) {
	out := map[string]delivery.Channel{}
	for i := range cfg.Channels {
		c := &cfg.Channels[i]
		tpl, err := tmpl.Parse(c.Name, c.Template, cfg.Location)
		if err != nil {
			return nil, fmt.Errorf("%s: channels[%d].template: %w", "config", i, err)
		}
		switch c.Kind() {
		case "telegram":
			ch, err := telegram.New(telegram.Options{
				Name: c.Name, Config: c.Telegram, Template: tpl, Fallback: tmpl.Default(cfg.Location),
				Language: c.Language, RateLimit: time.Duration(c.RateLimit), Logger: logger, TemplateError: templateError,
			})
			if err != nil {
				return nil, fmt.Errorf("channel %s: %w", c.Name, err)
			}
			out[c.Name] = ch
		case "whatsapp":
			out[c.Name] = whatsapp.New(whatsapp.Options{
				Name: c.Name, Config: c.WhatsApp, Template: tpl, Fallback: tmpl.Default(cfg.Location),
				Language: c.Language, RateLimit: time.Duration(c.RateLimit), Logger: logger, TemplateError: templateError,
			})
		case "sms":
			ch, err := sms.New(sms.Options{
				Name: c.Name, Config: c.SMS, Template: tpl, Fallback: tmpl.Default(cfg.Location),
				Language: c.Language, RateLimit: time.Duration(c.RateLimit), Logger: logger, TemplateError: templateError,
			})
			if err != nil {
				return nil, fmt.Errorf("channel %s: %w", c.Name, err)
			}
			out[c.Name] = ch
		case "command":
			out[c.Name] = command.New(c.Name, c.Command, time.Duration(c.RateLimit), logger, reply)
		case "console":
			out[c.Name] = consolech.New(consolech.Options{
				Name: c.Name, Template: tpl, Fallback: tmpl.Default(cfg.Location), Language: c.Language,
				Location: cfg.Location, Logger: logger, TemplateError: templateError, Out: console,
			})
		}
	}
	return out, nil
}

// prune drops, once a minute, dedup keys past their window and dead letters older than
// dead_retention.
func (a *App) prune(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.pruneOnce(time.Now())
		}
	}
}

func (a *App) pruneOnce(now time.Time) {
	cfg, _ := a.current()
	if _, err := a.store.ForgetExpired(now, time.Duration(cfg.Delivery.DedupWindow)); err != nil {
		a.log.Warn("pruning dedup keys", "err", err)
	}
	retention := time.Duration(cfg.Delivery.DeadRetention)
	switch n, err := a.outbox.ForgetDead(now.Add(-retention)); {
	case err != nil:
		a.log.Warn("removing old dead letters", "err", err)
	case n > 0:
		a.log.Info("removed dead letters older than delivery.dead_retention", "items", n, "dead_retention", retention)
	}
}

// startReports (re)starts the scheduled reports of cfg. A report the restart stopped while
// it was being rendered is rendered again at once, with cfg, by its new runner: a reload
// must neither send it with its queries cut short nor lose it.
func (a *App) startReports(cfg *config.Config) {
	a.reportsMu.Lock()
	defer a.reportsMu.Unlock()
	interrupted := a.stopReportsLocked()
	ctx, cancel := context.WithCancel(a.deliverCtx)
	a.reportsStop = cancel
	for _, rc := range cfg.Reports {
		r, err := report.New(rc, cfg.Location, a.enqueueReport, a.log)
		if err != nil { // checked when the configuration was loaded; only a bug gets here
			a.log.Error("report not started", "report", rc.Name, "err", err)
			continue
		}
		r.WithLedger(a.store).Resume(interrupted[rc.Name]) // a tick missed while down is sent late
		running := &runningReport{name: rc.Name}
		a.running = append(a.running, running)
		a.reportsDone.Add(1)
		go func() {
			defer a.reportsDone.Done()
			running.interrupted = r.Run(ctx)
		}()
	}
}

func (a *App) stopReports() {
	a.reportsMu.Lock()
	defer a.reportsMu.Unlock()
	for name, tick := range a.stopReportsLocked() {
		// Not lost: the next start sends it as a tick missed while down, if it is still
		// the first half of its interval (catch-up), as for a crash.
		a.log.Info("a report stopped by the shutdown before it was queued is sent by the next start within the first half of its interval", "report", name, "tick", tick)
	}
}

// stopReportsLocked stops the reports and returns, by name, the ticks of the reports the
// stop interrupted while they were being rendered.
func (a *App) stopReportsLocked() map[string]time.Time {
	if a.reportsStop == nil {
		return nil
	}
	a.reportsStop()
	a.reportsDone.Wait()
	a.reportsStop = nil
	interrupted := map[string]time.Time{}
	for _, r := range a.running {
		if !r.interrupted.IsZero() {
			interrupted[r.name] = r.interrupted
		}
	}
	a.running = nil
	return interrupted
}

// enqueueReply stores a command's report (already HTML) for the channels it replies to.
// The notification goes along, so a chat rings or stays silent as it would for the alert.
// key makes the report of one stored item count once, even when a crash repeats the run:
// the item runs again after a restart for as long as it may be delivered (max_age), so
// the key is kept that long, not merely dedup_window.
func (a *App) enqueueReply(key string, m *payload.Message, channelNames []string, text string) error {
	cfg, channels := a.current()
	window := max(time.Duration(cfg.Delivery.DedupWindow), time.Duration(cfg.Delivery.MaxAge))
	return a.enqueueText(channels, key, m, channelNames, text, window, nil, "command report queued")
}

// enqueueReport stores a rendered report like a notification, recording tick (unless
// zero: a run on demand) as the report's last in the same write. key makes a run count
// once even when a restart repeats it within the interval.
func (a *App) enqueueReport(key, name string, tick time.Time, channelNames []string, text string) error {
	cfg, channels := a.current()
	msg := &payload.Message{Version: "4", Receiver: "report:" + name, GroupKey: "report:" + name, Status: payload.StatusFiring}
	window := time.Duration(cfg.Delivery.DedupWindow)
	for _, r := range cfg.Reports {
		if r.Name == name {
			window = time.Duration(r.Interval)
		}
	}
	var scheduled *reportTick
	if !tick.IsZero() {
		scheduled = &reportTick{report: name, tick: tick}
	}
	return a.enqueueText(channels, key, msg, channelNames, text, window, scheduled, "report queued", "report", name)
}

// reportTick is the scheduled run of a report that a queuing records.
type reportTick struct {
	report string
	tick   time.Time
}

// enqueueText stores text, already rendered, for every recipient of the named channels
// (a sharded channel's recipients for m), once per key within window, and records
// scheduled (when not nil) in the same write. channels is the caller's snapshot, so a
// reload in between cannot mix two configurations.
func (a *App) enqueueText(channels map[string]delivery.Channel, key string, m *payload.Message, channelNames []string, text string, window time.Duration, scheduled *reportTick, logMsg string, logAttrs ...any) error {
	now := time.Now()
	var items []*store.Item
	for _, chName := range channelNames {
		ch := channels[chName]
		if ch == nil {
			a.log.Warn("a channel to send to is no longer configured", "channel", chName)
			continue
		}
		recipients := ch.Recipients()
		if s, ok := ch.(delivery.Sharded); ok {
			recipients = s.RecipientsFor(m)
		}
		for _, rcpt := range recipients {
			items = append(items, &store.Item{Channel: chName, Recipient: rcpt, State: store.Pending, Message: m, Text: text, Created: now})
		}
	}
	var dup bool
	var err error
	if scheduled != nil {
		dup, err = a.store.AcceptReport(key, now, window, items, scheduled.report, scheduled.tick)
	} else {
		dup, err = a.store.Accept(key, now, window, items)
	}
	if err != nil {
		return err
	}
	if !dup {
		a.outbox.Add(items)
		a.log.Info(logMsg, append(logAttrs, "key", key, "items", len(items))...)
	}
	return nil
}
