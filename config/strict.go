package config

import "reflect"

// DecodeStrict decodes a YAML file into out (a pointer to a struct with yaml tags) under the
// rules ronda-exporter's own file follows: unknown keys are errors with a "did you mean",
// wrong types name the key path, and every problem is reported at once. It is the entry point
// for ronda's other binaries (ronda-webhook), which have their own files and checks but
// should not read differently. lines maps each key path met (`channels[0].chat_ids`) to its
// line, so the caller's own checks can point at the right line; a returned error is *Error.
func DecodeStrict(data []byte, filename string, out any) (lines map[string]int, err error) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic("config.DecodeStrict: out must be a non-nil pointer to a struct")
	}
	root, problems := parseYAML(data)
	if len(problems) > 0 {
		return nil, newError(filename, problems)
	}
	d := newDecoder()
	if root != nil {
		d.decode(root, v.Elem(), "")
	}
	if len(d.problems) > 0 {
		return d.lines, newError(filename, d.problems)
	}
	return d.lines, nil
}

// NewError builds the *Error for problems found in filename, sorted by line.
func NewError(filename string, problems []Problem) *Error { return newError(filename, problems) }
