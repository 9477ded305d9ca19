package config

import (
	"fmt"
	"os"
	"time"

	promconfig "github.com/prometheus/common/config"

	ronda "github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/promapi"
)

// Report is a scheduled summary: PromQL queries against Prometheus, rendered with a
// template and sent to channels.
type Report struct {
	Name string `yaml:"name"`
	// PrometheusURL is the query API's base URL, with any path prefix
	// (http://mimir:8080/prometheus); /api/v1/query is appended.
	PrometheusURL string `yaml:"prometheus_url"`
	// PrometheusOrgID is sent as X-Scope-OrgID (Mimir, Cortex tenants).
	PrometheusOrgID string `yaml:"prometheus_org_id"`
	// PrometheusHTTPConfigFile is a Prometheus-style HTTP client file (basic_auth,
	// authorization, tls_config, …), as ronda-restore's --prometheus.config.
	PrometheusHTTPConfigFile string `yaml:"prometheus_http_config_file"`
	// PrometheusHTTP is PrometheusHTTPConfigFile, read by the check.
	PrometheusHTTP *promconfig.HTTPClientConfig `yaml:"-"`
	// Interval between reports, aligned to the clock (1h: on the hour).
	Interval ronda.Duration `yaml:"interval"`
	// Timeout bounds the queries of one report.
	Timeout  ronda.Duration `yaml:"timeout"`
	Channels []string       `yaml:"channels"`
	// Queries are named PromQL instant queries; empty means the OLT report's.
	Queries      map[string]string `yaml:"queries"`
	Template     string            `yaml:"template"`
	TemplateFile string            `yaml:"template_file"`
	Language     string            `yaml:"language"`
}

// DefaultOLTQueries feed the default report: per OLT, ONUs online and in total, average
// temperature and RX power.
var DefaultOLTQueries = map[string]string{
	"online":      `sum by (instance) (olt_pon_onus{state="up"})`,
	"total":       `sum by (instance) (olt_pon_onus)`,
	"temperature": `avg by (instance) (olt_onu_temperature_celsius)`,
	"rx_power":    `avg by (instance) (olt_onu_rx_power_dbm)`,
}

func (r *Report) check(c *checker, path string, channels map[string]bool, language string) {
	if r.Name == "" || !channelName.MatchString(r.Name) {
		c.report(path+".name", "required: letters, digits, '_', '.' and '-'")
	}
	if r.PrometheusURL == "" {
		c.report(path+".prometheus_url", "required: the Prometheus (or Thanos, Mimir…) URL to query")
	} else {
		checkURL(c, path+".prometheus_url", r.PrometheusURL)
	}
	if r.PrometheusHTTPConfigFile != "" {
		r.PrometheusHTTPConfigFile = c.resolve(r.PrometheusHTTPConfigFile)
		httpCfg, err := promapi.LoadHTTPConfig(r.PrometheusHTTPConfigFile)
		if err != nil {
			c.report(path+".prometheus_http_config_file", "%v", err)
		}
		r.PrometheusHTTP = httpCfg
	}
	if r.Interval < 0 || (r.Interval > 0 && time.Duration(r.Interval) < time.Minute) {
		c.report(path+".interval", "must be at least 1m")
	}
	if r.Interval == 0 {
		r.Interval = ronda.Duration(time.Hour)
	}
	if r.Timeout <= 0 {
		r.Timeout = ronda.Duration(30 * time.Second)
	}
	if len(r.Channels) == 0 {
		c.report(path+".channels", "required: where the report goes")
	}
	for i, name := range r.Channels {
		if !channels[name] {
			c.report(fmt.Sprintf("%s.channels[%d]", path, i), "no channel is named %q", name)
		}
	}
	if len(r.Queries) == 0 {
		r.Queries = DefaultOLTQueries
	}
	if r.TemplateFile != "" {
		r.TemplateFile = c.resolve(r.TemplateFile)
		data, err := os.ReadFile(r.TemplateFile)
		if err != nil {
			c.report(path+".template_file", "cannot read %s: %v", r.TemplateFile, err)
		}
		r.Template = string(data)
	}
	if r.Language == "" {
		r.Language = language
	}
}
