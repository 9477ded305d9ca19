package routeros

import (
	"context"
	"strconv"
	"strings"

	"github.com/go-routeros/routeros/v3/proto"

	"github.com/rondanet/ronda/collector/failure"
)

// Print runs PATH/print asking only for the properties in proplist (RouterOS prints are
// much slower without .proplist, and fields not named are not sent), with optional query
// words (?name=x), and returns the !re sentences.
func (c *Conn) Print(ctx context.Context, path string, proplist []string, query ...string) ([]*proto.Sentence, error) {
	words := make([]string, 0, 2+len(query))
	words = append(words, path+"/print")
	if len(proplist) > 0 {
		words = append(words, "=.proplist="+strings.Join(proplist, ","))
	}
	words = append(words, query...)
	reply, err := c.Run(ctx, words...)
	if err != nil {
		return nil, err
	}
	return reply.Re, nil
}

// CountOnly runs PATH/print =count-only= and returns the number of entries, without the
// router sending any of them.
func (c *Conn) CountOnly(ctx context.Context, path string, query ...string) (int, error) {
	words := make([]string, 0, 2+len(query))
	words = append(words, path+"/print", "=count-only=")
	words = append(words, query...)
	reply, err := c.Run(ctx, words...)
	if err != nil {
		return 0, err
	}
	ret := ""
	if reply.Done != nil {
		ret = reply.Done.Map["ret"]
	}
	n, err := strconv.Atoi(ret)
	if err != nil || n < 0 {
		return 0, failure.Failf(failure.Protocol, "%s %s/print =count-only=: want a count in !done =ret=, got %q", c.address, path, ToUTF8(ret))
	}
	return n, nil
}
