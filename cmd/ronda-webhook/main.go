// Command ronda-webhook relays Alertmanager's notifications to Telegram, WhatsApp, SMS and
// commands. Every notification is stored durably before Alertmanager gets its answer, and
// delivered (with rate limits, retries and dead letters) from that outbox.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/rondanet/ronda/alertmanager-webhook/app"
	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/internal/service"
)

// defaultListenAddress follows ronda-exporter's 9850.
const defaultListenAddress = ":9851"

func main() {
	a := kingpin.New("ronda-webhook",
		"Alertmanager webhook receiver: stores each notification durably, then delivers it to Telegram, WhatsApp, SMS gateways and commands "+
			"with rate limits, retries and dead letters.\n\n"+
			"Point Alertmanager's webhook_configs url at http://HOST:9851/alert.")
	a.HelpFlag.Short('h')
	a.Version(version.Print("ronda-webhook"))

	serve := a.Command("serve", "Receive and deliver notifications (the default).").Default()
	configFile := serve.Flag("config.file", "ronda-webhook configuration file.").Default("ronda-webhook.yml").String()
	checkConfig := serve.Flag("config.check", "Validate the configuration file and exit (0 if valid, 1 if not).").Bool()
	storagePath := serve.Flag("storage.path", "The outbox file: notifications waiting for delivery and dead letters (created if missing).").
		Default("ronda-webhook.db").String()
	maxBody := serve.Flag("web.max-body-bytes", "Largest notification accepted; larger ones get 413.").
		Default(fmt.Sprint(app.DefaultMaxBodyBytes)).Int64()
	bearerFile := serve.Flag("web.bearer-token-file",
		"File holding a token every request must carry as \"Authorization: Bearer TOKEN\" (Alertmanager: http_config.authorization.credentials_file); health and readiness stay open.").String()
	webFlags := service.AddFlags(serve, defaultListenAddress)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(a, logConfig)

	outboxCmd := a.Command("outbox", "Inspect the outbox of a running ronda-webhook.")
	url := outboxCmd.Flag("webhook.url", "Base URL of the running ronda-webhook (credentials may go in it: http://user:pass@host:9851).").
		Default("http://127.0.0.1:9851").String()
	cliBearer := outboxCmd.Flag("webhook.bearer-token-file", "File holding the bearer token ronda-webhook requires, if any.").String()
	list := outboxCmd.Command("list", "List pending and dead items.")
	listState := list.Flag("state", "Only items in this state.").Enum("pending", "dead", "")
	replay := outboxCmd.Command("replay", "Make dead items pending again, so they are delivered.")
	replayIDs := replay.Arg("id", "Item ids to replay; none means every dead item.").Uint64List()

	command := kingpin.MustParse(a.Parse(os.Args[1:]))
	if *cliBearer != "" {
		data, err := os.ReadFile(*cliBearer)
		exitOn(err)
		bearerToken = strings.TrimSpace(string(data))
	}
	switch command {
	case list.FullCommand():
		exitOn(outboxList(*url, *listState, os.Stdout))
		return
	case replay.FullCommand():
		exitOn(outboxReplay(*url, *replayIDs, os.Stdout))
		return
	}

	if *checkConfig {
		cfg, err := config.Load(*configFile)
		exitOn(err)
		fmt.Printf("%s: valid: %d channels, %d routes\n", *configFile, len(cfg.Channels), len(cfg.Routes))
		return
	}

	var bearer string
	if *bearerFile != "" {
		data, err := os.ReadFile(*bearerFile)
		exitOn(err)
		bearer = strings.TrimSpace(string(data))
		if bearer == "" {
			exitOn(fmt.Errorf("--web.bearer-token-file %s is empty", *bearerFile))
		}
	}
	logger := promslog.New(logConfig)
	logger.Info("starting ronda-webhook", "version", version.Info(), "config", *configFile, "storage", *storagePath)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reload := make(chan chan error)
	go service.ForwardSIGHUP(ctx, reload)
	err := app.Run(ctx, app.Options{
		ConfigFile: *configFile, StoragePath: *storagePath, Web: webFlags,
		MaxBodyBytes: *maxBody, Logger: logger, Reload: reload, BearerToken: bearer,
	})
	if err != nil {
		logger.Error("ronda-webhook stopped", "err", err)
		os.Exit(1)
	}
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
