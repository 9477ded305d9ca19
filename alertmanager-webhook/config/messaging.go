package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rondanet/ronda/alertmanager-webhook/phone"
	ronda "github.com/rondanet/ronda/config"
)

// WhatsApp sends through a WhatsApp gateway.
type WhatsApp struct {
	// Provider is cloud (Meta's WhatsApp Cloud API), fonnte, wablas or kirimwa (and the
	// M-Pedia style gateways with the same send-message API).
	Provider string `yaml:"provider"`
	// URL is the API endpoint; Fonnte and Cloud have defaults, Wablas and kirimwa do not
	// (each customer has a server of their own).
	URL       string `yaml:"url"`
	TokenFile string `yaml:"token_file"`
	TokenEnv  string `yaml:"token_env"`
	// SecretFile/SecretEnv hold Wablas's secret key (sent as token.secret).
	SecretFile string `yaml:"secret_file"`
	SecretEnv  string `yaml:"secret_env"`
	// Sender is the device number (kirimwa/M-Pedia).
	Sender string `yaml:"sender"`
	// PhoneNumberID is the Cloud API's sending number id.
	PhoneNumberID string `yaml:"phone_number_id"`
	// Template, for the Cloud API, sends an approved template message whose one body
	// parameter is the alert text: needed outside the 24-hour customer service window.
	Template *WhatsAppTemplate `yaml:"template_message"`
	Numbers  []string          `yaml:"numbers"`
	// CountryCode replaces a leading 0 in numbers.
	CountryCode string `yaml:"country_code"`

	Token  ronda.Secret `yaml:"-"`
	Secret ronda.Secret `yaml:"-"`
}

// WhatsAppTemplate names an approved Cloud API template.
type WhatsAppTemplate struct {
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
}

// WhatsAppProviders lists the WhatsApp providers a channel may name.
var WhatsAppProviders = []string{"cloud", "fonnte", "wablas", "kirimwa"}

// SMS sends text messages through an HTTP gateway.
type SMS struct {
	// Provider is generic, zenziva or twilio.
	Provider string `yaml:"provider"`
	URL      string `yaml:"url"`
	// Method (generic) is GET (parameters in the query) or POST (a form).
	Method string `yaml:"method"`
	// Params (generic) are the request's parameters, each a Go template over .Number,
	// .Message, .Token and .Secret.
	Params     map[string]string `yaml:"params"`
	TokenFile  string            `yaml:"token_file"`
	TokenEnv   string            `yaml:"token_env"`
	SecretFile string            `yaml:"secret_file"`
	SecretEnv  string            `yaml:"secret_env"`
	// AccountSID and From are Twilio's; Zenziva uses token as userkey and secret as passkey.
	AccountSID  string   `yaml:"account_sid"`
	From        string   `yaml:"from"`
	Numbers     []string `yaml:"numbers"`
	CountryCode string   `yaml:"country_code"`
	// MaxParts bounds how many SMS one notification may cost; longer text is cut.
	MaxParts int `yaml:"max_parts"`

	Token  ronda.Secret `yaml:"-"`
	Secret ronda.Secret `yaml:"-"`
}

func checkNumbers(c *checker, path string, numbers []string, cc *string) {
	if *cc == "" {
		*cc = "62"
	}
	if len(numbers) == 0 {
		c.report(path+".numbers", "required: at least one phone number")
	}
	for i, n := range numbers {
		norm, err := phone.Normalize(n, *cc)
		if err != nil {
			c.report(fmt.Sprintf("%s.numbers[%d]", path, i), "%v", err)
			continue
		}
		numbers[i] = norm
	}
}

func checkURL(c *checker, key, u string) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		// Shown without its password: --config.check prints the error and a reload logs it.
		c.report(key, "expected an http(s) URL, got %q", ronda.URLWithoutPassword(u))
	}
}

func (w *WhatsApp) check(c *checker, path string) {
	if !slices.Contains(WhatsAppProviders, w.Provider) {
		c.report(path+".provider", "must be one of %s, got %q", strings.Join(WhatsAppProviders, ", "), w.Provider)
		return
	}
	w.Token = c.secret(path, "token", &w.TokenFile, w.TokenEnv)
	switch w.Provider {
	case "cloud":
		if w.URL == "" {
			w.URL = "https://graph.facebook.com/v21.0"
		}
		if w.PhoneNumberID == "" {
			c.report(path+".phone_number_id", "required for the Cloud API: the id of the sending number")
		}
		if w.Template != nil && (w.Template.Name == "" || w.Template.Language == "") {
			c.report(path+".template_message", "needs name and language (as approved, e.g. id or en_US)")
		}
	case "fonnte":
		if w.URL == "" {
			w.URL = "https://api.fonnte.com/send"
		}
	case "wablas":
		if w.URL == "" {
			c.report(path+".url", "required for wablas: your server's send-message URL, e.g. https://sby.wablas.com/api/v2/send-message")
		}
		if w.SecretFile != "" || w.SecretEnv != "" {
			w.Secret = c.secret(path, "secret", &w.SecretFile, w.SecretEnv)
		}
	case "kirimwa":
		if w.URL == "" {
			c.report(path+".url", "required for kirimwa: the gateway's send-message URL")
		}
		if w.Sender == "" {
			c.report(path+".sender", "required for kirimwa: the device's number")
		}
	}
	if w.Provider != "cloud" && w.Template != nil {
		c.report(path+".template_message", "only the cloud provider sends template messages")
	}
	if w.URL != "" {
		checkURL(c, path+".url", w.URL)
	}
	checkNumbers(c, path, w.Numbers, &w.CountryCode)
}

// SMSProviders lists the SMS gateways a channel may name.
var SMSProviders = []string{"generic", "zenziva", "twilio"}

func (s *SMS) check(c *checker, path string) {
	if !slices.Contains(SMSProviders, s.Provider) {
		c.report(path+".provider", "must be one of %s, got %q", strings.Join(SMSProviders, ", "), s.Provider)
		return
	}
	switch s.Provider {
	case "generic":
		if s.URL == "" {
			c.report(path+".url", "required: the gateway's URL")
		}
		s.Method = strings.ToUpper(s.Method)
		if s.Method == "" {
			s.Method = "GET"
		}
		if s.Method != "GET" && s.Method != "POST" {
			c.report(path+".method", "must be GET or POST, got %q", s.Method)
		}
		if len(s.Params) == 0 {
			c.report(path+".params", "required: the parameters, e.g. number: \"{{ .Number }}\", message: \"{{ .Message }}\"")
		}
		if s.TokenFile != "" || s.TokenEnv != "" {
			s.Token = c.secret(path, "token", &s.TokenFile, s.TokenEnv)
		}
		if s.SecretFile != "" || s.SecretEnv != "" {
			s.Secret = c.secret(path, "secret", &s.SecretFile, s.SecretEnv)
		}
	case "zenziva":
		if s.URL == "" {
			s.URL = "https://console.zenziva.net/reguler/api/sendsms/"
		}
		s.Token = c.secret(path, "token", &s.TokenFile, s.TokenEnv)
		s.Secret = c.secret(path, "secret", &s.SecretFile, s.SecretEnv)
	case "twilio":
		if s.AccountSID == "" {
			c.report(path+".account_sid", "required for twilio")
		}
		if s.From == "" {
			c.report(path+".from", "required for twilio: the sending number or messaging service")
		}
		if s.URL == "" {
			s.URL = "https://api.twilio.com"
		}
		s.Token = c.secret(path, "token", &s.TokenFile, s.TokenEnv)
	}
	if s.URL != "" {
		checkURL(c, path+".url", s.URL)
	}
	if s.MaxParts < 0 {
		c.report(path+".max_parts", "must not be negative")
	}
	if s.MaxParts == 0 {
		s.MaxParts = 3
	}
	checkNumbers(c, path, s.Numbers, &s.CountryCode)
}
