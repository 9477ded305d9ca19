package config

import (
	"fmt"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Load reads and checks a config file. Any problem, including an unreadable file, is
// returned as an *Error.
func Load(filename string) (*Config, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, newError(filename, []Problem{{Message: "cannot read the config file: " + fileErrorReason(err)}})
	}
	return Parse(data, filename)
}

// Parse reads and checks a config. filename names it in messages, and relative paths in it
// (password_file, ca_file) resolve against filename's folder. A config with no targets is
// valid: an exporter with nothing to scrape yet.
func Parse(data []byte, filename string) (*Config, error) {
	root, problems := parseYAML(data)
	if len(problems) > 0 {
		return nil, newError(filename, problems)
	}
	cfg := &Config{filename: filename}
	d := newDecoder()
	if root != nil {
		d.decode(root, reflect.ValueOf(cfg).Elem(), "")
	}
	cfg.lines = d.lines

	c := newChecker(filename, d)
	targets := cfg.placedTargets()
	c.checkCommon(targets)
	for _, t := range targets {
		t.cfg.check(c, t.path)
	}
	cfg.checkProbeModules(c)
	if problems := append(d.problems, c.problems...); len(problems) > 0 {
		return nil, newError(filename, problems)
	}
	for _, t := range targets {
		t.cfg.applyDefaults()
	}
	cfg.applyProbeModuleDefaults()
	return cfg, nil
}

// parseYAML parses data into a node tree, or says where its syntax is wrong. root is nil
// for an empty file.
func parseYAML(data []byte) (root *yaml.Node, problems []Problem) {
	defer func() {
		// yaml.v3 has panicked on odd input before; a bad file must never crash the exporter.
		if r := recover(); r != nil {
			root, problems = nil, []Problem{{Message: fmt.Sprintf("cannot parse the file as YAML: %v", r)}}
		}
	}()
	documents, err := readDocuments(data)
	if err != nil {
		return nil, []Problem{syntaxProblem(data, err)}
	}
	for _, extra := range documents[min(1, len(documents)):] {
		// yaml.v3 would read the first document and silently ignore the rest.
		if documentRoot(extra) != nil {
			return nil, []Problem{{Line: extra.Line, Message: "a second YAML document (after ---) is not allowed: put every setting in one"}}
		}
	}
	if len(documents) == 0 {
		return nil, nil
	}
	return documentRoot(documents[0]), nil
}

// documentRoot is the top node of a document, or nil when the document is empty.
func documentRoot(document *yaml.Node) *yaml.Node {
	root := document
	if document.Kind == yaml.DocumentNode {
		if len(document.Content) == 0 {
			return nil
		}
		root = document.Content[0]
	}
	if isNull(root) {
		return nil
	}
	return root
}
