package config

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

// Checks on the settings every kind of target shares: name, labels and timeout.

// maxTimeout bounds any target's timeout. Prometheus never waits longer than the scrape
// interval, and a device that needs minutes per answer is better scraped by a separate job
// than allowed to hold a connection that long.
const maxTimeout = 5 * time.Minute

// A target name becomes the `instance` label value and a URL parameter (/mikrotik?target=),
// so it is kept to characters that need no quoting in either.
var validName = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// checkCommon checks the shared settings of every target, and that names are unique across
// every kind (ronda-restore and /sd look targets up by name alone).
func (c *checker) checkCommon(targets []placedTarget) {
	firstWithName := map[string]placedTarget{}
	for _, t := range targets {
		name, labels, timeout := t.cfg.common()
		namePath := t.path + ".name"
		switch first, taken := firstWithName[name]; {
		case name == "":
			c.missing(namePath, "required: every target needs a name (it becomes the instance label)")
		case !validName.MatchString(name):
			c.report(namePath, "%q is not a valid name: use only letters, digits and . _ - : (the name becomes the instance label value and a URL parameter)", name)
		case taken:
			c.report(namePath, "%q is already the name of %s (line %d): names must be unique across all targets", name, first.path, c.lineOf(first.path+".name"))
		default:
			firstWithName[name] = t
		}
		c.checkLabels(t.path+".labels", labels)
		c.checkTimeout(t.path+".timeout", timeout)
	}
}

func (c *checker) checkLabels(path string, labels map[string]string) {
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	slices.Sort(names) // a stable order for configs built in code; file ones sort by line
	for _, name := range names {
		labelPath := keyPath(path, name)
		switch {
		// Legacy names (letters, digits, _) rather than Prometheus 3's UTF-8 names: they
		// work unquoted in PromQL, Grafana, Alertmanager templates and older Prometheus.
		case !model.LegacyValidation.IsValidLabelName(name):
			c.report(labelPath, "%q is not a valid label name: use letters, digits and _, not starting with a digit", name)
		case strings.HasPrefix(name, "__"):
			c.report(labelPath, "label names starting with __ are reserved for Prometheus")
		case name == "instance":
			c.report(labelPath, "instance is reserved: /sd sets it to the target name")
		case name == "job":
			c.report(labelPath, "job is reserved: Prometheus sets it to the scrape job's name")
		case !utf8.ValidString(labels[name]):
			c.report(labelPath, "the label value is not valid UTF-8")
		}
	}
}

// checkTimeout allows an unset timeout (zero: the kind's default) but not one written as 0.
func (c *checker) checkTimeout(path string, timeout Duration) {
	switch {
	case timeout <= 0 && (timeout != 0 || c.present(path)):
		c.report(path, "must be more than 0, got %s (leave it out for the default)", timeout)
	case time.Duration(timeout) > maxTimeout:
		c.report(path, "must be at most %s, got %s", model.Duration(maxTimeout), timeout)
	}
}
