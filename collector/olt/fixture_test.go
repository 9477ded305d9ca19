package olt

import (
	"os"
	"path/filepath"
	"testing"
)

// fixture returns the bytes of testdata/name.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixturePage returns testdata/name in UTF-8, as the drivers read a page whose charset
// only its <meta> gives (the GB2312 fixtures).
func fixturePage(tb testing.TB, name string) []byte {
	tb.Helper()
	page, err := toUTF8(fixture(tb, name), "text/html")
	if err != nil {
		tb.Fatal(err)
	}
	return page
}
