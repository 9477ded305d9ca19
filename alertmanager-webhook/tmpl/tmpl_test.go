package tmpl

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rondanet/ronda/alertmanager-webhook/payload"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestDefaultTemplatesGolden pins the message format of each kind of alert in both languages.
func TestDefaultTemplatesGolden(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 9, 10, 0, 0, time.UTC)
	inputs, _ := filepath.Glob("testdata/*.json")
	if len(inputs) == 0 {
		t.Fatal("no fixtures")
	}
	for _, in := range inputs {
		for _, lang := range []string{"id", "en"} {
			name := strings.TrimSuffix(filepath.Base(in), ".json") + "." + lang
			t.Run(name, func(t *testing.T) {
				f, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				m, err := payload.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Default(jakarta).Execute(NewData(m, lang, now))
				if err != nil {
					t.Fatal(err)
				}
				got = strings.ReplaceAll(got, Boundary, "⏎\n") // visible in the golden file
				golden := filepath.Join("testdata", name+".golden")
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("rendered:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	}
}

func TestHumanizeDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		lang string
		want string
	}{
		{0, "en", "0s"},
		{42 * time.Second, "en", "42s"},
		{65*time.Minute + 38*time.Second, "id", "1 jam 5 menit"},
		{12*time.Minute + 3*time.Second, "id", "12 menit 3 detik"},
		{50*time.Hour + 10*time.Minute, "en", "2d 2h"},
	}
	for _, tt := range tests {
		if got := HumanizeDuration(tt.d, tt.lang); got != tt.want {
			t.Errorf("HumanizeDuration(%v, %s) = %q, want %q", tt.d, tt.lang, got, tt.want)
		}
	}
}

func TestMapLinkRefusesBadCoordinates(t *testing.T) {
	if got := MapLink("-6.9147", "107.6098"); got != "https://www.google.com/maps?q=-6.9147,107.6098" {
		t.Errorf("MapLink = %q", got)
	}
	for _, bad := range [][2]string{{"", "1"}, {"91", "0"}, {"-6.9", "javascript:alert(1)"}} {
		if got := MapLink(bad[0], bad[1]); got != "" {
			t.Errorf("MapLink(%q, %q) = %q, want none", bad[0], bad[1], got)
		}
	}
}

func TestCustomTemplateEscapesValues(t *testing.T) {
	tpl, err := Parse("x", `<b>{{ .CommonLabels.alertname | toUpper }}</b> {{ range .Alerts }}<a href="{{ .GeneratorURL }}">{{ .Labels.onu }}</a>{{ end }}`, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	m := &payload.Message{Status: "firing", CommonLabels: map[string]string{"alertname": "x<y"},
		Alerts: []payload.Alert{{Status: "firing", Labels: map[string]string{"onu": `a&b"<i>`}, GeneratorURL: `http://p/graph?g0.expr=up&x="`}}}
	got, err := tpl.Execute(NewData(m, "en", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	want := `<b>X&lt;Y</b> <a href="http://p/graph?g0.expr=up&amp;x=%22">a&amp;b&#34;&lt;i&gt;</a>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPlainAndWhatsApp(t *testing.T) {
	in := "🔴 <b>ONU DOWN</b> &amp; <i>x</i>\x1e<code>a&lt;b</code>"
	if got, want := Plain(in), "🔴 ONU DOWN & xa<b"; got != want {
		t.Errorf("Plain = %q, want %q", got, want)
	}
	if got, want := WhatsApp(in), "🔴 *ONU DOWN* & _x_```a<b```"; got != want {
		t.Errorf("WhatsApp = %q, want %q", got, want)
	}
}

func TestSplitPlain(t *testing.T) {
	block := strings.Repeat("x", 50) + "\n"
	text := block + Boundary + block + Boundary + block + Boundary
	parts := SplitPlain(text, 120) // two alerts fit in a part, never two and a half
	if len(parts) != 2 || strings.Count(parts[0], "\n") != 1 {
		t.Fatalf("got %d parts: %q", len(parts), parts)
	}
	for i, p := range parts {
		if !strings.HasPrefix(p, "("+strconv.Itoa(i+1)+"/2) ") || utf8.RuneCountInString(p) > 120 {
			t.Errorf("part %d = %q", i+1, p)
		}
	}
	if got := SplitPlain("short"+Boundary, 120); len(got) != 1 || got[0] != "short" {
		t.Errorf("SplitPlain(short) = %q", got)
	}
	long := SplitPlain(strings.Repeat("é", 1000), 100)
	for _, p := range long {
		if utf8.RuneCountInString(p) > 100 || !utf8.ValidString(p) {
			t.Errorf("part %q over the limit or not UTF-8", p)
		}
	}
}

// TestLocalTimes: times rules write in UTC (Prometheus's toTime can give nothing else) are
// shown in the team's zone; anything else is left alone.
func TestLocalTimes(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"booted 2026-11-29 01:00:05 UTC":                        "booted 2026-11-29 08:00:05 WIB",
		"2026-11-29 20:00:00 UTC, then 2026-11-30 01:00:00 UTC": "2026-11-30 03:00:00 WIB, then 2026-11-30 08:00:00 WIB",
		"2026-13-45 01:00:05 UTC":                               "2026-13-45 01:00:05 UTC", // not a time
		"2026-11-29 01:00:05 UTCX":                              "2026-11-29 01:00:05 UTCX",
		"2026-11-29 01:00:05 WIB":                               "2026-11-29 01:00:05 WIB",
		"load 12 > 8":                                           "load 12 > 8",
	} {
		if got := localTimes(in, jakarta); got != want {
			t.Errorf("localTimes(%q) = %q, want %q", in, got, want)
		}
	}
	if got := localTimes("booted 2026-11-29 01:00:05 UTC", time.UTC); got != "booted 2026-11-29 01:00:05 UTC" {
		t.Errorf("in UTC: %q", got)
	}
}
