package routeros

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The RouterOS API frames every word with a length prefix of 1 to 5 bytes; a sentence is a
// list of words ended by a zero-length word.

const (
	// maxWordLength bounds one word read from a client. The protocol allows lengths up to
	// 4 GiB; the simulator refuses more than this so that a hostile prefix cannot make it
	// allocate without bound. 16 MiB is far above anything a real command carries.
	maxWordLength = 16 << 20
	// maxSentenceBytes bounds a whole sentence for the same reason.
	maxSentenceBytes = 32 << 20
	// maxSentenceWords bounds the number of words in one sentence.
	maxSentenceWords = 4096
)

// errReservedLength is returned for a first length byte >= 0xF8: those are reserved control
// bytes, not lengths.
var errReservedLength = errors.New("reserved control byte in word length")

// ProtocolError is a violation of the word framing by the peer. The router answers it with
// !fatal and closes the connection.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string { return "routeros api: " + e.Reason }

// appendLength appends the length prefix for a word of n bytes.
func appendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n < 0x4000:
		return append(dst, byte(n>>8)|0x80, byte(n))
	case n < 0x200000:
		return append(dst, byte(n>>16)|0xC0, byte(n>>8), byte(n))
	case n < 0x10000000:
		return append(dst, byte(n>>24)|0xE0, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0xF0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// appendWord appends one framed word.
func appendWord(dst []byte, word string) []byte {
	dst = appendLength(dst, len(word))
	return append(dst, word...)
}

// EncodeSentence frames words as one sentence (tests and tools use it to speak raw protocol).
func EncodeSentence(words ...string) []byte {
	var b []byte
	for _, w := range words {
		b = appendWord(b, w)
	}
	return append(b, 0)
}

// readLength decodes one length prefix.
func readLength(r io.ByteReader) (int, error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	var extra int
	var n uint64
	switch {
	case first < 0x80:
		return int(first), nil
	case first < 0xC0:
		extra, n = 1, uint64(first&0x3F)
	case first < 0xE0:
		extra, n = 2, uint64(first&0x1F)
	case first < 0xF0:
		extra, n = 3, uint64(first&0x0F)
	case first < 0xF8:
		// 0xF0 is the only defined five-byte form; 0xF1..0xF7 carry no length bits either.
		extra, n = 4, 0
	default:
		return 0, errReservedLength
	}
	for i := 0; i < extra; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
		n = n<<8 | uint64(b)
	}
	if n > maxWordLength {
		return 0, &ProtocolError{Reason: fmt.Sprintf("word of %d bytes is longer than the %d allowed", n, maxWordLength)}
	}
	return int(n), nil
}

// unexpected turns a clean EOF inside a word or sentence into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadSentence reads one sentence and returns its words (without the terminating empty
// word). io.EOF means the peer closed cleanly between sentences; a framing violation is a
// *ProtocolError.
func ReadSentence(r *bufio.Reader) ([]string, error) {
	var words []string
	var total int
	var buf bytes.Buffer
	for {
		n, err := readLength(r)
		if err != nil {
			if errors.Is(err, errReservedLength) {
				return nil, &ProtocolError{Reason: "reserved control byte instead of a word length"}
			}
			if len(words) > 0 {
				return nil, unexpected(err)
			}
			return nil, err
		}
		if n == 0 {
			return words, nil
		}
		total += n
		if total > maxSentenceBytes {
			return nil, &ProtocolError{Reason: "sentence too long"}
		}
		if len(words) == maxSentenceWords {
			return nil, &ProtocolError{Reason: "too many words in a sentence"}
		}
		// Copy through a buffer that grows with the bytes actually received, so a length
		// prefix announcing megabytes that never come costs nothing.
		buf.Reset()
		if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
			return nil, unexpected(err)
		}
		words = append(words, buf.String())
	}
}
