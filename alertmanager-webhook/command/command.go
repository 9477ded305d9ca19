// Package command runs a configured program for each notification: the argv is executed
// directly (no shell, so no label value can inject anything), the notification is written
// to its stdin as JSON, key fields are in its environment, it has a deadline, and its output
// is logged. Notifications of different groups run in parallel up to the concurrency limit;
// those of one group run in order. With reply_to, what the command prints on stdout once a
// run has ended for good becomes a message to those channels, and so does what it prints
// the first time it asks to be run again (exit 75).
package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/config"
	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
	"github.com/rondanet/ronda/alertmanager-webhook/payload"
	"github.com/rondanet/ronda/alertmanager-webhook/tmpl"
)

// ExitTempFail is the exit status (sysexits EX_TEMPFAIL) by which a command asks to be run
// again later. Any other failure is final: repeating a repair that failed is rarely safe.
const ExitTempFail = 75

// maxOutput bounds the output kept for the log.
const maxOutput = 8 << 10

// Channel runs a command.
type Channel struct {
	name      string
	cfg       *config.Command
	rateLimit time.Duration
	log       *slog.Logger
	reply     Reply
}

// Reply queues text (Telegram HTML) for the channels named, as a message of its own. key
// is the same for every run of one stored item, so a run repeated after a crash does not
// send its report twice.
type Reply func(key string, m *payload.Message, channels []string, text string) error

// New builds the channel. reply may be nil when the configuration has no reply_to.
func New(name string, cfg *config.Command, rateLimit time.Duration, logger *slog.Logger, reply Reply) *Channel {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Channel{name: name, cfg: cfg, rateLimit: rateLimit, log: logger, reply: reply}
}

// Name is the channel's name.
func (c *Channel) Name() string { return c.name }

// Kind is "command".
func (c *Channel) Kind() string { return "command" }

// Recipients are the concurrency slots.
func (c *Channel) Recipients() []string {
	out := make([]string, c.cfg.Concurrency)
	for i := range out {
		out[i] = "slot-" + strconv.Itoa(i)
	}
	return out
}

// RecipientsFor puts each group on one slot, so a group's notifications run in order.
func (c *Channel) RecipientsFor(m *payload.Message) []string {
	h := fnv.New32a()
	h.Write([]byte(m.GroupKey))
	return []string{"slot-" + strconv.Itoa(int(h.Sum32()%uint32(max(c.cfg.Concurrency, 1))))}
}

// Interval is the configured pause between runs of a slot.
func (c *Channel) Interval(string) time.Duration { return c.rateLimit }

// SendTimeout is the command's own timeout plus the time to reap it: the outbox must not
// cut a run shorter than the timeout it was configured with.
func (c *Channel) SendTimeout() time.Duration { return time.Duration(c.cfg.Timeout) + 5*time.Second }

// environ is ronda-webhook's environment without the variables named in hidden.
func environ(hidden []string) []string {
	env := os.Environ()
	if len(hidden) == 0 {
		return env
	}
	return slices.DeleteFunc(env, func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(hidden, name)
	})
}

// Env is the environment given to the command on top of ronda-webhook's own.
func Env(m *payload.Message) []string {
	env := []string{
		"RONDA_RECEIVER=" + payload.UnquoteReceiver(m.Receiver),
		"RONDA_STATUS=" + m.Status,
		"RONDA_GROUP_KEY=" + m.GroupKey,
		"RONDA_ALERTS=" + strconv.Itoa(len(m.Alerts)),
	}
	firing := 0
	for _, a := range m.Alerts {
		if a.Firing() {
			firing++
		}
	}
	env = append(env, "RONDA_ALERTS_FIRING="+strconv.Itoa(firing))
	for k, v := range m.CommonLabels {
		env = append(env, "RONDA_LABEL_"+envName(k)+"="+v)
	}
	return env
}

func envName(label string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, label)
}

// Send runs the command once.
func (c *Channel) Send(ctx context.Context, job *delivery.Job) error {
	input, err := json.Marshal(job.Message)
	if err != nil {
		return delivery.Permanent("encode", err)
	}
	if job.Text != "" { // a scheduled report: its text, plain
		input = []byte(tmpl.Plain(job.Text) + "\n")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(c.cfg.Timeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, c.cfg.Argv[0], c.cfg.Argv[1:]...)
	cmd.Dir = c.cfg.Dir
	cmd.Env = append(environ(c.cfg.HiddenEnv), Env(job.Message)...)
	cmd.Stdin = bytes.NewReader(input)
	// stdout is the command's report (sent on with reply_to); stderr only its log.
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Own process group, so a timeout kills the children a script started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	report, logs := strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String())
	output := strings.TrimSpace(report + "\n" + logs)
	if err == nil {
		c.log.Info("command done", "channel", c.name, "argv0", c.cfg.Argv[0], "took", took, "output", output)
		c.sendReply(job, report)
		return nil
	}
	c.log.Warn("command failed", "channel", c.name, "argv0", c.cfg.Argv[0], "took", took, "err", err, "output", output)
	if ctx.Err() != nil {
		return delivery.Permanent("timeout", fmt.Errorf("killed after %s: %s", time.Duration(c.cfg.Timeout), output))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == ExitTempFail {
			// Run again later: the report of this attempt is not the last word. The first
			// one goes out all the same, once, so the team knows the work is pending
			// (ronda-restore auto waiting for a router to come back) rather than hearing
			// nothing until it is done or given up.
			if job.Attempts == 0 {
				c.sendReplyAs(job, report, ":pending")
			}
			return delivery.Temporary("exit_tempfail", 0, fmt.Errorf("exit %d: %s", ExitTempFail, output))
		}
		// Final: what the command said is what the team needs to know (ronda-restore
		// asking for a manual restore, say).
		c.sendReply(job, report)
		return delivery.Permanent("exit_status", fmt.Errorf("%v: %s", err, output))
	}
	return delivery.Permanent("start", err) // not found, not executable
}

// sendReply queues the command's stdout for the reply_to channels. A failure to queue is
// logged, not retried: running the command again to repeat its report is not worth the risk.
func (c *Channel) sendReply(job *delivery.Job, report string) { c.sendReplyAs(job, report, "") }

// sendReplyAs is sendReply under the item's key with suffix: a report of its own (the
// first "not yet" of a command asking to be run again), not taken for the final one. The
// key names the item as stored (its id and when it was created), so the run a restart
// repeats reports once, and a dead letter replayed by hand reports again.
func (c *Channel) sendReplyAs(job *delivery.Job, report, suffix string) {
	if len(c.cfg.ReplyTo) == 0 || c.reply == nil || report == "" {
		return // nobody to tell, or nothing to say
	}
	key := "reply:" + c.name + ":" + strconv.FormatUint(job.ID, 10)
	if !job.Created.IsZero() {
		key += "@" + strconv.FormatInt(job.Created.UnixNano(), 10)
	}
	key += suffix
	if job.ID == 0 { // not from the store (tests): one key per report
		h := fnv.New64a()
		h.Write([]byte(report))
		key += ":" + strconv.FormatUint(h.Sum64(), 16)
	}
	if err := c.reply(key, job.Message, c.cfg.ReplyTo, html.EscapeString(report)); err != nil {
		c.log.Error("the command's report could not be queued", "channel", c.name, "reply_to", c.cfg.ReplyTo, "err", err)
	}
}

// limitedBuffer keeps the first maxOutput bytes of the command's output.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
