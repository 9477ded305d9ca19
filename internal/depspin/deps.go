// Package depspin keeps the module's dependencies in go.mod while the packages using them are being written.
package depspin

import (
	_ "github.com/alecthomas/kingpin/v2"
	_ "github.com/go-routeros/routeros/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/collectors/version"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/prometheus/common/promslog"
	_ "github.com/prometheus/common/promslog/flag"
	_ "github.com/prometheus/common/version"
	_ "github.com/prometheus/exporter-toolkit/web"
	_ "github.com/prometheus/exporter-toolkit/web/kingpinflag"
	_ "go.uber.org/goleak"
	_ "gopkg.in/yaml.v3"
)
