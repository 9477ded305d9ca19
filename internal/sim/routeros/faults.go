package routeros

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"time"
)

// waitOutStall blocks while FaultStall is set, the way a hung router keeps the TCP
// connection open and reads but never answers. It returns the fault to apply once the stall
// ends, or false when the connection went away meanwhile.
func (c *conn) waitOutStall() (Fault, bool) {
	for {
		fault, changed := c.r.faultState()
		if fault != FaultStall {
			return fault, true
		}
		select {
		case <-changed:
		case <-c.done:
			return FaultNone, false
		case <-c.readerGone:
			return FaultNone, false // the peer closed (typically after its own timeout)
		}
	}
}

// writeRaw sends bytes as they are and flushes them.
func (c *conn) writeRaw(b []byte) {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	c.bw.Write(b)
	c.bw.Flush()
}

// malformedLengthReply starts a reply with 0xF8, a reserved control byte that no length
// prefix may begin with, followed by what would have been a !done.
func malformedLengthReply() []byte {
	return append([]byte{0xF8}, EncodeSentence("!done")...)
}

// garbageReply is random bytes that do not form a sentence. The first byte is a text
// character announcing a word longer than the rest, so no client can read it as a reply.
func garbageReply() []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	b[0] = 'H' // 72 bytes announced, 63 sent
	return b
}

// dropMidReply runs the command but sends only part of its reply: the sentences before
// the middle word, then half of that word. The caller closes the connection.
func (c *conn) dropMidReply(words []string) {
	var full bytes.Buffer
	c.bw.Reset(&full)
	c.execute(words)
	c.bw.Flush()
	c.bw.Reset(c.nc)
	c.writeRaw(full.Bytes()[:cutMidWord(full.Bytes())])
}

// cutMidWord returns an offset inside the middle non-empty word of an encoded reply, past
// its length prefix and half of its bytes.
func cutMidWord(reply []byte) int {
	type span struct{ body, size int }
	var spans []span
	br := bufio.NewReader(bytes.NewReader(reply))
	offset := 0
	for {
		n, err := readLength(br)
		if err != nil {
			break
		}
		prefix := len(appendLength(nil, n))
		offset += prefix
		if n > 0 {
			spans = append(spans, span{offset, n})
		}
		if _, err := br.Discard(n); err != nil {
			break
		}
		offset += n
	}
	if len(spans) == 0 {
		return len(reply) / 2
	}
	mid := spans[len(spans)/2]
	return mid.body + mid.size/2
}
