package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/rondanet/ronda/restore"
)

// autoOptions are the flags of `auto`.
type autoOptions struct {
	reboot           string
	wait             time.Duration
	perUser, total   time.Duration
	maxGap           time.Duration
	maxUsersInReport int
}

func autoFlags(app *kingpin.Application) (*kingpin.CmdClause, *autoOptions) {
	o := &autoOptions{}
	cmd := app.Command("auto", "Hands-off restore of one reboot, for ronda-webhook's command channel: waits (bounded) for Prometheus to have scraped the router since the boot and for the router to answer, applies within the safety limits, and prints a short summary for a chat. Run again for the same reboot, it writes nothing (the ledger).\n\n"+
		"The router is --router, else $RONDA_LABEL_INSTANCE; the reboot is --reboot, else $RONDA_LABEL_BOOT_TIME (the MikrotikRebooted alert's labels, as ronda-webhook passes them); with $RONDA_STATUS=resolved it does nothing. "+
		"Exit codes: 0 done or nothing to do; 1 refused (a person must look); 4 beyond a safety limit, nothing written (run plan and apply by hand); 75 not ready within --wait, or some writes failed: run again later (ronda-webhook does).")
	cmd.Flag("reboot", "The reboot to restore, by its boot time (RFC 3339 or Unix seconds); the nearest reboot within 15s is taken, never merely the newest.").
		Envar("RONDA_LABEL_BOOT_TIME").Required().StringVar(&o.reboot)
	cmd.Flag("wait", "How long to keep trying while Prometheus has not scraped the router since the boot, the router does not answer or writes fail; then exit 75. Keep it below the command channel's timeout.").
		Default("20s").DurationVar(&o.wait)
	cmd.Flag("limit.per-user", "Most time given back to one user; a plan above it writes nothing and asks for a manual apply (exit 4). Never more than the router had been up at the restore point, whatever is set (0: only that bound).").
		Default("0s").DurationVar(&o.perUser)
	cmd.Flag("limit.total", "Most time given back to all users together; above it nothing is written (exit 4). 0: no bound.").
		Default("0s").DurationVar(&o.total)
	cmd.Flag("max-gap", "As for plan: the longest unseen gap before the boot accepted; 0 means twice the scrape interval.").
		Default("0s").DurationVar(&o.maxGap)
	cmd.Flag("summary.max-users", "Users named in the summary; the rest are counted.").Default("10").IntVar(&o.maxUsersInReport)
	return cmd, o
}

func runAuto(ctx context.Context, svc *restore.Restorer, f *flags, router string, o *autoOptions, out *output, logger *slog.Logger) int {
	boot, err := parseTime(o.reboot)
	if err != nil {
		return report(&restore.Error{Failure: restore.Refused, Err: fmt.Errorf("--reboot: %w", err)})
	}
	if err := needRouter(svc, router); err != nil {
		return report(err)
	}
	rep := restore.Auto(ctx, svc, restore.AutoOptions{
		Router: router, BootTime: boot, Wait: o.wait, MaxGap: o.maxGap,
		Limits: restore.Limits{PerUser: o.perUser, Total: o.total},
	})
	logger.Info("hands-off restore", "router", router, "boot_time", boot.Format(time.RFC3339), "status", rep.Status, "tries", rep.Tries, "err", rep.Error)
	if out.json {
		if err := out.encode(rep); err != nil {
			logger.Error("writing the report failed", "err", err)
		}
	} else if err := writeSummary(out.w, rep, o.maxUsersInReport, manualFlags(f, o)); err != nil {
		logger.Error("writing the summary failed", "err", err)
	}
	return autoExit(rep.Status)
}

// manual is what the commands a person runs instead of auto need besides the router and
// the reboot, to see the same plan and keep to the same ledger: the global flags auto ran
// with, and auto's own that plan and apply share.
type manual struct{ global, local string }

// manualFlags are the flags auto ran with that the manual plan and apply need: the config
// file, Prometheus and the ledger (paths made absolute: the person runs them from another
// folder than ronda-webhook did), and --max-gap.
func manualFlags(f *flags, o *autoOptions) manual {
	var m manual
	add := func(name, value string) { m.global += " --" + name + "=" + shellQuote(value) }
	abs := func(path string) string {
		if a, err := filepath.Abs(path); err == nil {
			return a
		}
		return path
	}
	add("config.file", abs(f.configFile))
	add("prometheus.url", f.promURL)
	if f.promConfig != "" {
		add("prometheus.config", abs(f.promConfig))
	}
	if f.orgID != "" {
		add("prometheus.org-id", f.orgID)
	}
	add("ledger.file", abs(f.ledgerFile))
	if o.maxGap > 0 {
		m.local = " --max-gap=" + o.maxGap.String()
	}
	return m
}

// command is the manual command sub (plan, apply) for the reboot of rep.
func (m manual) command(sub string, rep *restore.AutoReport) string {
	return fmt.Sprintf("ronda-restore%s %s --router %s --reboot %d%s", m.global, sub, shellQuote(rep.Router), rep.BootTime.Unix(), m.local)
}

// shellQuote quotes s for a POSIX shell, unless it needs nothing.
func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// autoExit maps the outcome onto what ronda-webhook's command channel understands: only
// 75 is retried, every other failure is final.
func autoExit(s restore.AutoStatus) int {
	switch s {
	case restore.AutoDone:
		return exitOK
	case restore.AutoOverLimits:
		return exitOverLimits
	case restore.AutoRetry:
		return exitTempFail
	}
	return exitRefused
}

// writeSummary writes the few lines a chat shows: who got how much back, who was skipped
// and why, or why nothing was written and the exact commands to run instead, with the
// flags in m.
func writeSummary(w io.Writer, rep *restore.AutoReport, maxUsers int, m manual) error {
	var b strings.Builder
	head := fmt.Sprintf("%s rebooted %s", rep.Router, when(rep.BootTime))
	switch rep.Status {
	case restore.AutoDone:
		res := rep.Result
		var restored []restore.Outcome
		var skips []restore.Skip
		for _, oc := range res.Outcomes {
			if oc.Applied {
				restored = append(restored, oc)
			} else {
				skips = append(skips, oc.Skip)
			}
		}
		switch {
		case len(res.Outcomes) == 0:
			fmt.Fprintf(&b, "%s: nothing to give back (nobody was online at the restore point).\n", head)
		case len(restored) == 0:
			fmt.Fprintf(&b, "%s: nothing to give back.\n", head)
		default:
			fmt.Fprintf(&b, "%s: time given back to %s, %s in all.\n", head, restore.Users(len(restored)), dur(res.GivenBack))
			fmt.Fprintf(&b, "Restored: %s.\n", restore.NameRestored(restored, maxUsers, dur))
		}
		if len(skips) > 0 {
			fmt.Fprintf(&b, "Skipped: %s.\n", skipSummary(skips))
		}
		if len(restored) > 0 {
			fmt.Fprintf(&b, "Exact to within %s (restore point %s).\n", dur(rep.Plan.Point.Gap), when(rep.Plan.Point.At))
		}
	case restore.AutoOverLimits:
		if written := rep.Result.Written(); len(written) > 0 { // by an earlier try, under a plan within them
			fmt.Fprintf(&b, "%s: NOT restored in full, beyond the safety limits; nothing more was written.\n", head)
			fmt.Fprintf(&b, "Restored before that: %s.\n", restore.WrittenSummary(written, maxUsers, dur))
		} else {
			fmt.Fprintf(&b, "%s: NOT restored, beyond the safety limits; nothing was written.\n", head)
		}
		for _, v := range rep.Violations {
			fmt.Fprintf(&b, "- %s\n", v)
		}
		if rep.Plan != nil {
			n, back := 0, time.Duration(0)
			for _, e := range rep.Plan.Entries {
				if e.Restored() {
					n++
					back += e.Lost
				}
			}
			fmt.Fprintf(&b, "The plan gives %s back to %s. ", dur(back), restore.Users(n))
		}
		fmt.Fprintf(&b, "Check it, then restore by hand:\n%s\n%s\n", m.command("plan", rep), m.command("apply", rep)+" --yes")
	case restore.AutoRetry:
		if written := rep.Result.Written(); len(written) > 0 {
			fmt.Fprintf(&b, "%s: not restored in full yet (%s); to be tried again.\n", head, rep.Error)
			fmt.Fprintf(&b, "Restored so far: %s.\n", restore.WrittenSummary(written, maxUsers, dur))
			break
		}
		fmt.Fprintf(&b, "%s: not restored yet (%s); to be tried again.\n", head, rep.Error)
	default:
		// Writes the router refused, or a later try refused, may follow users already
		// written: the team must hear of those too.
		if written := rep.Result.Written(); len(written) > 0 {
			fmt.Fprintf(&b, "%s: NOT restored in full: %s\n", head, rep.Error)
			fmt.Fprintf(&b, "Restored all the same: %s.\n", restore.WrittenSummary(written, maxUsers, dur))
		} else {
			fmt.Fprintf(&b, "%s: NOT restored: %s\n", head, rep.Error)
		}
		fmt.Fprintf(&b, "See why with: %s\n", m.command("plan", rep))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
