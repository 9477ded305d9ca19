// Package command runs a configured program for each notification: the argv is executed
// directly (no shell, so no label value can inject anything), the notification is written
// to its stdin as JSON, key fields are in its environment, it has a deadline, and its output
// is logged. Notifications of different groups run in parallel up to the concurrency limit;
// those of one group run in order.
package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"os/exec"
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
}

// New builds the channel.
func New(name string, cfg *config.Command, rateLimit time.Duration, logger *slog.Logger) *Channel {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Channel{name: name, cfg: cfg, rateLimit: rateLimit, log: logger}
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
	cmd.Env = append(os.Environ(), Env(job.Message)...)
	cmd.Stdin = bytes.NewReader(input)
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Own process group, so a timeout kills the children a script started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	output := strings.TrimSpace(out.String())
	if err == nil {
		c.log.Info("command done", "channel", c.name, "argv0", c.cfg.Argv[0], "took", took, "output", output)
		return nil
	}
	c.log.Warn("command failed", "channel", c.name, "argv0", c.cfg.Argv[0], "took", took, "err", err, "output", output)
	if ctx.Err() != nil {
		return delivery.Permanent("timeout", fmt.Errorf("killed after %s: %s", time.Duration(c.cfg.Timeout), output))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == ExitTempFail {
			return delivery.Temporary("exit_tempfail", 0, fmt.Errorf("exit %d: %s", ExitTempFail, output))
		}
		return delivery.Permanent("exit_status", fmt.Errorf("%v: %s", err, output))
	}
	return delivery.Permanent("start", err) // not found, not executable
}

// limitedBuffer keeps the first maxOutput bytes of the command's output.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
