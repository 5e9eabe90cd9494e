package signature_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the signer")

// vector is one signing case kept in testdata/vectors.json.
type vector struct {
	Name      string `json:"name"`
	Secrets   string `json:"secrets"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
)

var cases = []vector{
	{Name: "call.ringing", Secrets: secretB, ID: "evt_1700000000.12_ringing_101", Timestamp: 1795780800,
		Body: `{"id":"evt_1700000000.12_ringing_101","type":"call.ringing","occurred_at":"2026-11-22T10:00:00.123456Z","sequence":1,"call":{"id":"c1","state":"ringing","started_at":"2026-11-22T10:00:00Z","duration_seconds":0,"talk_seconds":0,"channels":[]}}`},
	{Name: "unicode body", Secrets: secretA, ID: "evt_x", Timestamp: 1795780801, Body: `{"name":"Иван Петров ☎"}`},
	{Name: "empty body", Secrets: secretA, ID: "evt_empty", Timestamp: 1795780802, Body: ``},
	{Name: "rotation", Secrets: secretA + " " + secretB, ID: "evt_rot", Timestamp: 1795780803, Body: `{"type":"call.ended"}`},
}

func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		out := make([]vector, len(cases))
		for i, c := range cases {
			s, err := signature.NewSigner(c.Secrets)
			if err != nil {
				t.Fatal(err)
			}
			c.Signature = s.Sign(c.ID, c.Timestamp, []byte(c.Body))
			out[i] = c
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(cases) {
		t.Fatalf("got %d vectors, want %d (run with -update)", len(vs), len(cases))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			s, err := signature.NewSigner(v.Secrets)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Sign(v.ID, v.Timestamp, []byte(v.Body)); got != v.Signature {
				t.Errorf("Sign: got %q, want %q", got, v.Signature)
			}
			now := time.Unix(v.Timestamp, 0).Add(time.Minute)
			h := headers(v.ID, v.Timestamp, v.Signature)
			for _, secret := range strings.Fields(v.Secrets) {
				if err := specVerify(secret, h, []byte(v.Body), now); err != nil {
					t.Errorf("spec verifier with %s: %v", secret[:10], err)
				}
				if err := signature.Verify(secret, v.ID, h["webhook-timestamp"], v.Signature, []byte(v.Body), now); err != nil {
					t.Errorf("Verify with %s: %v", secret[:10], err)
				}
			}
		})
	}
}

// TestSpecExample checks the example published with the Standard Webhooks
// specification, so the signer agrees with the outside world and not only
// with its own golden file.
func TestSpecExample(t *testing.T) {
	s, err := signature.NewSigner(secretA)
	if err != nil {
		t.Fatal(err)
	}
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func headers(id string, ts int64, sig string) map[string]string {
	return map[string]string{"webhook-id": id, "webhook-timestamp": strconv.FormatInt(ts, 10), "webhook-signature": sig}
}

func TestRejects(t *testing.T) {
	const id, ts = "evt_1", int64(1795780800)
	body := []byte(`{"id":"evt_1"}`)
	s, _ := signature.NewSigner(secretB)
	sig := s.Sign(id, ts, body)
	now := time.Unix(ts, 0)
	tests := []struct {
		name   string
		secret string
		id     string
		ts     int64
		sig    string
		body   []byte
		now    time.Time
		want   error
	}{
		{"tampered body", secretB, id, ts, sig, []byte(`{"id":"evt_2"}`), now, signature.ErrMismatch},
		{"tampered id", secretB, "evt_2", ts, sig, body, now, signature.ErrMismatch},
		{"other timestamp", secretB, id, ts + 1, sig, body, now, signature.ErrMismatch},
		{"old timestamp", secretB, id, ts, sig, body, now.Add(5*time.Minute + time.Second), signature.ErrTimestamp},
		{"future timestamp", secretB, id, ts, sig, body, now.Add(-6 * time.Minute), signature.ErrTimestamp},
		{"wrong secret", secretA, id, ts, sig, body, now, signature.ErrMismatch},
		{"v2 only", secretB, id, ts, strings.Replace(sig, "v1,", "v2,", 1), body, now, signature.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signature.Verify(tt.secret, tt.id, strconv.FormatInt(tt.ts, 10), tt.sig, tt.body, tt.now)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify: got %v, want %v", err, tt.want)
			}
			if specVerify(tt.secret, headers(tt.id, tt.ts, tt.sig), tt.body, tt.now) == nil {
				t.Error("spec verifier accepted it")
			}
		})
	}
}

func TestRotationEitherSecretVerifies(t *testing.T) {
	s, err := signature.NewSigner(secretA + "  " + secretB)
	if err != nil {
		t.Fatal(err)
	}
	sig := s.Sign("evt_r", 100, []byte("x"))
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("got %d signatures, want 2", n)
	}
	for _, secret := range []string{secretA, secretB} {
		if err := specVerify(secret, headers("evt_r", 100, sig), []byte("x"), time.Unix(100, 0)); err != nil {
			t.Errorf("%s: %v", secret[:10], err)
		}
	}
}

func TestParseSecret(t *testing.T) {
	gen, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in string
		ok bool
	}{
		{secretA, true},
		{secretB, true},
		{gen, true},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false}, // no prefix
		{"whsec_!!!", false},
		{"whsec_c2hvcnQ=", false}, // 5 bytes
		{"", false},
	}
	for _, tt := range tests {
		_, err := signature.ParseSecret(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseSecret(%q): got err %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if _, err := signature.NewSigner("  "); !errors.Is(err, signature.ErrNoSecret) {
		t.Errorf("NewSigner(blank): got %v, want ErrNoSecret", err)
	}
}

func BenchmarkSign(b *testing.B) {
	s, _ := signature.NewSigner(secretB)
	body := []byte(cases[0].Body)
	b.ReportAllocs()
	for b.Loop() {
		s.Sign("evt_1", 1795780800, body)
	}
}
