package whatsapp

import (
	"errors"
	"net/http"
	"testing"

	"github.com/rondanet/ronda/alertmanager-webhook/delivery"
)

// FuzzProviderAnswers: whatever a gateway answers, the result is success or a classified
// error with a reason, never a panic.
func FuzzProviderAnswers(f *testing.F) {
	f.Add(200, []byte(`{"status":true,"detail":"success! message in queue"}`), false)
	f.Add(200, []byte(`{"status":false,"reason":"invalid token"}`), false)
	f.Add(401, []byte(`{"status":false,"message":"token invalid"}`), false)
	f.Add(400, []byte(`{"error":{"message":"(#131047) Re-engagement message","code":131047}}`), true)
	f.Add(200, []byte(`{"messages":[{"id":"wamid.X"}]}`), true)
	f.Add(502, []byte(`<html>bad gateway</html>`), true)
	f.Fuzz(func(t *testing.T, code int, body []byte, cloud bool) {
		if code < 100 || code > 599 {
			return
		}
		resp := &http.Response{StatusCode: code, Header: http.Header{}}
		var err error
		if cloud {
			err = cloudResult(resp, body)
		} else {
			err = gatewayResult(resp, body)
		}
		if err == nil {
			if code < 200 || code >= 300 {
				t.Fatalf("HTTP %d %q taken as success", code, body)
			}
			return
		}
		var de *delivery.Error
		if !errors.As(err, &de) || de.Reason == "" {
			t.Fatalf("unclassified error %v", err)
		}
	})
}
