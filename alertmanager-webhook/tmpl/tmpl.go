// Package tmpl renders notifications with Go templates: the functions Alertmanager and
// Prometheus template users know (toUpper, title, join, humanizeDuration, …), a few ronda
// adds (localTime in the configured zone, mapLink, field), and default templates in Bahasa
// Indonesia and English that reproduce the messages RT/RW-net operators are used to.
//
// Templates are written in Telegram's HTML subset and rendered with html/template, so every
// value is escaped wherever it lands (text or href) without the author having to remember.
// Channels without markup turn the result into plain text (Plain) or WhatsApp's *bold*
// (WhatsApp).
package tmpl

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

// Boundary ends one alert in rendered text; the Telegram splitter cuts there first.
const Boundary = "\x1e"

// Data is what a template sees.
type Data struct {
	Receiver          string
	Status            string
	Alerts            []Alert
	Firing            []Alert
	Resolved          []Alert
	GroupLabels       KV
	CommonLabels      KV
	CommonAnnotations KV
	ExternalURL       string
	TruncatedAlerts   int
	Language          string
	Now               time.Time
}

// Alert is one alert with what templates need computed.
type Alert struct {
	Status       string
	Labels       KV
	Annotations  KV
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string
	// Duration is how long the alert has been firing, or how long it fired once resolved
	// (the "down for" of a recovery message).
	Duration time.Duration
	// Kind is the alert's format: onu, reachability, resource or generic (from the kind
	// label, else guessed from its labels).
	Kind string
}

// Firing says whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == payload.StatusFiring }

// Field is an annotation, else the label of that name: rules put measured values
// (temperature, rx_power) in annotations and identities (olt, onu) in labels.
func (a Alert) Field(name string) string {
	if v, ok := a.Annotations[name]; ok && v != "" {
		return v
	}
	return a.Labels[name]
}

// KV is a label or annotation set.
type KV map[string]string

// SortedKeys lists the names in order.
func (kv KV) SortedKeys() []string { return slices.Sorted(maps.Keys(kv)) }

// NewData builds a template's data from a notification.
func NewData(m *payload.Message, language string, now time.Time) *Data {
	d := &Data{
		Receiver: payload.UnquoteReceiver(m.Receiver), Status: m.Status,
		GroupLabels: m.GroupLabels, CommonLabels: m.CommonLabels, CommonAnnotations: m.CommonAnnotations,
		ExternalURL: m.ExternalURL, TruncatedAlerts: m.TruncatedAlerts, Language: language, Now: now,
	}
	for _, pa := range m.Alerts {
		a := Alert{Status: pa.Status, Labels: pa.Labels, Annotations: pa.Annotations, StartsAt: pa.StartsAt,
			EndsAt: pa.EndsAt, GeneratorURL: pa.GeneratorURL, Fingerprint: pa.Fingerprint}
		end := now
		if !a.Firing() && !a.EndsAt.IsZero() {
			end = a.EndsAt
		}
		if !a.StartsAt.IsZero() && end.After(a.StartsAt) {
			a.Duration = end.Sub(a.StartsAt)
		}
		a.Kind = kindOf(a)
		d.Alerts = append(d.Alerts, a)
		if a.Firing() {
			d.Firing = append(d.Firing, a)
		} else {
			d.Resolved = append(d.Resolved, a)
		}
	}
	return d
}

func kindOf(a Alert) string {
	switch k := a.Labels["kind"]; k {
	case "onu", "reachability", "resource":
		return k
	}
	switch {
	case a.Labels["onu"] != "":
		return "onu"
	case a.Annotations["value"] != "":
		return "resource"
	case a.Labels["unit"] != "" && (a.Labels["latitude"] != "" || strings.Contains(strings.ToLower(a.Labels["alertname"]), "down")):
		return "reachability"
	}
	return "generic"
}

// Template is a parsed message template.
type Template struct {
	t *template.Template
}

// Parse parses a template written in Telegram's HTML subset, with the functions of Funcs
// (times shown in loc). The default templates are available to it by name, so a custom
// template can reuse pieces ({{ template "ronda.alert" . }}).
func Parse(name, text string, loc *time.Location) (*Template, error) {
	t := template.New(name).Option("missingkey=zero").Funcs(Funcs(loc))
	if _, err := t.Parse(defaultTemplates); err != nil {
		return nil, fmt.Errorf("default templates: %w", err)
	}
	if text != "" {
		if _, err := t.New(name + ".custom").Parse(text); err != nil {
			return nil, err
		}
		return &Template{t: t.Lookup(name + ".custom")}, nil
	}
	return &Template{t: t.Lookup("ronda.message")}, nil
}

// Default is the default template in loc.
func Default(loc *time.Location) *Template {
	t, err := Parse("default", "", loc)
	if err != nil {
		panic(err) // the default templates are tested
	}
	return t
}

// Execute renders data as Telegram HTML with Boundary after each alert.
func (t *Template) Execute(data *Data) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// Funcs are the template functions.
func Funcs(loc *time.Location) template.FuncMap {
	if loc == nil {
		loc = time.UTC
	}
	return template.FuncMap{
		"toUpper":   strings.ToUpper,
		"toLower":   strings.ToLower,
		"title":     title,
		"join":      func(sep string, s []string) string { return strings.Join(s, sep) },
		"trimSpace": strings.TrimSpace,
		"match":     regexp.MatchString,
		"reReplaceAll": func(pattern, repl, text string) string {
			return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
		},
		"humanizeDuration": func(language string, v any) string { return HumanizeDuration(toDuration(v), language) },
		"localTime":        func(t time.Time) string { return t.In(loc).Format("02 Jan 2006 15:04:05 MST") },
		"inZone": func(zone string, t time.Time) (string, error) {
			l, err := time.LoadLocation(zone)
			if err != nil {
				return "", err
			}
			return t.In(l).Format("02 Jan 2006 15:04:05 MST"), nil
		},
		"localTimes": func(s string) string { return localTimes(s, loc) },
		"mapLink":    MapLink,
		"boundary":   func() template.HTML { return Boundary },
		"number":     number,
		"tr":         translate,
		"since":      func(t time.Time) time.Duration { return time.Since(t) },
		"dict":       dict,
	}
}

// title capitalises each word (strings.Title is deprecated for Unicode reasons that do not
// matter for alert names).
func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r := []rune(w)
		r[0] = []rune(strings.ToUpper(string(r[0])))[0]
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

func toDuration(v any) time.Duration {
	switch d := v.(type) {
	case time.Duration:
		return d
	case float64:
		return time.Duration(d * float64(time.Second))
	case int:
		return time.Duration(d) * time.Second
	case string:
		if f, err := strconv.ParseFloat(d, 64); err == nil {
			return time.Duration(f * float64(time.Second))
		}
		if p, err := time.ParseDuration(d); err == nil {
			return p
		}
	}
	return 0
}

// HumanizeDuration writes d the way people say it: "1 jam 5 menit" or "1h 5m"; seconds
// only under an hour, days from a day up.
func HumanizeDuration(d time.Duration, language string) string {
	names := map[string][4]string{
		"en": {"d", "h", "m", "s"},
		"id": {" hari", " jam", " menit", " detik"},
	}[language]
	if names[0] == "" {
		names = [4]string{"d", "h", "m", "s"}
	}
	if d < time.Second {
		return "0" + names[3]
	}
	d = d.Round(time.Second)
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	mins, secs := int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	add := func(n int, unit string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+unit)
		}
	}
	add(days, names[0])
	add(hours, names[1])
	if days == 0 {
		add(mins, names[2])
	}
	if days == 0 && hours == 0 {
		add(secs, names[3])
	}
	return strings.Join(parts, " ")
}

// MapLink is a Google Maps link to a point, or "" when the coordinates are not numbers in
// range (a typo in a label must not produce a link to the wrong place).
func MapLink(lat, lon string) string {
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	if err1 != nil || err2 != nil || math.Abs(la) > 90 || math.Abs(lo) > 180 {
		return ""
	}
	return "https://www.google.com/maps?q=" + strconv.FormatFloat(la, 'f', -1, 64) + "," + strconv.FormatFloat(lo, 'f', -1, 64)
}

// number formats a measured value written as text: "-27.456" → "-27.46"; text that is not
// a number is shown as it is.
func number(s string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// utcTime is a time as rules write it with Prometheus's toTime, which can only give UTC:
// `{{ (toTime $value).Format "2006-01-02 15:04:05 MST" }}`.
var utcTime = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\b`)

// localTimes rewrites the UTC times in s (utcTime) into loc, the zone the team reads
// messages in: "booted 2026-11-24 01:00:05 UTC" becomes "booted 2026-11-24 08:00:05 WIB".
func localTimes(s string, loc *time.Location) string {
	if loc == time.UTC || !strings.Contains(s, " UTC") {
		return s
	}
	return utcTime.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.ParseInLocation("2006-01-02 15:04:05 MST", m, time.UTC)
		if err != nil {
			return m
		}
		return t.In(loc).Format("2006-01-02 15:04:05 MST")
	})
}

// Plain turns rendered Telegram HTML into plain text (SMS, commands): tags dropped,
// entities decoded, alert boundaries removed.
func Plain(s string) string {
	return strings.TrimSpace(html.UnescapeString(strings.ReplaceAll(tagPattern.ReplaceAllString(s, ""), Boundary, "")))
}

// WhatsApp turns rendered Telegram HTML into WhatsApp's markup: <b> → *bold*, <i> →
// _italic_, <s> → ~strike~, <code>/<pre> → ```mono```; other tags dropped.
func WhatsApp(s string) string {
	s = whatsAppTags.Replace(s)
	return Plain(s)
}

var (
	tagPattern   = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>`)
	whatsAppTags = strings.NewReplacer("<b>", "*", "</b>", "*", "<strong>", "*", "</strong>", "*",
		"<i>", "_", "</i>", "_", "<em>", "_", "</em>", "_", "<s>", "~", "</s>", "~",
		"<code>", "```", "</code>", "```", "<pre>", "```", "</pre>", "```")
)

// dict builds a map from key/value pairs, to pass several values to a nested template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict needs key/value pairs, got %d arguments", len(kv))
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Render executes t, or fallback when t fails or renders nothing (a custom template's
// mistake must not lose the alert); err is t's failure, for the log and a metric.
func Render(t, fallback *Template, data *Data) (text string, err error) {
	text, err = t.Execute(data)
	if err == nil && strings.TrimSpace(Plain(text)) == "" {
		err = fmt.Errorf("the template rendered nothing")
	}
	if err != nil {
		text, _ = fallback.Execute(data)
	}
	return text, err
}

// Renderer gives each delivery its text the same way on every channel.
type Renderer struct {
	Channel            string
	Template, Fallback *Template
	Language           string
	Logger             *slog.Logger
	// TemplateError hears of each failed render (a metric).
	TemplateError func(channel string)
}

// Text is the text stored with a delivery (a command's reply, a report) when there is one,
// else m through Template, else through Fallback: a mistake in a custom template is logged
// and counted, and never loses the alert.
func (r Renderer) Text(stored string, m *payload.Message) string {
	if stored != "" {
		return stored
	}
	text, err := Render(r.Template, r.Fallback, NewData(m, r.Language, time.Now()))
	if err != nil {
		if r.Logger != nil {
			r.Logger.Error("template failed, sending the default format", "channel", r.Channel, "err", err)
		}
		if r.TemplateError != nil {
			r.TemplateError(r.Channel)
		}
	}
	return text
}
