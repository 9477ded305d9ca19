package config

import (
	"errors"
	"os"
	"strings"
)

// inlinePassword is refused with its own message: a config file is shared, committed and
// shown on /config, so secrets must come from a file or the environment.
const inlinePassword = "inline passwords are not accepted: put it in a file (password_file) or the environment (password_env)"

// password resolves a target's password from exactly one of password_file and password_env
// under path. file is rewritten to the path actually read.
func (c *checker) password(path string, file *string, env string) Secret {
	filePath, envPath := path+".password_file", path+".password_env"
	hasFile := *file != "" || c.present(filePath)
	hasEnv := env != "" || c.present(envPath)
	switch {
	case hasFile && hasEnv:
		c.report(envPath, "set only one of password_file and password_env")
		return ""
	case hasFile:
		return c.passwordFromFile(filePath, file)
	case hasEnv:
		return c.passwordFromEnv(envPath, env)
	}
	if c.intended[envPath] {
		return "" // a typo of password_env is already reported
	}
	c.missing(filePath, "required: set password_file (a file holding the password) or password_env (an environment variable holding it)")
	return ""
}

// ReadSecretFile reads a secret kept in a file, as the exporter reads its passwords: a
// regular file (a FIFO would hang the reader) of at most 64 KiB, its line end dropped.
// ronda-webhook reads its tokens with it. The error says why in words (fileErrorReason).
func ReadSecretFile(path string) (Secret, error) {
	data, err := readSmallFile(path, maxPasswordFileSize)
	if err != nil {
		return "", errors.New(fileErrorReason(err))
	}
	return Secret(trimLineEnd(string(data))), nil
}

// SecretFromEnv is a secret kept in an environment variable's value, its line end dropped
// as a file's is.
func SecretFromEnv(value string) Secret { return Secret(trimLineEnd(value)) }

func (c *checker) passwordFromFile(path string, file *string) Secret {
	if *file == "" {
		c.report(path, "must name a file")
		return ""
	}
	*file = c.resolve(*file)
	secret, err := ReadSecretFile(*file)
	if err != nil {
		c.report(path, "cannot read password file %s: %s", *file, err)
		return ""
	}
	return secret
}

// trimLineEnd drops one line ending (\n or \r\n) that is not part of a secret: editors and
// `echo pw > file` end a file with one, and so do variables filled from such a file (a
// Kubernetes secret made with --from-file, an env file saved on Windows). A password file
// and a password variable holding the same text must give the same password.
func trimLineEnd(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

func (c *checker) passwordFromEnv(path, name string) Secret {
	if name == "" {
		c.report(path, "must name an environment variable")
		return ""
	}
	// An empty password is allowed, but only when the variable is set on purpose: an unset
	// one is far more often a missing export than a router without a password.
	value, ok := os.LookupEnv(name)
	if !ok {
		c.report(path, "environment variable %s is not set", name)
		return ""
	}
	return SecretFromEnv(value)
}
