// Package depspin keeps in go.mod the modules of the packages being written in parallel
// (OLT, SSH, probe and webhook work), so concurrent `go get`s cannot lose each other's
// edits. It is removed once every module here is imported by real code.
package depspin

import (
	_ "github.com/PuerkitoBio/goquery"
	_ "github.com/miekg/dns"
	_ "github.com/prometheus-community/pro-bing"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/net/html/charset"
	_ "golang.org/x/text/encoding/simplifiedchinese"
)
