package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// pair is one key: value of a mapping, after merge keys (<<) are applied.
type pair struct{ key, value *yaml.Node }

// pairs lists the entries of mapping n: keys merged in with `<<: *anchor` first (unless the
// mapping sets them itself, which wins, as YAML says), then the mapping's own keys.
// Duplicate keys and keys that are not plain scalars are reported and left out.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var own, merged []pair
	var sources []*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := resolveAlias(n.Content[i]), n.Content[i+1]
		if key == nil || !d.spend(n.Line) {
			return nil
		}
		switch {
		case isMergeKey(key):
			sources = append(sources, value)
		case key.Kind != yaml.ScalarNode:
			d.report(key.Line, path, "keys must be plain names, got %s", describeNode(key))
		case seen[key.Value] != 0:
			d.report(key.Line, keyPath(path, key.Value), "duplicate key: already set on line %d", seen[key.Value])
		default:
			seen[key.Value] = key.Line
			own = append(own, pair{key, value})
		}
	}
	for _, source := range sources {
		for _, p := range d.mergeSource(source, path, depth) {
			if seen[p.key.Value] == 0 {
				seen[p.key.Value] = p.key.Line
				merged = append(merged, p)
			}
		}
	}
	return append(merged, own...)
}

// mergeSource lists the pairs that `<<: value` brings in: one mapping, or a list of
// mappings where the earlier ones win.
func (d *decoder) mergeSource(value *yaml.Node, path string, depth int) []pair {
	value = resolveAlias(value)
	if value == nil {
		return nil
	}
	if depth >= maxMergeDepth {
		d.unreadable(value.Line, path, "merge keys (<<) nested too deeply")
		return nil
	}
	switch value.Kind {
	case yaml.MappingNode:
		return d.pairs(value, path, depth+1)
	case yaml.SequenceNode:
		var all []pair
		for _, item := range value.Content {
			if item = resolveAlias(item); item == nil {
				continue
			}
			if item.Kind == yaml.MappingNode {
				all = append(all, d.pairs(item, path, depth+1)...)
				continue
			}
			d.unreadable(item.Line, path, "a merge (<<) takes a mapping or a list of mappings, got %s", describeNode(item))
		}
		return all
	}
	d.unreadable(value.Line, path, "a merge (<<) takes a mapping or a list of mappings, got %s", describeNode(value))
	return nil
}

// unknownKey reports a key the struct does not have, with the most useful hint: a message of
// the struct's own for keys it refuses on purpose (an inline password), else the closest
// known key, else the list of known keys.
func (d *decoder) unknownKey(key *yaml.Node, t reflect.Type, fields *structFields, path, child string) {
	if r, ok := reflect.Zero(t).Interface().(keyRefuser); ok {
		if refusal, ok := r.refusedKeys()[key.Value]; ok {
			d.report(key.Line, child, "%s", refusal.message)
			d.intended[keyPath(path, refusal.settles)] = true
			return
		}
	}
	if guess, ok := closest(key.Value, fields.names); ok {
		d.report(key.Line, child, "unknown key (did you mean %q?)", guess)
		d.intended[keyPath(path, guess)] = true
		return
	}
	d.report(key.Line, child, "unknown key (known keys here: %s)", strings.Join(fields.names, ", "))
}

// keyRefuser is implemented by config structs that refuse some keys with a message of
// their own instead of "unknown key".
type keyRefuser interface {
	refusedKeys() map[string]refusal
}

type refusal struct {
	message string
	// settles names the field this key was an attempt to set: it is not also reported missing.
	settles string
}

// structFields is what the decoder needs to know about a struct type's yaml keys.
type structFields struct {
	byName map[string][]int // yaml key → field index (a path through inlined structs)
	names  []string         // yaml keys in declaration order, for hints
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.(*structFields)
	}
	fields := &structFields{byName: map[string][]int{}}
	collectFields(t, nil, fields)
	fieldCache.Store(t, fields)
	return fields
}

// collectFields reads the yaml tags the way yaml.v3 does: `name,omitempty`, `-` to skip,
// `,inline` to flatten an embedded struct, no tag for the lowercased field name.
func collectFields(t reflect.Type, parent []int, into *structFields) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), parent...), i)
		if strings.Contains(flags, "inline") && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, index, into)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := into.byName[name]; dup {
			panic(fmt.Sprintf("config: %s has two fields for yaml key %q", t, name))
		}
		into.byName[name] = index
		into.names = append(into.names, name)
	}
}
