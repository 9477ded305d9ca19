package olt

import (
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
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
