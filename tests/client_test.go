package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Scopes of the API, as api.md names them.
const (
	scopeCallsRead  = "calls:read"
	scopeCallsWrite = "calls:write"
	scopeQueuesRead = "queues:read"
	allScopes       = "calls:read calls:write queues:read queues:write webhooks:admin"
)

// token mints an HS256 token with golang-jwt from the services' secret,
// not with the product's own minting code. ext, when set, restricts it to
// that agent extension.
func token(t testing.TB, scope, ext string) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"sub":   "e2e",
		"scope": scope,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
	if ext != "" {
		claims["ext"] = ext
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// api talks to one service over HTTP with one token.
type api struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
}

func newAPI(t testing.TB, base, tok string) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &api{t: t, base: base, token: tok, hc: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
}

// with returns a copy of the client whose failures fail t: for subtests.
func (a *api) with(t testing.TB) *api {
	c := *a
	c.t = t
	return &c
}

// response is an HTTP answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, failing the test if it is not JSON.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %q: %v", r.Body, err)
	}
}

// do sends method path with body (JSON-encoded unless a string or nil)
// and the api's token, if any.
func (a *api) do(method, path string, body any, hdr ...string) response {
	a.t.Helper()
	r, err := a.try(method, path, body, hdr...)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do returning the transport error instead of failing.
func (a *api) try(method, path string, body any, hdr ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// ready reports whether /readyz answers 200.
func (a *api) readyz() int {
	r, err := a.try(http.MethodGet, "/readyz", nil)
	if err != nil {
		return 0
	}
	return r.Status
}

// waitReady waits for /readyz 200: logged in to the PBX, store writable.
func (a *api) waitReady() {
	a.t.Helper()
	eventually(a.t, 20*time.Second, "/readyz 200", func() bool { return a.readyz() == http.StatusOK })
}

// call is the part of the call object the tests look at.
type call struct {
	ID          string     `json:"id"`
	Linkedid    string     `json:"linkedid"`
	Direction   string     `json:"direction"`
	State       string     `json:"state"`
	Customer    *party     `json:"customer"`
	Agent       *agent     `json:"agent"`
	Queue       string     `json:"queue"`
	DID         string     `json:"did"`
	Disposition string     `json:"disposition"`
	HangupCause *int       `json:"hangup_cause"`
	AnsweredAt  *time.Time `json:"answered_at"`
	EndedAt     *time.Time `json:"ended_at"`
	EndInferred bool       `json:"end_inferred"`
	Channels    []channel  `json:"channels"`
	Metadata    json.RawMessage
	Campaign    string `json:"campaign"`
	Contact     *int   `json:"contact"`
}

type party struct {
	Number string `json:"number"`
	E164   string `json:"e164"`
	Name   string `json:"name"`
}

type agent struct {
	Extension string `json:"extension"`
}

type channel struct {
	Name    string `json:"name"`
	State   string `json:"state"`
	Role    string `json:"role"`
	Bridged bool   `json:"bridged"`
}

// getCall is GET /v1/calls/{id}, which must answer 200.
func (a *api) getCall(id string) call {
	a.t.Helper()
	r := a.do(http.MethodGet, "/v1/calls/"+id, nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("GET /v1/calls/%s: %d %s", id, r.Status, r.Body)
	}
	var c call
	r.decode(a.t, &c)
	return c
}

// dial is POST /v1/calls, which must answer 202 with a Location.
func (a *api) dial(body map[string]any) call {
	a.t.Helper()
	r := a.do(http.MethodPost, "/v1/calls", body)
	if r.Status != http.StatusAccepted {
		a.t.Fatalf("POST /v1/calls %v: %d %s, want 202", body, r.Status, r.Body)
	}
	var c call
	r.decode(a.t, &c)
	if c.ID == "" {
		a.t.Fatalf("POST /v1/calls: no id in %s", r.Body)
	}
	if got, want := r.Header.Get("Location"), "/v1/calls/"+c.ID; got != want {
		a.t.Errorf("Location %q, want %q", got, want)
	}
	return c
}

// findCall waits until GET /v1/calls lists a call with this Linkedid (a
// call that arrived from the trunk) and returns its id.
func (a *api) findCall(linkedid string) string {
	a.t.Helper()
	var id string
	eventually(a.t, 20*time.Second, "call with linkedid "+linkedid+" listed", func() bool {
		r := a.do(http.MethodGet, "/v1/calls", nil)
		var cs []call
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &cs) != nil {
			return false
		}
		for _, c := range cs {
			if c.Linkedid == linkedid {
				id = c.ID
				return true
			}
		}
		return false
	})
	return id
}
