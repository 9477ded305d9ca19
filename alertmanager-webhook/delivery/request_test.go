package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedactURLHidesKeysInFailedRequests(t *testing.T) {
	// A gateway that takes its key in the query, unreachable: the error must not carry it.
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
		"http://user:p4ss@127.0.0.1:1/send?key=SECRET-KEY&number=62812&message=hi", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Do(req)
	if err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	if !strings.Contains(err.Error(), "SECRET-KEY") {
		t.Fatalf("the unredacted error lacks the key, so this test proves nothing: %v", err)
	}
	red := RedactURL(err)
	for _, secret := range []string{"SECRET-KEY", "62812", "p4ss"} {
		if strings.Contains(red.Error(), secret) {
			t.Errorf("redacted error still shows %q: %v", secret, red)
		}
	}
	if !strings.Contains(red.Error(), "127.0.0.1:1/send") {
		t.Errorf("redacted error lost the host and path: %v", red)
	}
	var ue *url.Error
	if errors.As(red, &ue) {
		t.Errorf("redacted error still wraps the *url.Error holding the key: %v", red)
	}
	if plain := errors.New("no url here"); RedactURL(plain) != plain {
		t.Error("an error without a URL must pass through unchanged")
	}
}

func TestRequestBuildersSetContentType(t *testing.T) {
	form, err := PostForm(context.Background(), "http://127.0.0.1/send", url.Values{"target": {"62812"}})
	if err != nil || form.Method != http.MethodPost || form.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("PostForm: %v %+v", err, form)
	}
	js, err := PostJSON(context.Background(), "http://127.0.0.1/send", []byte(`{}`))
	if err != nil || js.Method != http.MethodPost || js.Header.Get("Content-Type") != "application/json" {
		t.Errorf("PostJSON: %v %+v", err, js)
	}
}
