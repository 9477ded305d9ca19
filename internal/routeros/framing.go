package routeros

import (
	"fmt"
	"io"
)

// maxWordLength bounds one word of a reply. go-routeros allocates whatever length a prefix
// announces before reading the word, so garbage on the wire could make it allocate up to
// 4 GiB; no real reply word (even a script's source) comes near this.
const maxWordLength = 16 << 20

// maxReplyWordLength bounds the first word of a reply sentence (!re, !done, !trap, !fatal,
// !empty, and room for reply types newer RouterOS may add).
const maxReplyWordLength = 16

// maxFatalReason bounds how much of a !fatal reason is kept for the error message.
const maxFatalReason = 256

// FramingError is something no router sends: a reserved control byte or a word too long to
// be real where a length belongs, or a sentence that does not start with a reply word (!re,
// !done, ...) or has a word that is not an attribute. The stream cannot be trusted after it.
type FramingError struct {
	Offset int64 // byte offset of the prefix in the stream
	Detail string
}

func (e *FramingError) Error() string {
	return fmt.Sprintf("malformed RouterOS reply at byte %d: %s", e.Offset, e.Detail)
}

// frameGuard sits between the connection and go-routeros's reader and follows the word
// framing of everything the router sends, skipping over word contents. It stops the stream
// at the first impossible length prefix, before the library acts on it (and allocates what
// the prefix says), and at the first byte of a word that cannot start it, so garbage is
// called garbage even when the router closes before a whole word arrives (the library would
// only see the connection end). It also remembers the
// reason the router gives after !fatal: go-routeros reports that sentence only as a parse
// error ("invalid RouterOS sentence word") without saying the router ended the session.
type frameGuard struct {
	r io.Reader

	received int64 // bytes read from the router so far
	err      error // sticky: once the stream is broken it stays broken

	prefixLeft int    // bytes of the current length prefix still to read
	length     uint64 // length being decoded
	prefixAt   int64  // offset of the current prefix, for the error message
	wordLeft   uint64 // bytes of the current word still to skip
	wordIndex  int    // position of the current word in its sentence

	firstWord   [8]byte // start of the sentence's first word ("!re", "!fatal")
	firstLen    int
	inFatal     bool   // the current sentence is a !fatal
	fatalReason []byte // the word that follows !fatal
	sawFatal    bool
}

func newFrameGuard(r io.Reader) *frameGuard { return &frameGuard{r: r} }

// Fatal reports whether the router sent !fatal, and the reason it gave.
func (g *frameGuard) Fatal() (reason string, ok bool) {
	return string(g.fatalReason), g.sawFatal
}

func (g *frameGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if n > 0 {
		if ferr := g.follow(p[:n]); ferr != nil {
			g.err = ferr
			return 0, ferr
		}
	}
	return n, err
}

// follow advances the framing state over bytes just read.
func (g *frameGuard) follow(b []byte) error {
	for i := 0; i < len(b); {
		if g.wordLeft > 0 {
			if g.wordLeft == g.length {
				if err := g.checkWordStart(b[i]); err != nil {
					return err
				}
			}
			n := uint64(len(b) - i)
			if n > g.wordLeft {
				n = g.wordLeft
			}
			g.capture(b[i : i+int(n)])
			g.wordLeft -= n
			i += int(n)
			g.received += int64(n)
			if g.wordLeft == 0 {
				g.endWord()
			}
			continue
		}
		c := b[i]
		i++
		g.received++
		if g.prefixLeft > 0 {
			g.length = g.length<<8 | uint64(c)
			g.prefixLeft--
		} else {
			g.prefixAt = g.received - 1
			switch {
			case c < 0x80:
				g.length = uint64(c)
			case c < 0xC0:
				g.length, g.prefixLeft = uint64(c&0x3F), 1
			case c < 0xE0:
				g.length, g.prefixLeft = uint64(c&0x1F), 2
			case c < 0xF0:
				g.length, g.prefixLeft = uint64(c&0x0F), 3
			case c < 0xF8:
				// 0xF0 then four length bytes (go-routeros reads 0xF1-0xF7 the same way).
				g.length, g.prefixLeft = 0, 4
			default:
				return &FramingError{Offset: g.prefixAt, Detail: fmt.Sprintf("reserved control byte 0x%02X where a word length was expected", c)}
			}
		}
		if g.prefixLeft > 0 {
			continue
		}
		if g.length > maxWordLength {
			return &FramingError{Offset: g.prefixAt, Detail: fmt.Sprintf("word length %d is over the %d byte limit", g.length, maxWordLength)}
		}
		if g.length == 0 {
			g.endSentence()
			continue
		}
		if g.wordIndex == 0 && g.length > maxReplyWordLength {
			return &FramingError{Offset: g.prefixAt, Detail: fmt.Sprintf("a sentence starting with a word of %d bytes, not a reply word like !re or !done", g.length)}
		}
		g.wordLeft = g.length
	}
	return nil
}

// checkWordStart checks the first byte of a word: a sentence starts with a reply word (!re),
// and the words after it are attributes (=name=value) or API attributes (.tag=x), except
// the bare reason that follows !fatal.
func (g *frameGuard) checkWordStart(c byte) error {
	switch {
	case g.wordIndex == 0 && c != '!':
		return &FramingError{Offset: g.received, Detail: fmt.Sprintf("a sentence starting with byte 0x%02X, not a reply word like !re or !done", c)}
	case g.wordIndex > 0 && !g.inFatal && c != '=' && c != '.':
		return &FramingError{Offset: g.received, Detail: fmt.Sprintf("a word starting with byte 0x%02X, not an attribute (=name=value)", c)}
	}
	return nil
}

// capture keeps the bytes needed to recognise !fatal and its reason.
func (g *frameGuard) capture(b []byte) {
	switch {
	case g.wordIndex == 0:
		g.firstLen += copy(g.firstWord[g.firstLen:], b)
	case g.inFatal && g.wordIndex == 1:
		room := maxFatalReason - len(g.fatalReason)
		if room > len(b) {
			room = len(b)
		}
		g.fatalReason = append(g.fatalReason, b[:room]...)
	}
}

func (g *frameGuard) endWord() {
	if g.wordIndex == 0 && string(g.firstWord[:g.firstLen]) == "!fatal" && g.length == 6 {
		g.inFatal, g.sawFatal = true, true
	}
	g.wordIndex++
}

func (g *frameGuard) endSentence() {
	g.wordIndex, g.firstLen, g.inFatal = 0, 0, false
}
