package routeros

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// Queries filter a print. Each query word pushes one boolean per item onto a stack; ?# words
// combine stack values; at the end every value left on the stack must be true (an empty
// stack matches everything). This follows the RouterOS API documentation:
//
//	?name=x  the item has name equal to x      ?name   the item has name
//	?-name   the item does not have name        ?<name=x / ?>name=x  less / greater than x
//	?#ops    ! negates the top value, & and | pop two values and push their and / or,
//	         . does nothing, a number N pushes a copy of the value N places below the top
//	         (0 is the top) or, at the end of the word, replaces the whole stack with it.

type queryKind byte

const (
	queryEquals queryKind = iota
	queryHas
	queryHasNot
	queryLess
	queryGreater
	queryStack
)

type queryStep struct {
	kind  queryKind
	name  string
	value string
	ops   []stackOp // queryStack only
}

type stackOp struct {
	op    byte // '!', '&', '|', 'p' (push copy), 'r' (replace stack)
	index int
}

type query struct {
	steps []queryStep
	stack []bool // reused between items
	value []byte // scratch for field values
}

var errBadQuery = errors.New("invalid query")

// compileQuery parses the query words and checks the stack never underflows (the stack
// depth at each step does not depend on the item, so one dry run proves it).
func compileQuery(words []string) (*query, error) {
	q := &query{}
	depth := 0
	for _, w := range words {
		var st queryStep
		switch {
		case strings.HasPrefix(w, "#"):
			st.kind = queryStack
			ops, d, err := parseStackOps(w[1:], depth)
			if err != nil {
				return nil, err
			}
			st.ops, depth = ops, d
			q.steps = append(q.steps, st)
			continue
		case strings.HasPrefix(w, "-"):
			st.kind, st.name = queryHasNot, w[1:]
		case strings.HasPrefix(w, "<"):
			st.kind = queryLess
			st.name, st.value, _ = strings.Cut(w[1:], "=")
		case strings.HasPrefix(w, ">"):
			st.kind = queryGreater
			st.name, st.value, _ = strings.Cut(w[1:], "=")
		default:
			// Some clients write ?=name=x; it means the same as ?name=x.
			name, value, found := strings.Cut(strings.TrimPrefix(w, "="), "=")
			st.name, st.value = name, value
			st.kind = queryEquals
			if !found {
				st.kind = queryHas
			}
		}
		if st.name == "" {
			return nil, errBadQuery
		}
		depth++
		q.steps = append(q.steps, st)
	}
	return q, nil
}

func parseStackOps(s string, depth int) ([]stackOp, int, error) {
	var ops []stackOp
	for i := 0; i < len(s); {
		if s[i] >= '0' && s[i] <= '9' {
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(s[i:j])
			if err != nil || n >= depth {
				return nil, 0, errBadQuery
			}
			if j == len(s) {
				ops = append(ops, stackOp{op: 'r', index: n})
				depth = 1
			} else {
				ops = append(ops, stackOp{op: 'p', index: n})
				depth++
			}
			i = j
			continue
		}
		switch s[i] {
		case '!':
			if depth < 1 {
				return nil, 0, errBadQuery
			}
		case '&', '|':
			if depth < 2 {
				return nil, 0, errBadQuery
			}
			depth--
		case '.':
			i++
			continue
		default:
			return nil, 0, errBadQuery
		}
		ops = append(ops, stackOp{op: s[i]})
		i++
	}
	return ops, depth, nil
}

// match reports whether rec passes the query.
func (q *query) match(rec record) bool {
	if len(q.steps) == 0 {
		return true
	}
	stack := q.stack[:0]
	for i := range q.steps {
		st := &q.steps[i]
		if st.kind == queryStack {
			stack = applyStackOps(stack, st.ops)
			continue
		}
		var ok bool
		q.value, ok = rec.appendField(q.value[:0], st.name)
		var v bool
		switch st.kind {
		case queryEquals:
			v = ok && string(q.value) == st.value
		case queryHas:
			v = ok
		case queryHasNot:
			v = !ok
		case queryLess:
			v = ok && compareValues(q.value, st.value) < 0
		case queryGreater:
			v = ok && compareValues(q.value, st.value) > 0
		}
		stack = append(stack, v)
	}
	q.stack = stack
	for _, v := range stack {
		if !v {
			return false
		}
	}
	return true
}

func applyStackOps(stack []bool, ops []stackOp) []bool {
	for _, op := range ops {
		top := len(stack) - 1
		switch op.op {
		case '!':
			stack[top] = !stack[top]
		case '&':
			stack[top-1] = stack[top-1] && stack[top]
			stack = stack[:top]
		case '|':
			stack[top-1] = stack[top-1] || stack[top]
			stack = stack[:top]
		case 'p':
			stack = append(stack, stack[top-op.index])
		case 'r':
			v := stack[top-op.index]
			stack = append(stack[:0], v)
		}
	}
	return stack
}

// compareValues orders a field value against a query value: as integers when both are
// integers, as durations when both are RouterOS durations, as strings otherwise.
func compareValues(field []byte, want string) int {
	if a, err := strconv.ParseInt(string(field), 10, 64); err == nil {
		if b, err := strconv.ParseInt(want, 10, 64); err == nil {
			return cmpInt(a, b)
		}
	}
	if len(field) > 0 && want != "" {
		if a, err := ParseDuration(string(field)); err == nil {
			if b, err := ParseDuration(want); err == nil {
				return cmpInt(int64(a), int64(b))
			}
		}
	}
	return bytes.Compare(field, []byte(want))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
