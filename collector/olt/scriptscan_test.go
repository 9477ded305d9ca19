package olt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// domScript is what goquery finds, or "" when it finds nothing.
func domScript(t testing.TB, page []byte) string {
	s, err := findScriptDOM(page, hiosoArray)
	if err != nil {
		return ""
	}
	return s
}

// Every HiOSO fixture takes the fast path, and it finds what goquery finds.
func TestFindScriptReadsEveryFixtureLikeGoquery(t *testing.T) {
	files, _ := filepath.Glob("testdata/hioso-*.html")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		page, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := findScript(page, hiosoArray)
		if !ok {
			t.Errorf("%s: the fast path gave up on a real page", file)
			continue
		}
		if want := domScript(t, page); got != want {
			t.Errorf("%s: fast path and goquery differ\nfast: %.200q\ndom:  %.200q", file, got, want)
		}
	}
}

// The edge cases: what the scan must read as goquery does, and what it must leave to it.
func TestFindScript(t *testing.T) {
	const arr = "var onutable=new Array('0/1:1');"
	for _, tc := range []struct {
		name, page string
		fast       bool // the scan decides alone
	}{
		{"plain", "<html><script>" + arr + "</script></html>", true},
		{"attributes with > in quotes", `<script type="text/javascript" data-x='a>b'>` + arr + "</script>", true},
		{"unquoted attribute", `<script language=javascript>` + arr + "</script>", true},
		{"upper-case tags", "<SCRIPT>" + arr + "</SCRIPT >", true},
		{"second script", "<script>var x=1;</script><script>" + arr + "</script>", true},
		{"CRLF becomes LF", "<script>\r\n" + arr + "\r\nvar y;\r</script>", true},
		{"script end tag with attributes", `<script>` + arr + `</script foo=">">`, true},
		{"not the end: </scriptx>", "<script>" + arr + "</scriptx></script>", true},
		{"title holds a fake script", "<title><script>var onutable=new Array('no');</script></title><script>" + arr + "</script>", true},
		{"textarea", "<textarea></textarea ><script>" + arr + "</script>", true},
		{"doctype", "<!DOCTYPE html><script>" + arr + "</script>", true},
		{"a lone < in text", "a < b <script>" + arr + "</script>", true},
		{"fake script in an attribute", `<a title="<script>var onutable=new Array('no');</script>">x</a><script>` + arr + "</script>", true},
		{"self-closing script tag", "<script/>" + arr + "</script>", true},
		{"comment before", "<!-- <script>var onutable=new Array('no');</script> --><script>" + arr + "</script>", false},
		{"escaped script data", "<script><!--\n" + arr + "\n//--></script>", false},
		{"noscript", "<noscript><script>" + arr + "</script></noscript>", false},
		{"svg", "<svg><script>" + arr + "</script></svg>", false},
		{"NUL", "<script>" + arr + "\x00</script>", false},
		{"never closed", "<script>" + arr, false},
		{"no array", "<script>var x;</script>", false},
		{"bogus comment", "<?xml?><script>" + arr + "</script>", false},
		{"tag cut short", `<script type="x` + arr, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := findScript([]byte(tc.page), hiosoArray)
			if ok != tc.fast {
				t.Fatalf("fast path decided: %v, want %v", ok, tc.fast)
			}
			if ok {
				if want := domScript(t, []byte(tc.page)); got != want {
					t.Errorf("fast path %q, goquery %q", got, want)
				}
				if !strings.Contains(got, "'0/1:1'") {
					t.Errorf("found the wrong script: %q", got)
				}
			}
		})
	}
}

// FuzzFindScriptAgreesWithGoquery: whenever the scan decides alone, it finds what goquery
// finds.
func FuzzFindScriptAgreesWithGoquery(f *testing.F) {
	files, _ := filepath.Glob("testdata/hioso-*.html")
	for _, file := range files {
		if page, err := os.ReadFile(file); err == nil {
			f.Add(page)
		}
	}
	for _, s := range []string{
		"<script>var onutable=new Array('a');</script>",
		"<title>x</title><script type='a>b'>onutable</script >",
		"<a b=c<script>onutable</script>",
		"<!doctype html><p a=/>onutable<script>onutable</script/x>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		got, ok := findScript(page, hiosoArray)
		if !ok {
			return
		}
		if want := domScript(t, page); got != want {
			t.Errorf("fast path and goquery differ on %q\nfast: %q\ndom:  %q", page, got, want)
		}
	})
}
