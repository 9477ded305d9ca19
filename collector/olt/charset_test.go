package olt

import (
	"bytes"
	"context"
	"mime"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/rondanet/ronda/collector"
)

// TestPagesReadInTheCharsetTheyName: a page is read in the charset its <meta> names, else
// its Content-Type, else as UTF-8 when it is valid UTF-8 and as windows-1252 when not.
// Whether a page is valid UTF-8 never overrules what it says: 叶伟 in GB2312 is valid UTF-8
// (Ҷΰ).
func TestPagesReadInTheCharsetTheyName(t *testing.T) {
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const (
		metaGB2312 = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>`
		metaUTF8   = `<html><head><meta charset='UTF-8'></head>`
		noMeta     = `<html><head><title>ONU</title></head>`
	)
	for _, tc := range []struct {
		name, page, contentType, want string
	}{
		{"GB2312 in the meta, a name that is valid UTF-8", metaGB2312 + gbk("叶伟"), "text/html", metaGB2312 + "叶伟"},
		{"GB2312 in the meta, a name that is not", metaGB2312 + gbk("王家"), "text/html", metaGB2312 + "王家"},
		{"GB2312 in the header only", noMeta + gbk("叶伟"), "text/html; charset=GB2312", noMeta + "叶伟"},
		{"the meta before the header", metaUTF8 + "Pak Dédé", "text/html; charset=gb2312", metaUTF8 + "Pak Dédé"},
		{"no charset named, valid UTF-8", noMeta + "Pak Dédé", "text/html", noMeta + "Pak Dédé"},
		{"no charset named, not UTF-8", noMeta + "Caf\xe9", "", noMeta + "Café"},
		{"an unknown charset, not UTF-8", `<meta charset="x-olt">Caf` + "\xe9", "", `<meta charset="x-olt">Café`},
		{"UTF-8 named, a byte that is not", metaUTF8 + "Caf\xe9", "", metaUTF8 + "Caf\uFFFD"},
		{"ASCII whatever it says", metaGB2312 + "Warung Bu Tini", "text/html; charset=utf-16", metaGB2312 + "Warung Bu Tini"},
		// A <meta> read as ASCII cannot be in a UTF-16 page: HTML reads such a page as
		// UTF-8, and one that names x-user-defined as windows-1252, as browsers show it.
		{"UTF-16 in the meta", `<meta charset="utf-16">Pak Dédé`, "", `<meta charset="utf-16">Pak Dédé`},
		{"UTF-16 by another name in the meta", `<meta http-equiv="Content-Type" content="text/html; charset=unicode">Pak Dédé`, "",
			`<meta http-equiv="Content-Type" content="text/html; charset=unicode">Pak Dédé`},
		{"x-user-defined in the meta", `<meta charset="x-user-defined">Caf` + "\xe9", "", `<meta charset="x-user-defined">Café`},
		{"UTF-16 in the header only", "<\x00t\x00d\x00>\x00C\x00a\x00f\x00\xe9\x00", "text/html; charset=utf-16le", "<td>Café"},
	} {
		got, err := toUTF8([]byte(tc.page), tc.contentType)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestMetaCharset: the charset named by either form of <meta>, in any case, quoted or not;
// not one named outside a <meta> or past the first 1,024 bytes.
func TestMetaCharset(t *testing.T) {
	for page, want := range map[string]string{
		`<META HTTP-EQUIV="Content-Type" CONTENT="text/html; Charset=GB2312">`: "GB2312",
		`<meta charset=gbk>`:                                     "gbk",
		`<meta charset = "utf-8" />`:                             "utf-8",
		`<meta name="x"><meta content='text/html;charset=big5'>`: "big5",
		`<script>var charset="gb2312";</script>`:                 "",
		`<meta name="description" content="charset test">`:       "",
		string(make([]byte, 1024)) + `<meta charset="gb2312">`:   "",
	} {
		if got := metaCharset([]byte(page)); got != want {
			t.Errorf("metaCharset(%.60q) = %q, want %q", page, got, want)
		}
	}
}

// FuzzToUTF8: every page decodes to valid UTF-8; an ASCII page, or one that names no
// charset and is valid UTF-8, is kept as it is; one that names none and is not is read
// byte for byte as windows-1252; a <meta> that names the charset is still there after
// decoding when it names one known (HTML reads it as ASCII, so the page's charset must keep
// ASCII as it is; the "replacement" charsets are refused on purpose).
func FuzzToUTF8(f *testing.F) {
	f.Add([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>`+"\xd2\xb6\xce\xb0"), "text/html")
	f.Add([]byte("<title>ONU</title>Caf\xe9"), "text/html; charset=GB2312")
	f.Add([]byte(`<meta charset='UTF-8'>Caf`+"\xe9"), "")
	f.Add([]byte(`<meta charset="utf-16"><td>Caf`+"\xc3\xa9</td>"), "")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		out, err := toUTF8(bytes.Clone(page), contentType)
		if err != nil {
			if collector.Classify(context.Background(), err) != collector.ReasonProtocol {
				t.Fatalf("error without the protocol reason: %v", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("%q decoded to invalid UTF-8 %q", page, out)
		}
		meta := metaCharset(page)
		_, params, _ := mime.ParseMediaType(contentType)
		named := meta != "" || params["charset"] != ""
		switch {
		case isASCII(page) || !named && utf8.Valid(page):
			if !bytes.Equal(out, page) {
				t.Fatalf("%q changed into %q", page, out)
			}
		case !named:
			if n := utf8.RuneCount(out); n != len(page) {
				t.Fatalf("%q read as %q: %d characters for %d bytes", page, out, n, len(page))
			}
		}
		if enc, name := charset.Lookup(meta); enc != nil && name != "replacement" && metaCharset(out) != meta {
			t.Fatalf("%q read as %s into %q: its <meta> is gone", page, name, out)
		}
	})
}
