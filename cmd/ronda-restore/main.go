// Command ronda-restore gives hotspot users back the time a MikroTik router lost in a power
// cut, from the Prometheus history ronda-exporter recorded: `points` lists the abrupt
// reboots, `plan` shows what a restore would write, `apply` writes it (only limit-uptime,
// only with --yes, once per user and reboot thanks to the ledger).
//
// Exit codes: 0 done or nothing to do; 1 refused (bad input, a history that cannot be
// trusted, or writes the router refused); 2 incomplete: some writes failed or another run holds the lock (retry);
// 3 the router or Prometheus is unreachable (retry later). `auto`, run by ronda-webhook's
// command channel, has its own: 0 done, 1 refused, 4 beyond the safety limits, 75 retry.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
	"github.com/rondanet/ronda/restore"
)

// Exit codes.
const (
	exitOK          = 0
	exitRefused     = 1
	exitIncomplete  = 2
	exitUnreachable = 3
	// auto only: the plan is beyond --limit.per-user or --limit.total; nothing was
	// written and a person must run apply.
	exitOverLimits = 4
	// auto only: try again later (sysexits EX_TEMPFAIL, what ronda-webhook's command
	// channel retries), where apply would exit 2 or 3.
	exitTempFail = 75
)

// flags shared by every subcommand.
type flags struct {
	configFile, promURL, promConfig, orgID string
	promTimeout                            time.Duration
	router, ledgerFile, output             string
	since                                  string
	lockWait                               time.Duration
	logConfig                              *promslog.Config
}

func main() {
	app := kingpin.New("ronda-restore",
		"Gives hotspot users back the time a MikroTik router lost in a power cut, from the Prometheus history ronda-exporter recorded.\n\n"+
			"RouterOS adds a session's time to the user's stored uptime only at logout, so a power cut forgets every session in progress. "+
			"ronda-restore finds the last scrape before the cut and lowers each affected user's limit-uptime by the time that session had used. "+
			"It writes nothing but limit-uptime, only with apply --yes, and never twice for one user and reboot.\n\n"+
			"Exit codes: 0 done or nothing to do; 1 refused (bad input, history that cannot be trusted, or writes the router refused); "+
			"2 incomplete, retry (some writes failed, or another run holds the lock); 3 router or Prometheus unreachable, retry later. "+
			"auto has its own (see help auto): 0 done, 1 refused, 4 beyond the safety limits, 75 retry later.")
	app.HelpFlag.Short('h')
	app.Version(version.Print("ronda-restore"))

	f := &flags{logConfig: &promslog.Config{}}
	app.Flag("config.file", "ronda-exporter's configuration file: the routers by name, with their address and credentials (the API user needs the write policy to apply).").
		Default("ronda.yml").StringVar(&f.configFile)
	app.Flag("prometheus.url", "Prometheus-compatible query API, with any path prefix (Mimir: http://mimir/prometheus).").
		Default("http://127.0.0.1:9090").StringVar(&f.promURL)
	app.Flag("prometheus.config", "File with Prometheus-style HTTP client settings for it: basic_auth, authorization (bearer), oauth2, tls_config, proxy_url.").
		StringVar(&f.promConfig)
	app.Flag("prometheus.org-id", "Tenant sent as X-Scope-OrgID (Mimir, Cortex).").StringVar(&f.orgID)
	app.Flag("prometheus.timeout", "Deadline of each query.").Default("30s").DurationVar(&f.promTimeout)
	app.Flag("router", "The router: its name in the config file, which is its instance label in Prometheus. May be left out when the config has one router.").
		StringVar(&f.router)
	app.Flag("ledger.file", "Ledger of applied restores, so none is applied twice (FILE.lock next to it serializes runs).").
		Default("ronda-restore.ledger.json").StringVar(&f.ledgerFile)
	app.Flag("output", "Output format.").Default("table").EnumVar(&f.output, "table", "json")
	app.Flag("since", "How far back to look for reboots, as a Prometheus duration (7d, 36h).").Default("7d").StringVar(&f.since)
	promslogflag.AddFlags(app, f.logConfig)

	pointsCmd := app.Command("points", "List the router's abrupt reboots (restore points), newest first.")

	planCmd := app.Command("plan", "Show what a restore would write, user by user, without writing.")
	planOpts := pickFlags(planCmd)

	applyCmd := app.Command("apply", "Restore: a dry run that prints the plan, unless --yes.")
	applyOpts := pickFlags(applyCmd)
	yes := applyCmd.Flag("yes", "Write the new limits to the router.").Bool()
	progress := applyCmd.Flag("progress", "Show progress on stderr even when it is not a terminal.").Bool()
	applyCmd.Flag("lock.wait", "How long to wait for another ronda-restore to finish before giving up (exit 2).").Default("0s").DurationVar(&f.lockWait)

	autoCmd, autoOpts := autoFlags(app)

	// serve (the web page, restore/web) is registered by serve.go when present.
	serve := registerServe(app, f)

	command := kingpin.MustParse(app.Parse(os.Args[1:]))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := promslog.New(f.logConfig)

	if command == autoCmd.FullCommand() && f.router == "" {
		// Run by ronda-webhook for a MikrotikRebooted alert: the router is its instance.
		f.router = os.Getenv("RONDA_LABEL_INSTANCE")
	}
	code := func() int {
		if command == autoCmd.FullCommand() && os.Getenv("RONDA_STATUS") == "resolved" {
			return exitOK // the reboot alert ending an hour later asks for nothing
		}
		svc, router, err := setup(f, logger)
		if err != nil {
			return report(err)
		}
		defer svc.Close()
		out := &output{w: os.Stdout, json: f.output == "json"}
		switch command {
		case pointsCmd.FullCommand():
			return report(runPoints(ctx, svc, f, router, out))
		case planCmd.FullCommand():
			_, err := makePlan(ctx, svc, f, router, planOpts, out)
			return report(err)
		case applyCmd.FullCommand():
			show := *progress || isTerminal(os.Stderr)
			return runApply(ctx, svc, f, router, applyOpts, *yes, show, out, logger)
		case autoCmd.FullCommand():
			return runAuto(ctx, svc, f, router, autoOpts, out, logger)
		default:
			if serve != nil {
				return report(serve(ctx, svc, logger))
			}
		}
		return exitRefused
	}()
	stop()
	os.Exit(code)
}

// pick says which restore point to use.
type pick struct {
	reboot, at string
	force      *bool
	maxGap     *time.Duration
}

func pickFlags(cmd *kingpin.CmdClause) *pick {
	p := &pick{}
	cmd.Flag("reboot", "The reboot to restore from, by its boot time as `points` lists it (RFC 3339 or Unix seconds); default: the newest.").StringVar(&p.reboot)
	cmd.Flag("at", "Restore to any time instead (RFC 3339 or Unix seconds): the last successful scrape at or before it.").StringVar(&p.at)
	p.force = cmd.Flag("force", "Also restore users whose limit-uptime changed since the reboot (a top-up after the cut is then reduced too).").Bool()
	p.maxGap = cmd.Flag("max-gap", "Longest gap without samples between the last scrape and the boot that is accepted; 0 means twice the scrape interval.").Default("0s").Duration()
	return p
}

// setup loads the config, builds the Prometheus client and the Restorer, and chooses the router.
func setup(f *flags, logger *slog.Logger) (*restore.Restorer, string, error) {
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return nil, "", &restore.Error{Failure: restore.Refused, Err: err}
	}
	opts := promapi.Options{URL: f.promURL, OrgID: f.orgID, Timeout: f.promTimeout, UserAgent: "ronda-restore/" + version.Version}
	if f.promConfig != "" {
		if opts.HTTP, err = promapi.LoadHTTPConfig(f.promConfig); err != nil {
			return nil, "", &restore.Error{Failure: restore.Refused, Err: err}
		}
	}
	client, err := promapi.New(opts)
	if err != nil {
		return nil, "", &restore.Error{Failure: restore.Refused, Err: err}
	}
	svc, err := restore.New(restore.Options{Config: cfg, Prometheus: client, LedgerFile: f.ledgerFile, LockWait: f.lockWait, Logger: logger})
	if err != nil {
		return nil, "", &restore.Error{Failure: restore.Refused, Err: err}
	}
	router := f.router
	if routers := svc.Routers(); router == "" && len(routers) == 1 {
		router = routers[0]
	}
	return svc, router, nil
}

func needRouter(svc *restore.Restorer, router string) error {
	if router == "" {
		return &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--router is required: one of %v", svc.Routers())}
	}
	return nil
}

func window(f *flags) (from, to time.Time, err error) {
	d, err := model.ParseDuration(f.since)
	if err != nil || d <= 0 {
		return from, to, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--since %q: want a duration like 7d or 36h", f.since)}
	}
	to = time.Now()
	return to.Add(-time.Duration(d)), to, nil
}

func runPoints(ctx context.Context, svc *restore.Restorer, f *flags, router string, out *output) error {
	if err := needRouter(svc, router); err != nil {
		return err
	}
	from, to, err := window(f)
	if err != nil {
		return err
	}
	points, err := svc.Points(ctx, router, from, to)
	if err != nil {
		return err
	}
	return out.points(router, f.since, points)
}

// choosePoint resolves --reboot or --at (default: the newest reboot in the window).
func choosePoint(ctx context.Context, svc *restore.Restorer, f *flags, router string, p *pick) (restore.Point, error) {
	if p.reboot != "" && p.at != "" {
		return restore.Point{}, &restore.Error{Failure: restore.Refused, Err: errors.New("give --reboot or --at, not both")}
	}
	if p.at != "" {
		at, err := parseTime(p.at)
		if err != nil {
			return restore.Point{}, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--at: %w", err)}
		}
		return svc.PointAt(ctx, router, at)
	}
	from, to, err := window(f)
	if err != nil {
		return restore.Point{}, err
	}
	var boot time.Time
	if p.reboot != "" {
		if boot, err = parseTime(p.reboot); err != nil {
			return restore.Point{}, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--reboot: %w", err)}
		}
		// Look a little past the boot so its first scrape is in the window.
		from = boot.Add(-time.Duration(restoreLookBehind))
		if end := boot.Add(time.Hour); end.Before(to) {
			to = end
		}
	}
	points, err := svc.Points(ctx, router, from, to)
	if err != nil {
		return restore.Point{}, err
	}
	if !boot.IsZero() {
		// The nearest reboot within a few seconds: the boot time an alert carries was
		// read at the rule's evaluation and may differ from the history's by the
		// exporter's jitter.
		if pt, ok := restore.MatchReboot(points, boot); ok {
			return pt, nil
		}
	} else if len(points) > 0 {
		return points[0], nil
	}
	if boot.IsZero() {
		return restore.Point{}, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("no reboot of %s in the last %s: nothing to restore (or pick a time with --at, or a longer --since)", router, f.since)}
	}
	return restore.Point{}, &restore.Error{Failure: restore.Refused, Err: fmt.Errorf("no reboot of %s booted at %s: run `ronda-restore points` to list them", router, boot.Format(time.RFC3339))}
}

// restoreLookBehind is how far before a chosen boot time the search for its restore point
// starts: the point is the last scrape before the cut, which an outage may push far back.
const restoreLookBehind = 24 * time.Hour

func makePlan(ctx context.Context, svc *restore.Restorer, f *flags, router string, p *pick, out *output) (*restore.Plan, error) {
	if err := needRouter(svc, router); err != nil {
		return nil, err
	}
	pt, err := choosePoint(ctx, svc, f, router, p)
	if err != nil {
		return nil, err
	}
	plan, err := svc.Plan(ctx, pt, restore.PlanOptions{Force: *p.force, MaxGap: *p.maxGap})
	if err != nil {
		return nil, err
	}
	return plan, out.plan(plan)
}

func runApply(ctx context.Context, svc *restore.Restorer, f *flags, router string, p *pick, yes, showProgress bool, out *output, logger *slog.Logger) int {
	if !yes {
		plan, err := makePlan(ctx, svc, f, router, p, out)
		if err != nil {
			return report(err)
		}
		if !out.json {
			fmt.Fprintf(out.w, "\nDry run: nothing was written. To write these %d limits, run again with --yes.\n", countRestored(plan))
		}
		return exitOK
	}
	if err := needRouter(svc, router); err != nil {
		return report(err)
	}
	pt, err := choosePoint(ctx, svc, f, router, p)
	if err != nil {
		return report(err)
	}
	plan, err := svc.Plan(ctx, pt, restore.PlanOptions{Force: *p.force, MaxGap: *p.maxGap})
	if err != nil {
		return report(err)
	}
	var bar *progressBar
	if showProgress {
		bar = &progressBar{w: os.Stderr, start: time.Now()}
	}
	start := time.Now()
	res, err := svc.Apply(ctx, plan, bar.update)
	bar.finish()
	if res != nil {
		if werr := out.result(res, time.Since(start)); werr != nil {
			logger.Error("writing the result failed", "err", werr)
		}
	}
	if err != nil {
		return report(err)
	}
	if res.Failed > 0 {
		fmt.Fprintf(os.Stderr, "ronda-restore: %d writes failed; run the same command again to retry them (the ledger keeps the others from being applied twice)\n", res.Failed)
		return exitIncomplete
	}
	return exitOK
}

// report prints err and returns its exit code.
func report(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "ronda-restore:", err)
	switch restore.FailureOf(err) {
	case restore.Incomplete:
		return exitIncomplete
	case restore.Unreachable:
		return exitUnreachable
	}
	return exitRefused
}

// parseTime reads RFC 3339 or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 || secs > 1e11 {
			return time.Time{}, fmt.Errorf("%q is not a Unix time", s)
		}
		return time.UnixMilli(int64(secs * 1000)), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-01T10:00:00+07:00) nor Unix seconds", s)
	}
	return t, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "[#####.....] 512/2000" on one line, at most ten times a second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
}

func (b *progressBar) update(done, total int) {
	if b == nil || total == 0 {
		return
	}
	if now := time.Now(); done < total && now.Sub(b.last) < 100*time.Millisecond {
		return
	} else {
		b.last = now
	}
	const width = 30
	filled := done * width / total
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(b.w, "\r[%s] %d/%d users (%d%%) %s", bar, done, total, done*100/total, time.Since(b.start).Round(time.Second))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b != nil && b.drawn {
		fmt.Fprintln(b.w)
	}
}
