package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequireBearer(t *testing.T) {
	h := requireBearer("s3cret", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	tests := []struct {
		path, auth string
		want       int
	}{
		{"/alert", "", http.StatusUnauthorized},
		{"/alert", "Bearer wrong", http.StatusUnauthorized},
		{"/alert", "Basic czNjcmV0", http.StatusUnauthorized},
		{"/alert", "Bearer s3cret", http.StatusTeapot},
		{"/-/ready", "", http.StatusTeapot},
		{"/metrics", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, tt.path, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s with %q: %d, want %d", tt.path, tt.auth, w.Code, tt.want)
		}
	}
	if requireBearer("", http.NotFoundHandler()) == nil {
		t.Error("no handler without a token")
	}
}
