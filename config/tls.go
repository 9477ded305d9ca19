package config

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// checkTLS checks the tls section under path and resolves its ca_file.
func (c *checker) checkTLS(path string, t *TLSConfig) {
	if t == nil {
		return
	}
	caPath := path + ".ca_file"
	if t.CAFile == "" {
		if c.present(caPath) {
			c.report(caPath, "must name a file (leave it out to use the system's CAs)")
		}
		return
	}
	t.CAFile = c.resolve(t.CAFile)
	data, err := readSmallFile(t.CAFile, maxCAFileSize)
	if err != nil {
		c.report(caPath, "cannot read CA file %s: %s", t.CAFile, fileErrorReason(err))
		return
	}
	if reason := checkPEMCertificates(data); reason != "" {
		c.report(caPath, "%s is not a valid CA bundle: %s", t.CAFile, reason)
	}
	t.caDigest = sha256.Sum256(data)
}

// checkPEMCertificates says what is wrong with a PEM bundle, or "" when it holds one or more
// certificates and nothing else. Stricter than x509.CertPool.AppendCertsFromPEM, which
// accepts a file if any one block parses: a key or a truncated certificate in a CA file is
// a mistake worth stopping for.
func checkPEMCertificates(data []byte) string {
	count := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		count++
		if block.Type != "CERTIFICATE" {
			return fmt.Sprintf("block %d is a %s, not a CERTIFICATE", count, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Sprintf("certificate %d cannot be parsed: %v", count, err)
		}
	}
	if count == 0 {
		return "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"
	}
	return ""
}
