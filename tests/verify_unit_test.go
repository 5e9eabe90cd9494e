package tests

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestVerifier checks the independent verifier against the example of the
// Standard Webhooks specification, and that it rejects what it must: a
// verifier that accepted everything would make every e2e signature check
// vacuous.
func TestVerifier(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	v, err := newVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	v.now = func() time.Time { return time.Unix(1614265330, 0).Add(time.Minute) }
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return h
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"spec example", hdr(id, ts, sig), body, nil},
		{"rotation: second signature matches", hdr(id, ts, "v1,Zm9v "+sig), body, nil},
		{"body changed", hdr(id, ts, sig), []byte(`{"test": 2432232315}`), errNoSignature},
		{"id changed", hdr(id+"x", ts, sig), body, errNoSignature},
		{"wrong version", hdr(id, ts, "v2,"+sig[3:]), body, errNoSignature},
		{"too old", hdr(id, "1614264000", sig), body, errTimestamp},
		{"no signature", hdr(id, ts, ""), body, errHeaders},
		{"bad timestamp", hdr(id, "yesterday", sig), body, errHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := v.verify(tt.h, tt.body); !errors.Is(err, tt.want) {
				t.Errorf("verify: got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := newVerifier("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err == nil {
		t.Error("a secret without whsec_ was accepted")
	}
}
