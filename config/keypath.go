package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Key paths name a setting the way an operator finds it in the file: `mikrotik[1].address`,
// `mikrotik[0].labels.unit`. Keys that are not plain words are quoted: `labels["my key"]`.

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// keyPath is the path of key inside the mapping at parent.
func keyPath(parent, key string) string {
	if !plainKey.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath is the path of the i-th item of the list at parent.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// parentPath is the path of the mapping or list that holds path; ok is false at the root.
// It only needs to climb over plain keys and indexes: quoted keys are leaves (map entries).
func parentPath(path string) (parent string, ok bool) {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return "", path != ""
	}
	return path[:i], true
}

// describeNode says in a few words what the operator wrote, for "expected X, got Y".
func describeNode(n *yaml.Node) string {
	n = resolveAlias(n)
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	const limit = 40
	value := n.Value
	if utf8.RuneCountInString(value) > limit {
		value = string([]rune(value)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", value)
}

// resolveAlias follows *alias references to the node they name.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge"
}
