package hostparse

import "strings"

// Uname is what node_uname_info labels: the fields of uname(2).
type Uname struct {
	Sysname, Nodename, Release, Version, Machine, Domainname string
}

// ParseUname reads the script's uname section: key=value lines with the kernel's
// /proc/sys/kernel/{ostype,hostname,osrelease,version,domainname} and `uname -m` as
// machine. These are exactly the strings uname(2) returns, read without a fork each;
// `uname -a` would mix them on one line where the version's spaces make them ambiguous.
func ParseUname[T Text](b T) (Uname, []Problem) {
	text := string(b) // one copy, or none for a string
	var u Uname
	var problems []Problem
	eachLine(text, func(n int, line string) {
		if line == "" {
			return
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			problems = append(problems, problem(Malformed, n, "uname line %s", quote(line)))
			return
		}
		value = strings.TrimSpace(value)
		switch key {
		case "ostype":
			u.Sysname = value
		case "hostname":
			u.Nodename = value
		case "osrelease":
			u.Release = value
		case "version":
			u.Version = value
		case "machine":
			u.Machine = value
		case "domainname":
			u.Domainname = value
		}
	})
	if u.Sysname == "" || u.Release == "" {
		problems = append(problems, problem(Missing, 0, "no kernel name or release"))
	}
	return u, problems
}
