// Package config reads and checks ronda-webhook's configuration file: the channels
// notifications go to, the routes that choose them, and delivery settings. Decoding is as
// strict as ronda-exporter's (unknown keys are errors; every error names file, line and
// key), through the shared config.DecodeStrict.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	ronda "github.com/rondanet/ronda/config"
)

// Config is the whole file.
type Config struct {
	// Language of the default templates: id (Bahasa Indonesia) or en.
	Language string `yaml:"language"`
	// Timezone names the zone times are shown in (IANA name), Asia/Jakarta by default.
	Timezone string    `yaml:"timezone"`
	Delivery Delivery  `yaml:"delivery"`
	Channels []Channel `yaml:"channels"`
	Routes   []Route   `yaml:"routes"`
	// Reports are scheduled summaries (the hourly OLT report).
	Reports []Report `yaml:"reports"`

	// Location is Timezone loaded.
	Location *time.Location `yaml:"-"`
}

// Delivery holds the outbox settings.
type Delivery struct {
	// DedupWindow: a notification identical to one accepted this recently is a duplicate
	// (an Alertmanager retry or the HA peer's copy). Keep it below the smallest
	// repeat_interval, or reminders are swallowed.
	DedupWindow ronda.Duration `yaml:"dedup_window"`
	// MaxAge: an item not delivered within this is dead-lettered.
	MaxAge ronda.Duration `yaml:"max_age"`
	// DeadRetention: a dead letter is removed this long after it died.
	DeadRetention ronda.Duration `yaml:"dead_retention"`
	MinBackoff    ronda.Duration `yaml:"min_backoff"`
	MaxBackoff    ronda.Duration `yaml:"max_backoff"`
	SendTimeout   ronda.Duration `yaml:"send_timeout"`
}

// Defaults.
const (
	DefaultDedupWindow = 2 * time.Minute
	DefaultMaxAge      = 24 * time.Hour
	// DefaultDeadRetention keeps dead letters a month: time to notice and replay them.
	DefaultDeadRetention = 30 * 24 * time.Hour
	DefaultMinBackoff    = 2 * time.Second
	DefaultMaxBackoff    = 5 * time.Minute
	DefaultSendTimeout   = 30 * time.Second
	DefaultLanguage      = "id"
	DefaultTimezone      = "Asia/Jakarta"
)

// Channel is one destination: a Telegram bot and its chats, a command, …
type Channel struct {
	Name string `yaml:"name"`
	// Language overrides the file's language for this channel's default template.
	Language string `yaml:"language"`
	// Template is a Go text/template replacing the default one; TemplateFile reads it from a file.
	Template     string `yaml:"template"`
	TemplateFile string `yaml:"template_file"`
	// RateLimit is the minimum time between two messages to one recipient.
	RateLimit ronda.Duration `yaml:"rate_limit"`

	Telegram *Telegram `yaml:"telegram"`
	WhatsApp *WhatsApp `yaml:"whatsapp"`
	SMS      *SMS      `yaml:"sms"`
	Command  *Command  `yaml:"command"`
	// Console prints messages on ronda-webhook's standard output (make demo, trying routes).
	Console *Console `yaml:"console"`
}

// Kind is the channel's kind: the one subsection that is set.
func (c *Channel) Kind() string {
	switch {
	case c.Telegram != nil:
		return "telegram"
	case c.WhatsApp != nil:
		return "whatsapp"
	case c.SMS != nil:
		return "sms"
	case c.Command != nil:
		return "command"
	case c.Console != nil:
		return "console"
	}
	return ""
}

// Telegram is a Telegram bot sending to chats.
type Telegram struct {
	BotTokenFile string   `yaml:"bot_token_file"`
	BotTokenEnv  string   `yaml:"bot_token_env"`
	ChatIDs      []string `yaml:"chat_ids"`
	// MessageThreadID sends into a forum topic.
	MessageThreadID int64 `yaml:"message_thread_id"`
	// APIURL is the Bot API server (a local Bot API server, or a test stand-in).
	APIURL string `yaml:"api_url"`
	// ProxyURL sends API calls through an HTTP(S) or SOCKS5 proxy.
	ProxyURL string `yaml:"proxy_url"`
	// LoudSeverities: alerts with these severities ring; others arrive silently.
	LoudSeverities []string `yaml:"loud_severities"`
	// GroupRateLimit is the minimum time between messages to a group (Telegram allows 20/min).
	GroupRateLimit ronda.Duration `yaml:"group_rate_limit"`

	// InlineBotToken is read only to be refused with a clear message: config files are
	// shared and committed, tokens belong in a file or the environment.
	InlineBotToken string `yaml:"bot_token"`

	BotToken ronda.Secret `yaml:"-"`
}

// Console prints each message as plain text on ronda-webhook's standard output. It has no
// settings: write `console: {}`.
type Console struct{}

// Command runs a program per notification.
type Command struct {
	// Argv is the program and its arguments, run without a shell.
	Argv        []string       `yaml:"argv"`
	Timeout     ronda.Duration `yaml:"timeout"`
	Concurrency int            `yaml:"concurrency"`
	// Dir is the working directory; relative to the config file, whose folder it is when
	// unset (not ronda-webhook's own working directory, which a service manager chooses).
	Dir string `yaml:"dir"`
	// ReplyTo names channels that get the command's standard output as a message once a
	// run has ended for good (done, or failed without asking for a retry): a command can
	// report what it did (ronda-restore's summary) without knowing any chat. The output of
	// the first run that asks to be run again (exit 75) is sent too, once.
	ReplyTo []string `yaml:"reply_to"`

	// HiddenEnv are the variables ronda-webhook reads its own secrets from (every *_env
	// of the config): they are left out of a command's environment, so that a script's
	// `env` or `set -x` cannot send a bot token on through reply_to or the log.
	HiddenEnv []string `yaml:"-"`
}

// Route sends the alerts it matches to channels. Routes are tried in order; an alert stops
// at the first route that matches it unless that route has continue.
type Route struct {
	// Receiver is the Alertmanager receiver name as written in alertmanager.yml (not
	// regex-quoted); empty matches every receiver.
	Receiver string `yaml:"receiver"`
	// Match maps label names to regular expressions that must match the whole value.
	Match    map[string]string `yaml:"match"`
	Channels []string          `yaml:"channels"`
	Continue bool              `yaml:"continue"`

	Matchers map[string]*regexp.Regexp `yaml:"-"`
}

// Load reads and checks the file.
func Load(filename string) (*Config, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, ronda.NewError(filename, []ronda.Problem{{Message: "cannot read the config file: " + err.Error()}})
	}
	return Parse(data, filename)
}

// Parse checks a config; filename names it in errors and anchors relative paths.
func Parse(data []byte, filename string) (*Config, error) {
	cfg := &Config{}
	lines, err := ronda.DecodeStrict(data, filename, cfg)
	if err != nil {
		return nil, err
	}
	c := &checker{lines: lines, dir: filepath.Dir(filename)}
	cfg.check(c)
	if len(c.problems) > 0 {
		return nil, ronda.NewError(filename, c.problems)
	}
	for i := range cfg.Channels {
		if cmd := cfg.Channels[i].Command; cmd != nil {
			cmd.HiddenEnv = c.secretEnvs
		}
	}
	return cfg, nil
}

type checker struct {
	lines    map[string]int
	dir      string
	problems []ronda.Problem
	// secretEnvs are the environment variables the config reads secrets from.
	secretEnvs []string
}

func (c *checker) report(key, format string, args ...any) {
	line := c.lines[key]
	for k := key; line == 0 && k != ""; {
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
		line = c.lines[k]
	}
	c.problems = append(c.problems, ronda.Problem{Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(c.dir, path)
}

func (cfg *Config) check(c *checker) {
	if cfg.Language == "" {
		cfg.Language = DefaultLanguage
	}
	if !slices.Contains(Languages, cfg.Language) {
		c.report("language", "must be one of %s, got %q", strings.Join(Languages, ", "), cfg.Language)
	}
	if cfg.Timezone == "" {
		cfg.Timezone = DefaultTimezone
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		c.report("timezone", "unknown time zone %q (use an IANA name like Asia/Jakarta)", cfg.Timezone)
	}
	cfg.Location = loc
	cfg.Delivery.check(c)

	names := map[string]bool{}
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		path := fmt.Sprintf("channels[%d]", i)
		ch.check(c, path, cfg.Language)
		if ch.Name != "" && names[ch.Name] {
			c.report(path+".name", "channel %q is defined twice", ch.Name)
		}
		names[ch.Name] = true
	}
	for i := range cfg.Channels {
		if cmd := cfg.Channels[i].Command; cmd != nil {
			cmd.checkReplyTo(c, fmt.Sprintf("channels[%d].command.reply_to", i), cfg.Channels)
		}
	}
	if len(cfg.Routes) == 0 && len(cfg.Channels) > 0 {
		c.report("routes", "required: at least one route, or no alert reaches a channel")
	}
	for i := range cfg.Routes {
		cfg.Routes[i].check(c, fmt.Sprintf("routes[%d]", i), names)
	}
	reportNames := map[string]bool{}
	for i := range cfg.Reports {
		cfg.Reports[i].check(c, fmt.Sprintf("reports[%d]", i), names, cfg.Language)
		if n := cfg.Reports[i].Name; n != "" && reportNames[n] {
			// The name keys the report's schedule (the last tick sent) and its sends.
			c.report(fmt.Sprintf("reports[%d].name", i), "report %q is defined twice: each report needs a name of its own", n)
		}
		reportNames[cfg.Reports[i].Name] = true
	}
}

// Languages of the default templates.
var Languages = []string{"id", "en"}

func (d *Delivery) check(c *checker) {
	set := func(v *ronda.Duration, def time.Duration, key string) {
		if *v < 0 {
			c.report("delivery."+key, "must not be negative")
		}
		if *v == 0 {
			*v = ronda.Duration(def)
		}
	}
	set(&d.DedupWindow, DefaultDedupWindow, "dedup_window")
	set(&d.MaxAge, DefaultMaxAge, "max_age")
	set(&d.DeadRetention, DefaultDeadRetention, "dead_retention")
	set(&d.MinBackoff, DefaultMinBackoff, "min_backoff")
	set(&d.MaxBackoff, DefaultMaxBackoff, "max_backoff")
	set(&d.SendTimeout, DefaultSendTimeout, "send_timeout")
	if d.MaxBackoff < d.MinBackoff {
		c.report("delivery.max_backoff", "must not be below min_backoff (%s)", d.MinBackoff)
	}
}

var channelName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (ch *Channel) check(c *checker, path, language string) {
	switch {
	case ch.Name == "":
		c.report(path+".name", "required: a name that routes refer to")
	case !channelName.MatchString(ch.Name):
		c.report(path+".name", "may hold only letters, digits, '_', '.' and '-', got %q", ch.Name)
	}
	if ch.Language != "" && !slices.Contains(Languages, ch.Language) {
		c.report(path+".language", "must be one of %s, got %q", strings.Join(Languages, ", "), ch.Language)
	}
	if ch.Language == "" {
		ch.Language = language
	}
	if ch.Template != "" && ch.TemplateFile != "" {
		c.report(path+".template_file", "set only one of template and template_file")
	}
	if ch.TemplateFile != "" {
		ch.TemplateFile = c.resolve(ch.TemplateFile)
		data, err := os.ReadFile(ch.TemplateFile)
		if err != nil {
			c.report(path+".template_file", "cannot read %s: %v", ch.TemplateFile, err)
		}
		ch.Template = string(data)
	}
	if ch.RateLimit < 0 {
		c.report(path+".rate_limit", "must not be negative")
	}
	kinds := 0
	if ch.Telegram != nil {
		kinds++
		ch.Telegram.check(c, path+".telegram")
	}
	if ch.WhatsApp != nil {
		kinds++
		ch.WhatsApp.check(c, path+".whatsapp")
	}
	if ch.SMS != nil {
		kinds++
		ch.SMS.check(c, path+".sms")
	}
	if ch.Command != nil {
		kinds++
		ch.Command.check(c, path+".command")
	}
	if ch.Console != nil {
		kinds++
	}
	switch {
	case kinds == 0:
		c.report(path, "say where it sends: one of telegram, whatsapp, sms, command, console")
	case kinds > 1:
		c.report(path, "a channel has one kind: set only one of telegram, whatsapp, sms, command, console")
	}
}

func (t *Telegram) check(c *checker, path string) {
	if t.InlineBotToken != "" {
		t.InlineBotToken = ""
		c.report(path+".bot_token", "inline tokens are not accepted: put it in a file (bot_token_file) or the environment (bot_token_env)")
	} else {
		t.BotToken = c.secret(path, "bot_token", &t.BotTokenFile, t.BotTokenEnv)
	}
	if len(t.ChatIDs) == 0 {
		c.report(path+".chat_ids", "required: at least one chat id (-100… for groups, @name for channels)")
	}
	for i, id := range t.ChatIDs {
		if !validChatID(id) {
			c.report(fmt.Sprintf("%s.chat_ids[%d]", path, i), "expected a numeric chat id or @channelname, got %q", id)
		}
	}
	if t.APIURL == "" {
		t.APIURL = "https://api.telegram.org"
	}
	checkURL(c, path+".api_url", t.APIURL)
	if t.ProxyURL != "" {
		if u, err := url.Parse(t.ProxyURL); err != nil || u.Host == "" || !slices.Contains([]string{"http", "https", "socks5"}, u.Scheme) {
			// A proxy URL often carries the proxy's password (http://user:pass@proxy:3128).
			c.report(path+".proxy_url", "expected an http, https or socks5 URL, got %q", ronda.URLWithoutPassword(t.ProxyURL))
		}
	}
	if t.LoudSeverities == nil {
		t.LoudSeverities = []string{"critical"}
	}
	if t.GroupRateLimit < 0 {
		c.report(path+".group_rate_limit", "must not be negative")
	}
	if t.GroupRateLimit == 0 {
		t.GroupRateLimit = ronda.Duration(3 * time.Second) // Telegram: 20 messages a minute per group
	}
}

var chatIDPattern = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,})$`)

func validChatID(s string) bool { return chatIDPattern.MatchString(s) }

func (cmd *Command) check(c *checker, path string) {
	if len(cmd.Argv) == 0 || cmd.Argv[0] == "" {
		c.report(path+".argv", "required: the program to run and its arguments (no shell is used)")
	}
	if cmd.Timeout < 0 {
		c.report(path+".timeout", "must not be negative")
	}
	if cmd.Timeout == 0 {
		cmd.Timeout = ronda.Duration(30 * time.Second)
	}
	if cmd.Concurrency < 0 {
		c.report(path+".concurrency", "must not be negative")
	}
	if cmd.Concurrency == 0 {
		cmd.Concurrency = 1
	}
	if cmd.Dir == "" {
		cmd.Dir = c.dir
	} else {
		cmd.Dir = c.resolve(cmd.Dir)
	}
}

// checkReplyTo accepts only channels that send messages: a command replying to a command
// could run in a loop.
func (cmd *Command) checkReplyTo(c *checker, path string, channels []Channel) {
	for i, name := range cmd.ReplyTo {
		idx := slices.IndexFunc(channels, func(ch Channel) bool { return ch.Name == name })
		switch {
		case idx < 0:
			c.report(fmt.Sprintf("%s[%d]", path, i), "no channel is named %q", name)
		case channels[idx].Command != nil:
			c.report(fmt.Sprintf("%s[%d]", path, i), "channel %q runs a command: reply to a telegram, whatsapp or sms channel", name)
		}
	}
}

func (r *Route) check(c *checker, path string, channels map[string]bool) {
	if len(r.Channels) == 0 {
		c.report(path+".channels", "required: the channels this route sends to")
	}
	for i, name := range r.Channels {
		if !channels[name] {
			c.report(fmt.Sprintf("%s.channels[%d]", path, i), "no channel is named %q", name)
		}
	}
	r.Matchers = map[string]*regexp.Regexp{}
	for label, expr := range r.Match {
		re, err := regexp.Compile("^(?:" + expr + ")$")
		if err != nil {
			c.report(path+".match."+label, "invalid regular expression: %v", err)
			continue
		}
		r.Matchers[label] = re
	}
}

// secret reads key_file or key_env (exactly one), like ronda-exporter's passwords.
func (c *checker) secret(path, key string, file *string, env string) ronda.Secret {
	filePath, envPath := path+"."+key+"_file", path+"."+key+"_env"
	switch {
	case *file != "" && env != "":
		c.report(envPath, "set only one of %s_file and %s_env", key, key)
	case *file != "":
		*file = c.resolve(*file)
		secret, err := ronda.ReadSecretFile(*file)
		if err != nil {
			c.report(filePath, "cannot read %s: %s", *file, err)
			return ""
		}
		return secret
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			c.report(envPath, "environment variable %s is not set", env)
			return ""
		}
		c.secretEnvs = append(c.secretEnvs, env)
		return ronda.SecretFromEnv(v)
	default:
		c.report(filePath, "required: set %s_file (a file holding it) or %s_env (an environment variable holding it)", key, key)
	}
	return ""
}

// Matches says whether the route takes an alert with these labels sent to receiver. A
// label the route matches on but the alert lacks counts as empty, as in Alertmanager.
func (r *Route) Matches(receiver string, labels map[string]string) bool {
	if r.Receiver != "" && r.Receiver != receiver {
		return false
	}
	for name, re := range r.Matchers {
		if !re.MatchString(labels[name]) {
			return false
		}
	}
	return true
}
