package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"

	"github.com/amigate/amigate/internal/auth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var secret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// rsaKey is made once: key generation is the slowest thing in the suite.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func publicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// newVerifier is the real verifier of internal/auth, accepting HS256 with
// the test secret and RS256 with the test key.
func newVerifier(t testing.TB) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: secret, PublicKeyPEM: publicPEM(), Algorithms: []string{"HS256", "RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// allScopes is every scope: the tests that are not about scopes use it.
const allScopes = "calls:read calls:write queues:read queues:write webhooks:admin"

// signed returns a token with the given claims, signed by method with key.
func signed(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// token is a valid HS256 token for scope (and ext when not empty).
func token(t testing.TB, scope, ext string) string {
	claims := jwt.MapClaims{"sub": "crm", "scope": scope, "exp": time.Now().Add(time.Hour).Unix()}
	if ext != "" {
		claims["ext"] = ext
	}
	return signed(t, jwt.SigningMethodHS256, secret, claims)
}

// fixture is an API over fakes, with its log captured.
type fixture struct {
	e       *echo.Echo
	calls   *fakeCalls
	queues  *fakeQueues
	hooks   *fakeWebhooks
	agents  *fakeAgents
	cmps    *fakeCampaigns
	metrics *fakeMetrics
	log     *syncBuffer
}

func newFixture(t testing.TB, o Options, edit ...func(*Deps)) *fixture {
	t.Helper()
	f := &fixture{calls: &fakeCalls{}, queues: &fakeQueues{}, hooks: &fakeWebhooks{}, agents: &fakeAgents{}, cmps: &fakeCampaigns{},
		metrics: &fakeMetrics{}, log: &syncBuffer{}}
	d := Deps{Calls: f.calls, Queues: f.queues, Webhooks: f.hooks, Agents: f.agents, Campaigns: f.cmps, Verifier: newVerifier(t),
		HTTPMetrics: f.metrics, Logger: slog.New(slog.NewJSONHandler(f.log, nil))}
	for _, fn := range edit {
		fn(&d)
	}
	f.e = New(d, o)
	return f
}

// request is one test request; Token "" sends no Authorization header.
type request struct {
	Method, Path string
	Body         string
	Token        string
	Header       map[string]string
}

func (f *fixture) do(t testing.TB, r request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req := httptest.NewRequest(r.Method, r.Path, body)
	if r.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem response, failing unless it is one.
func problemOf(t testing.TB, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
		t.Fatalf("content type %q, want problem+json; body %s", ct, rec.Body)
	}
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", rec.Body, err)
	}
	kind, ok := strings.CutPrefix(p.Type, ProblemTypeBase)
	if p.Status != rec.Code || !ok || !slices.Contains(ProblemKinds, kind) || p.Title == "" || p.RequestID == "" {
		t.Fatalf("problem %+v does not match status %d or lacks type/title/request_id", p, rec.Code)
	}
	return p
}

// syncBuffer is a log sink safe for the handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ http.Handler = (*echo.Echo)(nil)

func newReq(method, path, body, contentType string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// chunked hides the body's length, as a chunked upload does.
func chunked(r *http.Request) *http.Request {
	r.ContentLength = -1
	r.Body = io.NopCloser(r.Body)
	return r
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
