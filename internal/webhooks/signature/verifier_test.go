package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// specVerify is a receiver written from the Standard Webhooks specification
// alone, sharing no code with the package under test: split the secret's
// "whsec_" prefix, base64-decode the key, HMAC-SHA256 "id.timestamp.body",
// compare in constant time against every space-separated "v1," signature,
// and reject timestamps more than five minutes from now.
func specVerify(secret string, headers map[string]string, body []byte, now time.Time) error {
	id, ts, sigs := headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing header")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if diff := now.Unix() - sec; diff > 300 || diff < -300 {
		return errors.New("timestamp out of tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	expected := m.Sum(nil)
	for _, versioned := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(versioned, ",")
		if !ok || version != "v1" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(raw, expected) {
			return nil
		}
	}
	return errors.New("no matching signature")
}
