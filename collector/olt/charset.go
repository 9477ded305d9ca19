package olt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"mime"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"

	"github.com/rondanet/ronda/collector"
)

// toUTF8 decodes a page to UTF-8 from the charset it is written in (GB2312 on many V-SOL
// and HiOSO firmwares). The charset the page names in its own <meta> comes first: it is
// part of the page's template, where the Content-Type header is the embedded web server's
// and often generic. Then the header's. A page that names none is used as it is when it
// is valid UTF-8, and read as windows-1252 otherwise, as browsers do, so no byte is lost.
//
// Being valid UTF-8 does not make a page UTF-8 when it says otherwise: a short GB2312
// name such as 叶伟 is valid UTF-8 too (Ҷΰ), and read so it would change with the names
// around it.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	if isASCII(body) {
		return body, nil // the same text in every charset an OLT uses
	}
	label := metaCharset(body)
	fromMeta := label != ""
	if !fromMeta {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			label = params["charset"]
		}
	}
	enc, name := charset.Lookup(label)
	switch {
	case fromMeta && (name == "utf-16le" || name == "utf-16be"):
		// A <meta> that could be read as ASCII is not in a UTF-16 page: HTML reads the
		// page as UTF-8 then (decoded as UTF-16 it would lose every tag).
		enc, name = nil, "utf-8"
	case fromMeta && name == "x-user-defined":
		enc, name = charmap.Windows1252, "windows-1252" // as HTML says too
	}
	switch {
	case (enc == nil || name == "utf-8") && utf8.Valid(body):
		return body, nil
	case name == "utf-8": // said to be UTF-8, and is not quite
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), nil
	case enc == nil: // no charset named, or one unknown
		enc, name = charmap.Windows1252, "windows-1252"
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, collector.Fail(collector.ReasonProtocol, fmt.Errorf("decoding the page as %s: %w", name, err))
	}
	return out, nil
}

// isASCII reports whether b has only ASCII bytes, eight at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// metaCharset is the charset a <meta> tag in the page's first 1,024 bytes names
// (`<meta charset="gb2312">` or `<meta http-equiv="Content-Type" content="text/html;
// charset=gb2312">`), where HTML says to look for it; "" when none does.
func metaCharset(page []byte) string {
	head := page[:min(len(page), 1024)]
	for {
		i := bytes.IndexByte(head, '<')
		if i < 0 {
			return ""
		}
		head = head[i+1:]
		if len(head) < 4 || !bytes.EqualFold(head[:4], []byte("meta")) {
			continue
		}
		tag := head
		if end := bytes.IndexByte(tag, '>'); end >= 0 {
			tag = tag[:end]
		}
		if v := attributeValue(tag, "charset"); v != "" {
			return v
		}
	}
}

// attributeValue finds name=value in a tag's text (case aside, quotes optional) and
// returns the value up to a quote, space, ';' or '/'.
func attributeValue(tag []byte, name string) string {
	for i := 0; i+len(name) <= len(tag); i++ {
		if !bytes.EqualFold(tag[i:i+len(name)], []byte(name)) {
			continue
		}
		v := bytes.TrimLeft(tag[i+len(name):], " \t\r\n")
		if len(v) == 0 || v[0] != '=' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n\"'")
		if end := bytes.IndexAny(v, "\"' \t\r\n;/"); end >= 0 {
			v = v[:end]
		}
		return string(v)
	}
	return ""
}
