package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExampleLoads(t *testing.T) {
	for _, env := range []string{"FONNTE_TOKEN", "ZENZIVA_USERKEY", "ZENZIVA_PASSKEY"} {
		t.Setenv(env, "x")
	}
	t.Setenv("TELEGRAM_BOT_TOKEN", "123:secret")
	cfg, err := Load(filepath.Join("..", "..", "examples", "ronda-webhook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tg := cfg.Channels[0].Telegram
	if tg.BotToken.Reveal() != "123:secret" || tg.APIURL != "https://api.telegram.org" || time.Duration(tg.GroupRateLimit) != 3*time.Second {
		t.Errorf("telegram channel %+v", tg)
	}
	if cfg.Location.String() != "Asia/Jakarta" || time.Duration(cfg.Delivery.DedupWindow) != 2*time.Minute {
		t.Errorf("config %+v", cfg)
	}
	if wa := cfg.Channels[1].WhatsApp; strings.Join(wa.Numbers, ",") != "6281234567890,6281311112222" || wa.URL != "https://api.fonnte.com/send" {
		t.Errorf("whatsapp channel %+v", wa)
	}
	if s := cfg.Channels[2].SMS; s.Numbers[0] != "6281299998888" || s.MaxParts != 2 || s.Secret.Reveal() != "x" {
		t.Errorf("sms channel %+v", s)
	}
	if rep := cfg.Reports[0]; time.Duration(rep.Interval) != time.Hour || rep.Queries["online"] == "" || rep.Language != "id" {
		t.Errorf("report %+v", rep)
	}
	r := cfg.Routes[0]
	if !r.Matches("it-team", map[string]string{"action": "restart"}) || r.Matches("it-team", map[string]string{"action": "restart-now"}) || r.Matches("other", map[string]string{"action": "restart"}) {
		t.Error("route 0 matches wrongly")
	}
}

func TestInvalid(t *testing.T) {
	t.Setenv("T", "tok")
	tests := map[string]string{
		"invalid-unknown-key.yml":  `testdata/invalid-unknown-key.yml:5: channels[0].telegram.chat_id: unknown key (did you mean "chat_ids"?)`,
		"invalid-inline-token.yml": `testdata/invalid-inline-token.yml:4: channels[0].telegram.bot_token: inline tokens are not accepted: put it in a file (bot_token_file) or the environment (bot_token_env)`,
		"invalid-route.yml": `testdata/invalid-route.yml:6: routes[0].channels[0]: no channel is named "b"
testdata/invalid-route.yml:8: routes[0].match.severity: invalid regular expression: error parsing regexp: missing closing ): ` + "`^(?:crit(ical)$`",
		"invalid-channel.yml": `testdata/invalid-channel.yml:1: language: must be one of id, en, got "jv"
testdata/invalid-channel.yml:2: timezone: unknown time zone "Mars/Olympus" (use an IANA name like Asia/Jakarta)
testdata/invalid-channel.yml:5: delivery.max_backoff: must not be below min_backoff (10s)
testdata/invalid-channel.yml:7: channels[0].name: may hold only letters, digits, '_', '.' and '-', got "two words"
testdata/invalid-channel.yml:7: channels[0]: say where it sends: one of telegram, whatsapp, sms, command, console
testdata/invalid-channel.yml:8: channels[1]: a channel has one kind: set only one of telegram, whatsapp, sms, command, console
testdata/invalid-channel.yml:11: channels[1].telegram.chat_ids[0]: expected a numeric chat id or @channelname, got "12ab"
testdata/invalid-channel.yml:12: channels[1].telegram.api_url: expected an http(s) URL, got "ftp://x"`,
		"invalid-messaging.yml": `testdata/invalid-messaging.yml:3: channels[0].whatsapp.url: required for wablas: your server's send-message URL, e.g. https://sby.wablas.com/api/v2/send-message
testdata/invalid-messaging.yml:6: channels[0].whatsapp.numbers[0]: "0812-abc" is not a phone number
testdata/invalid-messaging.yml:8: channels[1].sms.params: required: the parameters, e.g. number: "{{ .Number }}", message: "{{ .Message }}"
testdata/invalid-messaging.yml:10: channels[1].sms.method: must be GET or POST, got "PUT"
testdata/invalid-messaging.yml:12: channels[1].sms.numbers: required: at least one phone number`,
		"invalid-duplicate.yml": `testdata/invalid-duplicate.yml: routes: required: at least one route, or no alert reaches a channel
testdata/invalid-duplicate.yml:5: channels[1].name: channel "a" is defined twice
testdata/invalid-duplicate.yml:7: channels[1].command.argv: required: the program to run and its arguments (no shell is used)
testdata/invalid-duplicate.yml:12: reports[1].name: report "olt" is defined twice: each report needs a name of its own`,
		"invalid-reply-to.yml": `testdata/invalid-reply-to.yml:5: channels[0].command.reply_to[0]: channel "chat" runs a command: reply to a telegram, whatsapp or sms channel
testdata/invalid-reply-to.yml:5: channels[0].command.reply_to[1]: channel "restore" runs a command: reply to a telegram, whatsapp or sms channel
testdata/invalid-reply-to.yml:5: channels[0].command.reply_to[2]: no channel is named "nowhere"`,
	}
	for file, want := range tests {
		_, err := Load(filepath.Join("testdata", file))
		if err == nil {
			t.Errorf("%s: loaded, want error", file)
			continue
		}
		if got := err.Error(); got != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", file, got, want)
		}
		if strings.Contains(err.Error(), "123:abc") {
			t.Errorf("%s: the error shows the token", file)
		}
	}
}

// TestDeliveryDefaults: what a config without a delivery section gets.
func TestDeliveryDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
channels:
  - name: c
    console: {}
routes:
  - channels: [c]
`), filepath.Join(t.TempDir(), "ronda-webhook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Delivery
	if time.Duration(d.DedupWindow) != DefaultDedupWindow || time.Duration(d.MaxAge) != 24*time.Hour ||
		time.Duration(d.DeadRetention) != 30*24*time.Hour || time.Duration(d.SendTimeout) != DefaultSendTimeout {
		t.Errorf("delivery defaults %+v", d)
	}
}

// TestCommandDirDefaultsToTheConfigFolder: a command runs in the config file's folder unless
// its dir says otherwise (relative to that folder too), as README's table says, so a script
// named ./restart.sh next to the config runs whatever folder ronda-webhook was started in.
func TestCommandDirDefaultsToTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Parse([]byte(`
channels:
  - name: unset
    command: {argv: [/bin/true]}
  - name: relative
    command: {argv: [/bin/true], dir: scripts}
  - name: absolute
    command: {argv: [/bin/true], dir: /srv/ronda}
routes:
  - channels: [unset, relative, absolute]
`), filepath.Join(dir, "ronda-webhook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{dir, filepath.Join(dir, "scripts"), "/srv/ronda"} {
		if got := cfg.Channels[i].Command.Dir; got != want {
			t.Errorf("channel %s: dir %q, want %q", cfg.Channels[i].Name, got, want)
		}
	}
}

// TestSecretsReadLikeTheExporters: a token file that is a FIFO is refused at once (opening
// it would hang the load, and a reload), and a token from a variable loses its line end as
// one from a file does.
func TestSecretsReadLikeTheExporters(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	const channels = `
channels:
  - name: chat
    telegram:
      %s
      chat_ids: ["111"]
routes:
  - channels: [chat]
`
	done := make(chan error, 1)
	go func() {
		_, err := Parse([]byte(fmt.Sprintf(channels, "bot_token_file: token")), filepath.Join(dir, "ronda-webhook.yml"))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO token file: %v, want refused as not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loading a config whose token file is a FIFO still blocks after 5s")
	}

	t.Setenv("RONDA_TEST_TOKEN", "123:abc\r\n")
	cfg, err := Parse([]byte(fmt.Sprintf(channels, "bot_token_env: RONDA_TEST_TOKEN")), filepath.Join(dir, "ronda-webhook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Channels[0].Telegram.BotToken.Reveal(); got != "123:abc" {
		t.Errorf("token from the variable %q, want it without its line end", got)
	}
}

// TestBadURLErrorsHideThePassword: a URL setting refused with a password in it is not quoted
// as written: the error is printed by --config.check and logged on a reload.
func TestBadURLErrorsHideThePassword(t *testing.T) {
	t.Setenv("T", "tok")
	settings := map[string]string{
		"channels[0].whatsapp.url": `
channels:
  - name: c
    whatsapp: {provider: wablas, token_env: T, numbers: ["6281234567890"], url: "%s"}
routes:
  - channels: [c]
`,
		"channels[0].sms.url": `
channels:
  - name: c
    sms: {provider: generic, params: {number: "{{ .Number }}"}, numbers: ["6281234567890"], url: "%s"}
routes:
  - channels: [c]
`,
		"reports[0].prometheus_url": `
channels:
  - name: c
    console: {}
routes:
  - channels: [c]
reports:
  - name: r
    channels: [c]
    prometheus_url: "%s"
`,
		"channels[0].telegram.api_url": `
channels:
  - name: c
    telegram: {bot_token_env: T, chat_ids: ["-100123"], api_url: "%s"}
routes:
  - channels: [c]
`,
		"channels[0].telegram.proxy_url": `
channels:
  - name: c
    telegram: {bot_token_env: T, chat_ids: ["-100123"], proxy_url: "%s"}
routes:
  - channels: [c]
`,
	}
	urls := []string{
		"ftp://ronda:hunter2@gw.example/send", // wrong scheme
		"http://ronda:hunter2@",               // no host
		"ronda:hunter2@gw.example",            // no scheme
		"http://ronda:hun ter2@gw.example",    // a password url.Parse cannot read
		"http://ronda:hunter2@gw.example:8 0", // does not parse
	}
	for key, yaml := range settings {
		for _, u := range urls {
			_, err := Parse(fmt.Appendf(nil, yaml, u), filepath.Join(t.TempDir(), "ronda-webhook.yml"))
			if err == nil {
				t.Errorf("%s: %q accepted", key, u)
				continue
			}
			if !strings.Contains(err.Error(), key+":") {
				t.Errorf("%s: %q: the error does not name the setting: %v", key, u, err)
			}
			if strings.Contains(err.Error(), "ter2") {
				t.Errorf("%s: %q: the password is in the error: %v", key, u, err)
			}
		}
	}
}
