package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// Cross-site request forgery protection: a random session id in a cookie the browser sends
// only to this site (SameSite=Strict, HttpOnly), and in every form a token that is the HMAC
// of that id under a key only this process knows. A forged POST from another site carries
// neither the cookie nor a token that matches it. The key is made anew at each start, so a
// restart invalidates open forms: the page then asks to reload, which is harmless.

const (
	sessionCookie = "ronda_restore_session"
	csrfField     = "csrf_token"
)

type csrf struct{ key []byte }

func newCSRF() (*csrf, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &csrf{key: key}, nil
}

// session returns the request's session id, giving the browser a new one when it has none.
func (c *csrf) session(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && validSession(ck.Value) {
		return ck.Value
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	id := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	return id
}

func validSession(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// token is the form token bound to session.
func (c *csrf) token(session string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("ronda-restore csrf\x00"))
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// check reports whether a POST carries a session cookie and the token made for it.
// The form must have been parsed.
func (c *csrf) check(r *http.Request) bool {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || !validSession(ck.Value) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get(csrfField))
	if err != nil {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(c.token(ck.Value))
	return hmac.Equal(got, want)
}
