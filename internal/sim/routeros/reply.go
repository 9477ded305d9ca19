package routeros

import (
	"bufio"
	"strconv"
)

// replyWriter frames reply sentences straight into a buffered writer: no word is built as a
// string first, so a print of 10,000 users costs no allocation per word. Write errors stick
// in the bufio.Writer and surface at Flush.
type replyWriter struct {
	w      *bufio.Writer
	tag    string // echoed as .tag=x on every sentence of the reply
	prefix [5]byte
}

func (rw *replyWriter) length(n int) {
	rw.w.Write(appendLength(rw.prefix[:0], n))
}

// word writes one word.
func (rw *replyWriter) word(s string) {
	rw.length(len(s))
	rw.w.WriteString(s)
}

// attr writes =key=value.
func (rw *replyWriter) attr(key string, value []byte) {
	rw.length(2 + len(key) + len(value))
	rw.w.WriteByte('=')
	rw.w.WriteString(key)
	rw.w.WriteByte('=')
	rw.w.Write(value)
}

// attrString writes =key=value.
func (rw *replyWriter) attrString(key, value string) {
	rw.length(2 + len(key) + len(value))
	rw.w.WriteByte('=')
	rw.w.WriteString(key)
	rw.w.WriteByte('=')
	rw.w.WriteString(value)
}

// end writes the tag (if any) and the empty word that ends a sentence.
func (rw *replyWriter) end() {
	if rw.tag != "" {
		rw.length(len(".tag=") + len(rw.tag))
		rw.w.WriteString(".tag=")
		rw.w.WriteString(rw.tag)
	}
	rw.w.WriteByte(0)
}

// done writes !done, the last sentence of every reply.
func (rw *replyWriter) done() {
	rw.word("!done")
	rw.end()
}

// doneRet writes !done =ret=value (count-only prints, legacy login challenge).
func (rw *replyWriter) doneRet(value string) {
	rw.word("!done")
	rw.attrString("ret", value)
	rw.end()
}

// noCategory leaves =category= out of a !trap, as RouterOS does for most errors.
const noCategory = -1

// Trap categories from the API documentation.
const (
	categoryMissingItem = 0 // missing item or command
	categoryArgument    = 1 // argument value failure
)

// trap writes !trap (with its category when not noCategory) followed by !done: RouterOS
// always ends a failed command's reply with !done, and go-routeros waits for it.
func (rw *replyWriter) trap(category int, message string) {
	rw.word("!trap")
	if category != noCategory {
		var b [4]byte
		rw.attr("category", strconv.AppendInt(b[:0], int64(category), 10))
	}
	rw.attrString("message", message)
	rw.end()
	rw.done()
}
