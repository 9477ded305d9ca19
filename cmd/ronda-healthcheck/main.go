// Command ronda-healthcheck exits 0 when every URL given answers 2xx, and 1 (naming what
// failed) otherwise. It is the health check of the ronda container image, which has no
// shell or wget:
//
//	HEALTHCHECK CMD ["ronda-healthcheck", "http://127.0.0.1:9850/-/healthy"]
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"

	"github.com/rondanet/ronda/internal/healthcheck"
)

func main() {
	a := kingpin.New("ronda-healthcheck",
		"Exit 0 if every URL answers with a 2xx status (no redirects followed), else 1. "+
			"The container health check of the ronda image, e.g. ronda-healthcheck http://127.0.0.1:9850/-/healthy")
	a.HelpFlag.Short('h')
	a.Version(version.Print("ronda-healthcheck"))
	var o healthcheck.Options
	a.Flag("timeout", "Deadline of each request.").Default("5s").DurationVar(&o.Timeout)
	a.Flag("tls.insecure-skip-verify", "Accept any certificate (checking https://127.0.0.1 against a certificate for the public name).").
		BoolVar(&o.InsecureSkipVerify)
	urls := a.Arg("url", "Health endpoints to fetch.").Required().Strings()
	kingpin.MustParse(a.Parse(os.Args[1:]))

	for _, u := range *urls {
		if err := healthcheck.Check(context.Background(), u, o); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
	}
}
