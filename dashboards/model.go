// Package dashboards holds ronda's Grafana dashboards (the JSON models in this folder) and
// the Grafana provisioning files that load them (provisioning/). The Go code reads the models
// strictly, so that tests can check every panel and every query; Grafana itself reads the
// JSON files, not this package.
package dashboards

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
)

// Files holds the dashboards' JSON models, one dashboard per file.
//
//go:embed *.json
var Files embed.FS

// DatasourceVariable is how every panel names its datasource: the dashboard's `datasource`
// variable, so the dashboards import into any Grafana without an __inputs section.
const DatasourceVariable = "${datasource}"

// Dashboard is the part of Grafana's dashboard JSON model that ronda's dashboards use.
// Decoding is strict: a key outside these structs is an error, so a model exported from
// Grafana with something new in it (or __inputs) is noticed and reviewed.
type Dashboard struct {
	ID                   *int           `json:"id,omitempty"`
	UID                  string         `json:"uid"`
	Title                string         `json:"title"`
	Description          string         `json:"description"`
	Tags                 []string       `json:"tags"`
	Editable             bool           `json:"editable"`
	FiscalYearStartMonth int            `json:"fiscalYearStartMonth"`
	GraphTooltip         int            `json:"graphTooltip"`
	Links                []DashLink     `json:"links"`
	Annotations          Annotations    `json:"annotations"`
	Panels               []Panel        `json:"panels"`
	Refresh              string         `json:"refresh"`
	SchemaVersion        int            `json:"schemaVersion"`
	Templating           Templating     `json:"templating"`
	Time                 TimeRange      `json:"time"`
	Timepicker           map[string]any `json:"timepicker"`
	Timezone             string         `json:"timezone"`
	Version              int            `json:"version"`
	WeekStart            string         `json:"weekStart"`
}

// DashLink is a link in the dashboard's header (here: a dropdown of the other ronda dashboards).
type DashLink struct {
	AsDropdown  bool     `json:"asDropdown"`
	Icon        string   `json:"icon"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	Tags        []string `json:"tags"`
	TargetBlank bool     `json:"targetBlank"`
	Title       string   `json:"title"`
	Tooltip     string   `json:"tooltip"`
	Type        string   `json:"type"`
	URL         string   `json:"url"`
}

// Annotations are the dashboard's annotation queries.
type Annotations struct {
	List []Annotation `json:"list"`
}

// Annotation is Grafana's built-in annotation or a Prometheus query whose samples mark events.
type Annotation struct {
	BuiltIn         int            `json:"builtIn,omitempty"`
	Datasource      *DatasourceRef `json:"datasource"`
	Enable          bool           `json:"enable"`
	Hide            bool           `json:"hide"`
	IconColor       string         `json:"iconColor"`
	Name            string         `json:"name"`
	Type            string         `json:"type,omitempty"`
	Target          map[string]any `json:"target,omitempty"`
	Expr            string         `json:"expr,omitempty"`
	Step            string         `json:"step,omitempty"`
	TitleFormat     string         `json:"titleFormat,omitempty"`
	TextFormat      string         `json:"textFormat,omitempty"`
	TagKeys         string         `json:"tagKeys,omitempty"`
	UseValueForTime bool           `json:"useValueForTime,omitempty"`
}

// DatasourceRef names a datasource by type and uid (a variable reference here).
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Templating holds the dashboard's variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard variable: the datasource, a label_values query, or a text box.
type Variable struct {
	Name        string           `json:"name"`
	Label       string           `json:"label"`
	Description string           `json:"description,omitempty"`
	Type        string           `json:"type"`
	Datasource  *DatasourceRef   `json:"datasource,omitempty"`
	Definition  string           `json:"definition,omitempty"`
	Query       VariableQuery    `json:"query"`
	Current     map[string]any   `json:"current"`
	Options     []map[string]any `json:"options"`
	Hide        int              `json:"hide"`
	IncludeAll  bool             `json:"includeAll,omitempty"`
	AllValue    string           `json:"allValue,omitempty"`
	Multi       bool             `json:"multi,omitempty"`
	Refresh     int              `json:"refresh,omitempty"`
	Regex       string           `json:"regex,omitempty"`
	SkipURLSync bool             `json:"skipUrlSync"`
	Sort        int              `json:"sort,omitempty"`
}

// VariableQuery is a variable's query. Grafana writes a plain string for datasource and
// text box variables and, for Prometheus query variables, an object holding the query.
type VariableQuery struct {
	Query   string `json:"query"`
	QryType int    `json:"qryType,omitempty"`
	RefID   string `json:"refId,omitempty"`
}

// UnmarshalJSON accepts both forms Grafana writes.
func (q *VariableQuery) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*q = VariableQuery{}
		return json.Unmarshal(b, &q.Query)
	}
	type plain VariableQuery
	var p plain
	if err := decodeStrict(b, &p); err != nil {
		return fmt.Errorf("variable query: %w", err)
	}
	*q = VariableQuery(p)
	return nil
}

// TimeRange is the dashboard's default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Panel is one panel; rows hold their panels in Panels when collapsed.
type Panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Description     string           `json:"description,omitempty"`
	GridPos         GridPos          `json:"gridPos"`
	Datasource      *DatasourceRef   `json:"datasource,omitempty"`
	Targets         []Target         `json:"targets,omitempty"`
	FieldConfig     *FieldConfig     `json:"fieldConfig,omitempty"`
	Options         map[string]any   `json:"options,omitempty"`
	Transformations []Transformation `json:"transformations,omitempty"`
	Links           []Link           `json:"links,omitempty"`
	Interval        string           `json:"interval,omitempty"`
	PluginVersion   string           `json:"pluginVersion,omitempty"`
	Collapsed       bool             `json:"collapsed,omitempty"`
	Panels          []Panel          `json:"panels,omitempty"`
}

// GridPos is a panel's place on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Target is one Prometheus query of a panel.
type Target struct {
	RefID        string         `json:"refId"`
	Datasource   *DatasourceRef `json:"datasource"`
	EditorMode   string         `json:"editorMode,omitempty"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat,omitempty"`
	Format       string         `json:"format,omitempty"`
	Instant      bool           `json:"instant"`
	Range        bool           `json:"range"`
	Interval     string         `json:"interval,omitempty"`
	Exemplar     bool           `json:"exemplar,omitempty"`
	Hide         bool           `json:"hide,omitempty"`
}

// FieldConfig is how a panel shows its fields. The panel-specific parts (custom, options)
// belong to each Grafana panel plugin and are kept as they are.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []Override    `json:"overrides"`
}

// FieldDefaults are the field settings of every field of a panel.
type FieldDefaults struct {
	Unit        string         `json:"unit,omitempty"`
	Decimals    *int           `json:"decimals,omitempty"`
	Min         *float64       `json:"min,omitempty"`
	Max         *float64       `json:"max,omitempty"`
	NoValue     string         `json:"noValue,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	Color       map[string]any `json:"color,omitempty"`
	Thresholds  *Thresholds    `json:"thresholds,omitempty"`
	Mappings    []Mapping      `json:"mappings,omitempty"`
	Links       []Link         `json:"links,omitempty"`
	Custom      map[string]any `json:"custom,omitempty"`
}

// Thresholds colour values by steps.
type Thresholds struct {
	Mode  string          `json:"mode"`
	Steps []ThresholdStep `json:"steps"`
}

// ThresholdStep is one colour from Value up; the first step's Value is null.
type ThresholdStep struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// Mapping turns values into text and colour (for state codes: 1 → Up).
type Mapping struct {
	Type    string                   `json:"type"`
	Options map[string]MappingResult `json:"options"`
}

// MappingResult is what one mapped value shows.
type MappingResult struct {
	Text  string `json:"text,omitempty"`
	Color string `json:"color,omitempty"`
	Index int    `json:"index"`
}

// Override changes field settings for the fields a matcher picks.
type Override struct {
	Matcher    Matcher    `json:"matcher"`
	Properties []Property `json:"properties"`
}

// Matcher picks fields by name or by regular expression.
type Matcher struct {
	ID      string `json:"id"`
	Options string `json:"options"`
}

// Property is one overridden field setting; its value's shape depends on its id.
type Property struct {
	ID    string `json:"id"`
	Value any    `json:"value"`
}

// Link is a panel or data link.
type Link struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	TargetBlank bool   `json:"targetBlank,omitempty"`
}

// Transformation is a Grafana data transformation (merge, organize, convertFieldType).
type Transformation struct {
	ID       string         `json:"id"`
	Options  map[string]any `json:"options"`
	Disabled bool           `json:"disabled,omitempty"`
}

// Decode reads one dashboard JSON model strictly: unknown keys anywhere in the structs
// above, trailing data and an __inputs section (a dashboard exported "for sharing
// externally", which binds it to one datasource) are errors.
func Decode(r io.Reader) (*Dashboard, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) == nil && top["__inputs"] != nil {
		return nil, errors.New(`"__inputs" present: export without "Export for sharing externally"; the datasource is the ${datasource} variable`)
	}
	var d Dashboard
	if err := decodeStrict(b, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Load decodes every dashboard in Files, keyed by file name.
func Load() (map[string]*Dashboard, error) {
	names, err := fs.Glob(Files, "*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Dashboard, len(names))
	for _, name := range names {
		b, err := Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d, err := Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = d
	}
	return out, nil
}

// AllPanels lists every panel, those inside rows included, in order.
func (d *Dashboard) AllPanels() []*Panel {
	var out []*Panel
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for i := range ps {
			out = append(out, &ps[i])
			walk(ps[i].Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Query is one PromQL expression of a dashboard and where it is.
type Query struct {
	Where string // "panel \"Users online\" query A", "annotation …", "variable …"
	Expr  string // as written, Grafana variables included
	// Instant is true for an instant query (tables, stats), false for a range query.
	Instant bool
}

// labelValues matches a query variable's label_values(SELECTOR, LABEL).
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// Queries lists every PromQL expression in the dashboard: panel targets, annotation
// queries and the selectors of label_values variables.
func (d *Dashboard) Queries() ([]Query, error) {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Where: fmt.Sprintf("panel %q query %s", p.Title, t.RefID), Expr: t.Expr, Instant: t.Instant})
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out = append(out, Query{Where: fmt.Sprintf("annotation %q", a.Name), Expr: a.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Query.Query)
		if m == nil {
			return nil, fmt.Errorf("variable %q: query %q is not label_values(SELECTOR, LABEL)", v.Name, v.Query.Query)
		}
		out = append(out, Query{Where: fmt.Sprintf("variable %q", v.Name), Expr: m[1], Instant: true})
	}
	return out, nil
}

// Grafana's built-in interval variables and the stand-ins Expand gives them: a duration
// for the range ones, seconds or milliseconds for the _s and _ms forms.
var builtins = regexp.MustCompile(`\$\{?(__rate_interval|__interval|__range)(_s|_ms)?\}?`)

// userVar matches $name, ${name} and ${name:format}.
var userVar = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)`)

// Expand replaces Grafana's variables in a query with values Prometheus accepts, as
// Grafana would before sending it: the interval variables by `window` (a PromQL duration
// such as "5m") and every dashboard variable by values[name] (".*", as "All" does, when
// values has no entry: ronda's variables are only used in =~ matchers).
func Expand(expr, window string, values map[string]string) string {
	expr = builtins.ReplaceAllStringFunc(expr, func(m string) string {
		s := builtins.FindStringSubmatch(m)
		switch s[2] {
		case "_s":
			return durationSeconds(window, 1)
		case "_ms":
			return durationSeconds(window, 1000)
		}
		return window
	})
	return userVar.ReplaceAllStringFunc(expr, func(m string) string {
		s := userVar.FindStringSubmatch(m)
		name := s[1] + s[2]
		if v, ok := values[name]; ok {
			return v
		}
		return ".*"
	})
}

func durationSeconds(window string, scale int) string {
	units := map[byte]int{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
	var n int
	if _, err := fmt.Sscanf(window, "%d", &n); err != nil || len(window) == 0 {
		return window
	}
	return fmt.Sprint(n * units[window[len(window)-1]] * scale)
}

// VariablesUsed lists the dashboard variables a query refers to, built-ins left out.
func VariablesUsed(expr string) []string {
	expr = builtins.ReplaceAllString(expr, "")
	var out []string
	for _, s := range userVar.FindAllStringSubmatch(expr, -1) {
		name := s[1] + s[2]
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
