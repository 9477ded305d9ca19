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
// reconnection), the rest are not tried. A write that failed after it was sent (its reply
// lost) may have been taken: it goes in the ledger as unconfirmed at once, and the users
// are read back at the end to tell (see readBack), so that no later run takes the time
// twice. The error returned is for what stops the whole
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
		lostInARow   int           // writes in a row the router did not answer
		away         error         // why the router is taken for gone: the rest are not tried
		unsure       []unsureWrite // writes sent but not answered
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
		if o.Unconfirmed {
			unsure = append(unsure, unsureWrite{outcome: len(res.Outcomes), rec: o.sent, err: o.writeErr})
		}
		res.Outcomes = append(res.Outcomes, o.Outcome)
		if progress != nil {
			progress(i+1, total)
		}
		if o.ledgerErr != nil {
			// The router has (or may have) the new limit but the ledger does not know:
			// stop before anything else is written that a second run could not recognise.
			return res, o.ledgerErr
		}
	}
	if len(unsure) > 0 && away == nil && ctx.Err() == nil {
		r.readBack(ctx, t, ledger, res, unsure)
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
	sent      Record // the ledger's unconfirmed record of a write not answered
}

// unsureWrite is a write whose reply was lost: its outcome's index in the Result and its
// unconfirmed record in the ledger.
type unsureWrite struct {
	outcome int
	rec     Record
	err     error
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
	err := r.setLimit(ctx, t, e.ID, e.NewLimit)
	if trap, ok := errors.AsType[*routeros.TrapError](err); ok {
		if trap.Message == "no such item" {
			return skip(SkipDeleted, "deleted while the restore ran")
		}
		o.Error, o.writeErr = err.Error(), err
		r.logger.Warn("the router refused to write limit-uptime", "router", t.Name, "user", e.User, "err", err)
		return o
	}
	if _, ok := errors.AsType[*routeros.BackoffError](err); ok {
		// Never sent: the session still waits to dial again.
		o.Error, o.writeErr = err.Error(), err
		r.logger.Warn("writing limit-uptime failed", "router", t.Name, "user", e.User, "err", err)
		return o
	}
	rec := recordOf(plan, e, r.now())
	if err != nil {
		// Sent, perhaps, and taken, with the reply lost: recorded as unconfirmed before
		// anything else, and read back once the writes are done.
		o.Error, o.writeErr, o.Unconfirmed = err.Error()+"; the router may have taken it: the ledger records it as unconfirmed", err, true
		r.logger.Warn("writing limit-uptime failed; the router may have taken it", "router", t.Name, "user", e.User, "err", err)
		rec.Unconfirmed = true
		o.sent = rec
		if err := l.add(rec); err != nil {
			o.ledgerErr = refused("router %s may have taken limit-uptime=%s for %s (the write's reply was lost) but the ledger %s could not be written (%v): fix the ledger before running again, or that user may get the time taken twice",
				t.Name, routeros.FormatDuration(e.NewLimit), e.User, l.path, err)
		}
		return o
	}
	o.Applied = true
	r.logger.Info("limit-uptime restored", "router", t.Name, "user", e.User,
		"old", routeros.FormatDuration(e.LimitNow), "new", routeros.FormatDuration(e.NewLimit), "lost", routeros.FormatDuration(e.Lost))
	if err := l.add(rec); err != nil {
		o.ledgerErr = refused("router %s took limit-uptime=%s for %s but the ledger %s could not be written (%v): fix the ledger before running again, or that user gets the time taken twice",
			t.Name, routeros.FormatDuration(e.NewLimit), e.User, l.path, err)
	}
	return o
}

// recordOf is the ledger's record of writing e's new limit at appliedAt.
func recordOf(plan *Plan, e Entry, appliedAt time.Time) Record {
	return Record{
		Router:       plan.Router,
		User:         e.User,
		BootTime:     plan.Point.BootTime,
		At:           plan.Point.At,
		SessionStart: plan.Point.At.Add(-e.SessionThen),
		OldLimit:     Duration(e.LimitNow),
		NewLimit:     Duration(e.NewLimit),
		Lost:         Duration(e.Lost),
		AppliedAt:    appliedAt,
	}
}

// readBack settles the writes whose reply was lost (unsure) by reading the
// users once more: a limit that is the one written means the router took it (a plain
// ledger record, and the outcome applied), the limit it replaced means it did not (the
// unconfirmed record goes). Anything else, or no answer, leaves them unconfirmed.
func (r *Restorer) readBack(ctx context.Context, t config.MikroTikTarget, l *ledger, res *Result, unsure []unsureWrite) {
	users, err := r.routerUsers(ctx, t)
	if err != nil {
		r.logger.Warn("could not read back the writes whose reply was lost; the ledger keeps them as unconfirmed", "router", t.Name, "users", len(unsure), "err", err)
		return
	}
	for _, w := range unsure {
		o := &res.Outcomes[w.outcome]
		cur := users[o.User]
		if cur.count != 1 || cur.id != o.ID {
			continue
		}
		switch cur.limit {
		case o.NewLimit:
			taken := w.rec
			taken.Unconfirmed = false
			if err := l.add(taken); err != nil {
				r.logger.Warn("the router took a write whose reply was lost, but the ledger could not record it; it stays unconfirmed", "router", t.Name, "user", o.User, "err", err)
				continue
			}
			l.forget(w.rec)
			o.Applied, o.Unconfirmed, o.Error = true, false, ""
			res.Failed--
			res.Applied++
			res.GivenBack += o.Lost
			r.logger.Info("limit-uptime restored (the write's reply was lost; read back)", "router", t.Name, "user", o.User,
				"old", routeros.FormatDuration(o.LimitNow), "new", routeros.FormatDuration(o.NewLimit), "lost", routeros.FormatDuration(o.Lost))
		case o.LimitNow:
			l.forget(w.rec)
			o.Unconfirmed, o.Error = false, w.err.Error()+"; not taken (read back)"
		}
	}
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
