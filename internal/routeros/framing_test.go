package routeros

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// encodeWord frames one word the way RouterOS does.
func encodeWord(w string) []byte {
	l := len(w)
	var prefix []byte
	switch {
	case l < 0x80:
		prefix = []byte{byte(l)}
	case l < 0x4000:
		prefix = []byte{byte(l>>8) | 0x80, byte(l)}
	case l < 0x200000:
		prefix = []byte{byte(l>>16) | 0xC0, byte(l >> 8), byte(l)}
	case l < 0x10000000:
		prefix = []byte{byte(l>>24) | 0xE0, byte(l >> 16), byte(l >> 8), byte(l)}
	default:
		prefix = []byte{0xF0, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}
	}
	return append(prefix, w...)
}

func sentence(words ...string) []byte {
	var b []byte
	for _, w := range words {
		b = append(b, encodeWord(w)...)
	}
	return append(b, 0)
}

// oneByteReader hands out one byte per Read, so every state change crosses a Read.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestFrameGuardPassesValidRepliesThrough(t *testing.T) {
	var stream []byte
	stream = append(stream, sentence("!re", "=name="+strings.Repeat("x", 200), "=comment="+strings.Repeat("é", 9000))...)
	stream = append(stream, sentence("!re", "=big="+strings.Repeat("y", 0x200000))...)
	stream = append(stream, sentence("!empty")...)
	stream = append(stream, sentence("!done", "=ret=3")...)
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":       func(r io.Reader) io.Reader { return r },
		"byte a time": func(r io.Reader) io.Reader { return oneByteReader{r} },
	} {
		t.Run(name, func(t *testing.T) {
			g := newFrameGuard(wrap(bytes.NewReader(stream)))
			got, err := io.ReadAll(g)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if !bytes.Equal(got, stream) {
				t.Fatalf("guard changed the stream")
			}
			if g.received != int64(len(stream)) {
				t.Errorf("received = %d, want %d", g.received, len(stream))
			}
			if _, fatal := g.Fatal(); fatal {
				t.Errorf("guard saw a !fatal in a stream without one")
			}
		})
	}
}

func TestFrameGuardStopsImpossibleLengths(t *testing.T) {
	tests := map[string][]byte{
		"reserved control byte":   append(sentence("!re", "=a=b"), 0xF8),
		"control byte 0xFF":       {0xFF, 0x00},
		"over the limit (0xF0)":   append(sentence("!re"), 0xF0, 0xFF, 0xFF, 0xFF, 0xFF),
		"over the limit (4 byte)": append(sentence("!done"), 0xEF, 0xFF, 0xFF, 0xFF),
	}
	for name, stream := range tests {
		t.Run(name, func(t *testing.T) {
			g := newFrameGuard(oneByteReader{bytes.NewReader(stream)})
			_, err := io.ReadAll(g)
			var ferr *FramingError
			if !errors.As(err, &ferr) {
				t.Fatalf("ReadAll error = %v, want a *FramingError", err)
			}
			if _, err := g.Read(make([]byte, 1)); !errors.As(err, &ferr) {
				t.Errorf("the guard did not stay broken: next Read error = %v", err)
			}
		})
	}
}

func TestFrameGuardRemembersFatalReason(t *testing.T) {
	stream := append(sentence("!re", "=name=a"), sentence("!fatal", "session terminated on request")...)
	g := newFrameGuard(oneByteReader{bytes.NewReader(stream)})
	if _, err := io.ReadAll(g); err != nil {
		t.Fatal(err)
	}
	reason, ok := g.Fatal()
	if !ok || reason != "session terminated on request" {
		t.Errorf("Fatal() = %q, %v; want the reason and true", reason, ok)
	}

	// A word that merely starts with !fatal is not one.
	g = newFrameGuard(bytes.NewReader(sentence("!fatalistic", "=x=1")))
	if _, err := io.ReadAll(g); err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Fatal(); ok {
		t.Errorf("!fatalistic taken for !fatal")
	}
}

func TestFrameGuardStopsGarbageEarly(t *testing.T) {
	tests := map[string][]byte{
		// the library would wait for 0x6c bytes, or see the connection close mid-word
		"text where a reply belongs":    []byte("language: en\r\n"),
		"reply word too long":           append(encodeWord("!"+strings.Repeat("r", 40)), 'x'),
		"sentence not starting with !":  sentence("done"),
		"word that is not an attribute": sentence("!re", "name=x"),
	}
	for name, stream := range tests {
		t.Run(name, func(t *testing.T) {
			g := newFrameGuard(bytes.NewReader(stream))
			_, err := io.ReadAll(g)
			var ferr *FramingError
			if !errors.As(err, &ferr) {
				t.Fatalf("ReadAll error = %v, want a *FramingError", err)
			}
		})
	}
}

// chunked hands out the stream in reads of the given sizes (cycling), so the same bytes
// cross Read boundaries at different places.
type chunked struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)])%17 + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func FuzzFrameGuard(f *testing.F) {
	f.Add(sentence("!re", "=name=a"), []byte{3})
	f.Add(append(sentence("!done", "=ret=5"), sentence("!fatal", "not logged in")...), []byte{1, 7})
	f.Add([]byte{0xF8, 0, 0}, []byte{})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n"), []byte{5})
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		whole := newFrameGuard(bytes.NewReader(stream))
		gotWhole, errWhole := io.ReadAll(whole)
		pieces := newFrameGuard(&chunked{data: stream, sizes: sizes})
		gotPieces, errPieces := io.ReadAll(pieces)

		// The verdict does not depend on where reads split the stream.
		var fw, fp *FramingError
		if errors.As(errWhole, &fw) != errors.As(errPieces, &fp) {
			t.Fatalf("whole: %v; in pieces: %v", errWhole, errPieces)
		}
		if fw != nil && fw.Offset != fp.Offset {
			t.Fatalf("framing error at %d read whole, at %d in pieces", fw.Offset, fp.Offset)
		}
		if errWhole != nil && fw == nil || errPieces != nil && fp == nil {
			t.Fatalf("errors other than FramingError: %v, %v", errWhole, errPieces)
		}
		if fw == nil && !bytes.Equal(gotWhole, stream) {
			t.Fatal("a stream without framing errors was changed")
		}
		if fp == nil && !bytes.Equal(gotPieces, stream) {
			t.Fatal("a stream read in pieces was changed")
		}
		rw, okw := whole.Fatal()
		rp, okp := pieces.Fatal()
		if okw != okp || rw != rp {
			t.Fatalf("!fatal seen whole: %q %v, in pieces: %q %v", rw, okw, rp, okp)
		}
	})
}
