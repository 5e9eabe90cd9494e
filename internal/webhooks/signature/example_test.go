package signature_test

import (
	"fmt"
	"time"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

// A receiver checks the three webhook-* headers against the raw body before
// trusting it.
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"id":"evt_1","type":"call.ringing"}`)
	s, _ := signature.NewSigner(secret)
	sig := s.Sign("evt_1", 1795780800, body)

	now := time.Unix(1795780830, 0) // the receiver's clock, 30 s later
	fmt.Println(signature.Verify(secret, "evt_1", "1795780800", sig, body, now))
	fmt.Println(signature.Verify(secret, "evt_1", "1795780800", sig, []byte(`{"id":"evt_2"}`), now))
	// Output:
	// <nil>
	// signature: no signature matches
}
