package routeros

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAppendLengthForms(t *testing.T) {
	tests := []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x00}},
		{0x7F, []byte{0x7F}},
		{0x80, []byte{0x80, 0x80}},
		{0x3FFF, []byte{0xBF, 0xFF}},
		{0x4000, []byte{0xC0, 0x40, 0x00}},
		{0x1FFFFF, []byte{0xDF, 0xFF, 0xFF}},
		{0x200000, []byte{0xE0, 0x20, 0x00, 0x00}},
		{0xFFFFFFF, []byte{0xEF, 0xFF, 0xFF, 0xFF}},
		{0x10000000, []byte{0xF0, 0x10, 0x00, 0x00, 0x00}},
		{0x7FFFFFFF, []byte{0xF0, 0x7F, 0xFF, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		if got := appendLength(nil, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("appendLength(%#x) = % x, want % x", tt.n, got, tt.want)
		}
		if tt.n > maxWordLength {
			continue
		}
		n, err := readLength(bufio.NewReader(bytes.NewReader(tt.want)))
		if err != nil || n != tt.n {
			t.Errorf("readLength(% x) = %#x, %v", tt.want, n, err)
		}
	}
}

func TestFiveByteLengthIsDecoded(t *testing.T) {
	// The 0xF0 form may carry any length; a sender is free to use it for short words.
	in := append([]byte{0xF0, 0, 0, 0, 5}, "hello"...)
	in = append(in, 0)
	words, err := ReadSentence(bufio.NewReader(bytes.NewReader(in)))
	if err != nil || !slices.Equal(words, []string{"hello"}) {
		t.Fatalf("%q %v", words, err)
	}
	// A 5-byte length beyond the simulator's bound is a protocol error, before any
	// allocation.
	_, err = ReadSentence(bufio.NewReader(bytes.NewReader([]byte{0xF0, 0x10, 0, 0, 0})))
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("oversized word: %v", err)
	}
}

func TestSentenceRoundTrip(t *testing.T) {
	words := []string{"/ip/hotspot/user/print", "", "=comment=" + strings.Repeat("x", 0x4000), "=a=b=c", strings.Repeat("y", 0x200000)}
	// An empty word inside a sentence would end it: drop it, as an encoder must.
	words = slices.DeleteFunc(words, func(w string) bool { return w == "" })
	br := bufio.NewReader(bytes.NewReader(append(EncodeSentence(words...), EncodeSentence("!done")...)))
	got, err := ReadSentence(br)
	if err != nil || !slices.Equal(got, words) {
		t.Fatalf("round trip: %d words, %v", len(got), err)
	}
	got, err = ReadSentence(br)
	if err != nil || !slices.Equal(got, []string{"!done"}) {
		t.Fatalf("second sentence %q %v", got, err)
	}
	if _, err := ReadSentence(br); err != io.EOF {
		t.Fatalf("after the last sentence: %v, want io.EOF", err)
	}
}

func TestReadSentenceErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		protocol bool
		want     error
	}{
		{"reserved 0xF8", []byte{0xF8}, true, nil},
		{"reserved 0xFF after a word", append(EncodeSentence("/x")[:3], 0xFF), true, nil},
		{"truncated prefix", []byte{0xC0, 0x01}, false, io.ErrUnexpectedEOF},
		{"truncated word", []byte{0x05, 'a', 'b'}, false, io.ErrUnexpectedEOF},
		{"missing terminator", EncodeSentence("/x")[:3], false, io.ErrUnexpectedEOF},
		{"clean end", nil, false, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSentence(bufio.NewReader(bytes.NewReader(tt.in)))
			var pe *ProtocolError
			if tt.protocol != errors.As(err, &pe) {
				t.Fatalf("error %v, protocol error wanted: %v", err, tt.protocol)
			}
			if tt.want != nil && err != tt.want {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReservedByteFromClientIsFatal(t *testing.T) {
	r := startRouter(t, Options{})
	rc := newRawConn(t, r)
	rc.login(r)
	if _, err := rc.nc.Write([]byte{0xF9, 0x01}); err != nil {
		t.Fatal(err)
	}
	got := rc.read()
	if len(got) != 2 || got[0] != "!fatal" {
		t.Fatalf("got %q, want !fatal + reason", got)
	}
	rc.expectClosed()
}

func TestDurations(t *testing.T) {
	tests := []struct {
		d    time.Duration
		text string
	}{
		{0, "0s"},
		{time.Second, "1s"},
		{90 * time.Minute, "1h30m"},
		{7*24*time.Hour + 2*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second, "1w2d3h4m5s"},
		{7*time.Millisecond + 523*time.Microsecond, "7ms523us"},
		{24 * time.Hour, "1d"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.d); got != tt.text {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.text)
		}
		if got, err := ParseDuration(tt.text); err != nil || got != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v", tt.text, got, err)
		}
	}
	for text, want := range map[string]time.Duration{
		"3600": time.Hour, "01:02:03": time.Hour + 2*time.Minute + 3*time.Second,
		"2d 01:00:00": 49 * time.Hour, "none": 0, "": 0,
	} {
		if got, err := ParseDuration(text); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, bad := range []string{"soon", "1x", "h", "1:2", "-5"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestIDs(t *testing.T) {
	for id, text := range map[uint32]string{1: "*1", 0x1A: "*1A", 0xFFFFFFFF: "*FFFFFFFF"} {
		if got := formatID(id); got != text {
			t.Errorf("formatID(%d) = %q", id, got)
		}
		if got, ok := parseID(text); !ok || got != id {
			t.Errorf("parseID(%q) = %d", text, got)
		}
	}
}

// FuzzReadSentence checks the decoder never panics, never returns words it did not read
// and agrees with the encoder on what it accepts.
func FuzzReadSentence(f *testing.F) {
	f.Add(EncodeSentence("/login", "=name=ronda", "=password=demo-password"))
	f.Add(EncodeSentence("/ip/hotspot/user/print", "=.proplist=name,uptime", "?limit-uptime", "?#!", ".tag=7"))
	f.Add(EncodeSentence("!re", "=comment="+strings.Repeat("v", 300)))
	f.Add([]byte{0xF0, 0, 0, 0, 1, 'x', 0})
	f.Add([]byte{0xF8})
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(bytes.NewReader(in))
		for range 8 {
			words, err := ReadSentence(br)
			if err != nil {
				return
			}
			total := 0
			for _, w := range words {
				if w == "" {
					t.Fatal("empty word inside a sentence")
				}
				total += len(w)
			}
			if total > len(in) {
				t.Fatalf("decoded %d bytes from %d", total, len(in))
			}
			again, err := ReadSentence(bufio.NewReader(bytes.NewReader(EncodeSentence(words...))))
			if err != nil || !slices.Equal(again, words) {
				t.Fatalf("re-encoding %q gave %q, %v", words, again, err)
			}
		}
	})
}
