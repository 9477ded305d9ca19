package config

import (
	"maps"
	"time"
)

// Defaults for MikroTik targets, applied after a file is decoded and checked.
const (
	DefaultMikroTikTimeout = 10 * time.Second
	DefaultMikroTikPort    = "8728" // RouterOS API
	DefaultMikroTikTLSPort = "8729" // RouterOS api-ssl
)

func (t *MikroTikTarget) target() Target {
	return Target{
		Kind:    KindMikroTik,
		Name:    t.Name,
		Labels:  maps.Clone(t.Labels),
		Timeout: t.Timeout.orDefault(DefaultMikroTikTimeout),
	}
}

func (t *MikroTikTarget) common() (string, map[string]string, Duration) {
	return t.Name, t.Labels, t.Timeout
}

func (MikroTikTarget) refusedKeys() map[string]refusal {
	return map[string]refusal{"password": {message: inlinePassword, settles: "password_file"}}
}

func (t *MikroTikTarget) check(c *checker, path string) {
	if t.Address == "" {
		c.missing(path+".address", "required: the router's API address, host or host:port")
	} else if _, _, err := splitAddress(t.Address); err != nil {
		c.report(path+".address", "%q is not a valid address: %v", t.Address, err)
	}
	if t.Username == "" {
		c.missing(path+".username", "required: the RouterOS user ronda logs in as (a read-only group is enough)")
	}
	t.Password = c.password(path, &t.PasswordFile, t.PasswordEnv)
	switch t.HotspotUsers {
	case HotspotUsersAll, HotspotUsersLimited, HotspotUsersNone:
	default:
		if t.HotspotUsers != "" || c.present(path+".hotspot_users") {
			c.report(path+".hotspot_users", "must be all, limited or none, got %q", t.HotspotUsers)
		}
	}
	c.checkTLS(path+".tls", t.TLS)
}

func (t *MikroTikTarget) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultMikroTikTimeout)
	}
	if t.HotspotUsers == "" {
		t.HotspotUsers = HotspotUsersAll
	}
	port := DefaultMikroTikPort
	if t.TLS != nil {
		port = DefaultMikroTikTLSPort
	}
	t.Address = withDefaultPort(t.Address, port)
}
