package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills a Go value from a yaml.Node tree, led by the value's type (reflection over
// the yaml struct tags), and keeps going after a mistake so that every problem in the file
// is reported at once. yaml.v3 cannot do this for us: Node.Decode ignores KnownFields, so
// unknown keys would pass silently, and its messages ("cannot unmarshal !!seq into string")
// name no key path and are written for programmers. Walking the tree ourselves also gives
// the line of every key path, which the checks after decoding need.
type decoder struct {
	// lines maps the path of every key (and list item) met to its line.
	lines    map[string]int
	problems []Problem
	// empty holds the paths of keys written with no value (`timeout:`), which count as unset.
	empty map[string]bool
	// settled holds paths whose value could not be read; later checks skip them and
	// everything under them, so one mistake is reported once.
	settled map[string]bool
	// intended holds the settings that an unknown key was most likely meant to set
	// (`adress` → `address`): they are not reported missing on top of the typo.
	intended map[string]bool
	// budget bounds the work: anchors and merge keys can make a small file expand
	// exponentially ("billion laughs"), and a config is never that big.
	budget    int
	exhausted bool
}

const (
	decodeBudget  = 1_000_000
	maxMergeDepth = 32
)

func newDecoder() *decoder {
	return &decoder{
		lines: map[string]int{}, empty: map[string]bool{}, settled: map[string]bool{}, intended: map[string]bool{}, budget: decodeBudget}
}

func (d *decoder) report(line int, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Line: line, Key: path, Message: fmt.Sprintf(format, args...)})
}

// unreadable reports a value that could not be read and settles its path: it was left
// unset, and "required" or range checks on it would only repeat the same mistake.
func (d *decoder) unreadable(line int, path, format string, args ...any) {
	d.report(line, path, format, args...)
	d.settled[path] = true
}

// spend takes one unit of work from the budget and says whether decoding may go on.
func (d *decoder) spend(line int) bool {
	if d.exhausted {
		return false
	}
	d.budget--
	if d.budget < 0 {
		d.exhausted = true
		d.unreadable(line, "", "the file expands to too much data (anchors and aliases repeated too often)")
		return false
	}
	return true
}

// decode stores what n says into v (which must be settable), reporting problems under path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n == nil || !d.spend(n.Line) {
		return
	}
	if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() != reflect.Struct && isNull(n) {
		// A pointer to a single value (`follow_redirects: *bool`) only tells unset from
		// false: written empty it is unset, the default, like any other empty key.
		v.SetZero()
		d.empty[path] = true
		return
	}
	if v.Kind() == reflect.Pointer {
		// A key that is present makes its pointer to settings non-nil even when empty:
		// `tls:` alone means "use TLS with the defaults", which is what an operator writing
		// it expects.
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !isNull(n) {
			d.decode(n, v.Elem(), path)
		}
		return
	}
	if isNull(n) {
		v.SetZero() // `key:` with nothing after it leaves the setting unset (its default).
		d.empty[path] = true
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := n.Decode(u); err != nil {
			d.unreadable(n.Line, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeList(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.unreadable(n.Line, path, "expected %s, got %s", expectation(v.Type()), describeNode(n))
		return
	}
	fields := fieldsOf(v.Type())
	for _, p := range d.pairs(n, path, 0) {
		key := p.key.Value
		child := keyPath(path, key)
		index, known := fields.byName[key]
		if !known {
			d.unknownKey(p.key, v.Type(), fields, path, child)
			continue
		}
		d.lines[child] = p.key.Line
		d.decode(p.value, v.FieldByIndex(index), child)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
		d.unreadable(n.Line, path, "expected %s, got %s", expectation(v.Type()), describeNode(n))
		return
	}
	for _, p := range d.pairs(n, path, 0) {
		// Made on the first entry: `labels: {}` stays nil, like no labels at all.
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		child := keyPath(path, p.key.Value)
		d.lines[child] = p.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, elem, child)
		v.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.unreadable(n.Line, path, "expected %s, got %s", expectation(v.Type()), describeNode(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero() // `mikrotik: []` is the same as no mikrotik section
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		child := indexPath(path, i)
		d.lines[child] = item.Line
		d.decode(item, list.Index(i), child)
	}
	v.Set(list)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.unreadable(n.Line, path, "expected %s, got %s", expectation(v.Type()), describeNode(n))
		return
	}
	ok := true
	switch v.Kind() {
	case reflect.String:
		// Any scalar is text: `latitude: -6.9` and `name: 42` mean the characters written.
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		b, ok = parseBool(n.Value)
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		ok = err == nil
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 0, v.Type().Bits())
		ok = err == nil
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, v.Type().Bits())
		ok = err == nil
		v.SetFloat(f)
	default:
		// Only reachable if a new config type uses a kind this decoder does not know.
		d.unreadable(n.Line, path, "cannot be read: settings of type %s are not supported", v.Type())
		return
	}
	if !ok {
		v.SetZero()
		d.unreadable(n.Line, path, "expected %s, got %s", expectation(v.Type()), describeNode(n))
	}
}

// parseBool accepts YAML 1.2 booleans and, like yaml.v3, the YAML 1.1 yes/no/on/off that
// older configs and tutorials use.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

// expectation names a Go type in an operator's words.
func expectation(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping of settings (key: value)"
	case reflect.Map:
		return "a mapping of names to values (name: value)"
	case reflect.Slice:
		return "a list (lines starting with -)"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}
