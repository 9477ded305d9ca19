package restore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/routeros"
)

// Apply writes the plan's new limits to the router, one user at a time, recording each in
// the ledger as soon as the router has taken it. It holds the ledger's lock throughout, so
// two runs never restore the same users. Before writing it reads the router's users once
// more and leaves alone any user whose limit (or .id) is no longer what the plan saw.
//
// A failed write is counted in Result.Failed and the rest go on; once the router has
// stopped answering (a write failed, and the next one too after waiting for the
// reconnection), the rest are not tried. The error returned is for what stops the whole
// run (lock held, router unreachable before any write, ledger not writable), or, once all
// are done, for writes the router refused (a !trap, such as an API user without the write
// policy): retrying those as they are cannot help.
func (r *Restorer) Apply(ctx context.Context, plan *Plan, progress func(done, total int)) (_ *Result, err error) {
	if plan == nil {
		return nil, refused("no plan to apply")
	}
	t, err := r.target(plan.Router)
	if err != nil {
		return nil, err
	}
	lk, err := lockLedger(ctx, r.opts.LedgerFile, r.opts.LockWait)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	ledger, err := readLedger(r.opts.LedgerFile)
	if err != nil {
		return nil, err
	}
	// Fold in what a run cut short left in the journal, so the ledger file alone is
	// complete between runs.
	if err := ledger.compact(); err != nil {
		return nil, refused("ledger %s: %v", ledger.path, err)
	}
	defer func() {
		if cerr := ledger.compact(); cerr != nil && err == nil {
			// Every record is safe in the journal; the next run folds it in.
			r.logger.Warn("could not fold the ledger's journal into the ledger; the next run will", "ledger", ledger.path, "err", cerr)
		}
	}()

	res := &Result{Plan: plan, Outcomes: make([]Outcome, 0, len(plan.Entries))}
	var current map[string]now
	for _, e := range plan.Entries {
		if e.Restored() {
			// Only worth a print when something is to be written.
			if current, err = r.routerUsers(ctx, t); err != nil {
				return nil, err
			}
			break
		}
	}
	total := len(plan.Entries)
	var (
		refusals     []string // users whose write the router refused
		firstRefusal error
		lostInARow   int   // writes in a row the router did not answer
		away         error // why the router is taken for gone: the rest are not tried
	)
	for i, e := range plan.Entries {
		o := r.applyOne(ctx, t, plan, ledger, current, e, away)
		switch {
		case o.Applied:
			res.Applied++
			res.GivenBack += o.Lost
		case o.Error != "":
			res.Failed++
		default:
			res.Skipped++
		}
		switch {
		case o.writeErr == nil:
			if o.Applied {
				lostInARow = 0
			}
		case isTrap(o.writeErr):
			lostInARow = 0 // it answered
			if firstRefusal == nil {
				firstRefusal = o.writeErr
			}
			refusals = append(refusals, e.User)
		default:
			if lostInARow++; lostInARow >= 2 && away == nil {
				away = o.writeErr
			}
		}
		res.Outcomes = append(res.Outcomes, o.Outcome)
		if progress != nil {
			progress(i+1, total)
		}
		if o.ledgerErr != nil {
			// The router has the new limit but the ledger does not know: stop before
			// anything else is written that a second run could not recognise.
			return res, o.ledgerErr
		}
	}
	if len(refusals) > 0 {
		hint := ""
		if trap, ok := errors.AsType[*routeros.TrapError](firstRefusal); ok && strings.Contains(trap.Message, "permission") {
			hint = "; the API user needs the write policy to apply"
		}
		return res, refused("router %s refused to write limit-uptime for %s (%s; the first: %v): running again as is will not help%s",
			t.Name, Users(len(refusals)), sample(refusals), firstRefusal, hint)
	}
	return res, nil
}

func isTrap(err error) bool {
	_, ok := errors.AsType[*routeros.TrapError](err)
	return ok
}

// Users counts users in words: "1 user", "2 users" (messages, the web page, auto's summary).
func Users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return strconv.Itoa(n) + " users"
}

// outcome is an Outcome with the error that must stop the run, and the write's error.
type outcome struct {
	Outcome
	ledgerErr error
	writeErr  error
}

// applyOne writes one entry, unless it is to be skipped now or away says the router has
// stopped answering.
func (r *Restorer) applyOne(ctx context.Context, t config.MikroTikTarget, plan *Plan, l *ledger, current map[string]now, e Entry, away error) outcome {
	o := outcome{Outcome: Outcome{Entry: e}}
	if !e.Restored() {
		return o
	}
	skip := func(s Skip, format string, args ...any) outcome {
		o.Skip, o.SkipDetail = s, fmt.Sprintf(format, args...)
		return o
	}
	if detail, ok := l.find(plan.Point, e); ok {
		return skip(SkipAlreadyRestored, "%s", detail)
	}
	cur := current[e.User]
	switch {
	case cur.count == 0:
		return skip(SkipDeleted, "deleted since the plan was made")
	case cur.count > 1:
		return skip(SkipAmbiguous, "%d users named %q since the plan was made", cur.count, e.User)
	case cur.id != e.ID:
		return skip(SkipDeleted, "the user was deleted and made again since the plan (.id %s, planned %s)", cur.id, e.ID)
	case cur.limit != e.LimitNow:
		return skip(SkipLimitChanged, "limit-uptime changed since the plan was made: %s, planned from %s", formatLimit(cur.limit), formatLimit(e.LimitNow))
	}
	if err := ctx.Err(); err != nil {
		o.Error = "not written: " + err.Error()
		return o
	}
	if away != nil {
		o.Error = "not written: the router stopped answering: " + away.Error()
		return o
	}
	if err := r.setLimit(ctx, t, e.ID, e.NewLimit); err != nil {
		if trap, ok := errors.AsType[*routeros.TrapError](err); ok && trap.Message == "no such item" {
			return skip(SkipDeleted, "deleted while the restore ran")
		}
		o.Error, o.writeErr = err.Error(), err
		r.logger.Warn("writing limit-uptime failed", "router", t.Name, "user", e.User, "err", err)
		return o
	}
	o.Applied = true
	r.logger.Info("limit-uptime restored", "router", t.Name, "user", e.User,
		"old", routeros.FormatDuration(e.LimitNow), "new", routeros.FormatDuration(e.NewLimit), "lost", routeros.FormatDuration(e.Lost))
	rec := Record{
		Router:       plan.Router,
		User:         e.User,
		BootTime:     plan.Point.BootTime,
		At:           plan.Point.At,
		SessionStart: plan.Point.At.Add(-e.SessionThen),
		OldLimit:     Duration(e.LimitNow),
		NewLimit:     Duration(e.NewLimit),
		Lost:         Duration(e.Lost),
		AppliedAt:    r.now(),
	}
	if err := l.add(rec); err != nil {
		o.ledgerErr = refused("router %s took limit-uptime=%s for %s but the ledger %s could not be written (%v): fix the ledger before running again, or that user gets the time taken twice",
			t.Name, routeros.FormatDuration(e.NewLimit), e.User, l.path, err)
	}
	return o
}

// setLimit writes one user's limit-uptime: the only write ronda ever makes. A set is
// idempotent, so the connection's one retry after a dropped idle session is safe.
func (r *Restorer) setLimit(ctx context.Context, t config.MikroTikTarget, id string, limit time.Duration) error {
	conn, err := r.conn(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Timeout))
	defer cancel()
	return afterBackoff(ctx, func() error {
		_, err := conn.Run(ctx, "/ip/hotspot/user/set", "=.id="+id, "=limit-uptime="+routeros.FormatDuration(limit))
		return err
	})
}

// afterBackoff runs a router command, and once more when the session turned it away while
// it waits before dialling again after a failure (a lost reply, a failed connect): the
// command waits for the reconnection, within its own time, rather than fail without being
// tried. Plan's reads and Apply's writes wait alike. A wait beyond ctx's deadline fails at
// once, with the wait left in the error.
func afterBackoff(ctx context.Context, command func() error) error {
	err := command()
	be, ok := errors.AsType[*routeros.BackoffError](err)
	if !ok {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < be.Wait {
		return err
	}
	if sleep(ctx, be.Wait) != nil {
		return err
	}
	return command()
}
