package routeros

import "strings"

// request is one command sentence, split into its kinds of words.
type request struct {
	command     string
	args        []arg // =name=value, in order
	tag         string
	proplist    []string
	hasProplist bool
	queries     []string // the words after '?'
	stray       string   // the first word that is none of the above
}

type arg struct{ name, value string }

func parseRequest(words []string) request {
	req := request{command: words[0]}
	for _, w := range words[1:] {
		switch {
		case strings.HasPrefix(w, "=.proplist="):
			req.setProplist(w[len("=.proplist="):])
		case strings.HasPrefix(w, ".proplist="):
			req.setProplist(w[len(".proplist="):])
		case strings.HasPrefix(w, ".tag="):
			req.tag = w[len(".tag="):]
		case strings.HasPrefix(w, "="):
			name, value, _ := strings.Cut(w[1:], "=")
			req.args = append(req.args, arg{name, value})
		case strings.HasPrefix(w, "?"):
			req.queries = append(req.queries, w[1:])
		default:
			if req.stray == "" {
				req.stray = w
			}
		}
	}
	return req
}

func (req *request) setProplist(list string) {
	req.hasProplist = true
	req.proplist = req.proplist[:0]
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			req.proplist = append(req.proplist, p)
		}
	}
}

// arg returns the value of =name=value.
func (req *request) arg(name string) (string, bool) {
	for _, a := range req.args {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}
