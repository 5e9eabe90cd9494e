package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// stream is one open /v1/events response read line by line.
type stream struct {
	t      *testing.T
	res    *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

func openStream(t *testing.T, srv *httptest.Server, tok string, header map[string]string, query string) *stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &stream{t: t, res: res, r: bufio.NewReader(res.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() { s.cancel(); s.res.Body.Close() }

// frame reads one frame (up to a blank line) and returns its lines.
func (s *stream) frame() []string {
	s.t.Helper()
	var lines []string
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("after %q: %v", lines, err)
		}
		l = strings.TrimSuffix(l, "\n")
		if l == "" {
			return lines
		}
		lines = append(lines, l)
	}
}

// fakeSource is a Follow that serves events from a channel.
type fakeSource struct {
	last    chan string            // the lastEventID of each Follow
	events  chan amigate.CallEvent // what to send
	fail    chan error             // makes Follow return this error
	stopped chan error             // what each Follow returned
}

func newFakeSource() *fakeSource {
	return &fakeSource{last: make(chan string, 4), events: make(chan amigate.CallEvent),
		fail: make(chan error, 1), stopped: make(chan error, 4)}
}

func (fs *fakeSource) follow(ctx context.Context, last string, fn func(amigate.CallEvent) error) (err error) {
	defer func() { fs.stopped <- err }()
	fs.last <- last
	if last == "evt_gone" {
		return fmt.Errorf("webhooks: event %q not retained: %w", last, amigate.ErrNotFound)
	}
	for {
		select {
		case ev := <-fs.events:
			if err := fn(ev); err != nil {
				return err
			}
		case err := <-fs.fail:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// wait returns from ch or fails the test after a deadline.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestEventsFraming(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers

	s := openStream(t, srv, token(t, "calls:read", "101"), map[string]string{"Last-Event-ID": "evt_5"}, "")
	if ct := s.res.Header.Get("Content-Type"); s.res.StatusCode != 200 || ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("status %d, content type %q", s.res.StatusCode, ct)
	}
	if cc := s.res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if got := wait(t, fs.last, "Follow"); got != "evt_5" {
		t.Fatalf("Follow from %q, want evt_5", got)
	}
	if d := cmp.Diff([]string{"retry: 3000"}, s.frame()); d != "" {
		t.Fatalf("first frame (-want +got):\n%s", d)
	}
	other := amigate.CallEvent{ID: "evt_6", Type: "call.ringing", Call: amigate.Call{ID: "c6", Agent: &amigate.Agent{Extension: "102"}}}
	mine := amigate.CallEvent{ID: "evt_7", Type: "call.ringing", Sequence: 1,
		Call: amigate.Call{ID: "c7", State: "ringing", Agent: &amigate.Agent{Extension: "101"}, Channels: []amigate.Channel{}}}
	fs.events <- other // not the token's extension: skipped
	fs.events <- mine
	lines := s.frame()
	data, _ := json.Marshal(mine)
	want := []string{"id: evt_7", "event: call.ringing", "data: " + string(data)}
	if d := cmp.Diff(want, lines); d != "" {
		t.Fatalf("event frame (-want +got):\n%s", d)
	}
	s.close()
	if err := wait(t, fs.stopped, "Follow to stop after the client left"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow returned %v, want context.Canceled", err)
	}
}

func TestEventsResumeByQuery(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
	openStream(t, srv, token(t, "calls:read", ""), nil, "?last_event_id=evt_9")
	if got := wait(t, fs.last, "Follow"); got != "evt_9" {
		t.Fatalf("Follow from %q, want evt_9", got)
	}
}

// TestEventsGap checks the resume from an event no longer retained: the
// client is told, and the stream follows live events.
func TestEventsGap(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
	s := openStream(t, srv, token(t, "calls:read", ""), map[string]string{"Last-Event-ID": "evt_gone"}, "")
	s.frame()
	want := []string{"event: gap", `data: {"last_event_id":"evt_gone","detail":"events after this one are no longer retained; following live events"}`}
	if d := cmp.Diff(want, s.frame()); d != "" {
		t.Fatalf("gap frame (-want +got):\n%s", d)
	}
	if first, then := wait(t, fs.last, "Follow"), wait(t, fs.last, "the live Follow"); first != "evt_gone" || then != "" {
		t.Fatalf("Follow from %q then %q, want evt_gone then live", first, then)
	}
	fs.events <- amigate.CallEvent{ID: "evt_20", Type: "call.ended"}
	if lines := s.frame(); len(lines) != 3 || lines[0] != "id: evt_20" {
		t.Fatalf("live frame %q", lines)
	}
}

func TestEventsKeepAlive(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{KeepAlive: 5 * time.Millisecond, SSERetry: 1500 * time.Millisecond})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
	s := openStream(t, srv, token(t, "calls:read", ""), nil, "")
	if d := cmp.Diff([]string{"retry: 1500"}, s.frame()); d != "" {
		t.Fatalf("first frame (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{": keep-alive"}, s.frame()); d != "" {
		t.Fatalf("idle frame (-want +got):\n%s", d)
	}
}

// TestEventsOutliveWriteTimeout checks that a stream is not cut by the
// server's WriteTimeout (which suits ordinary requests): each write gets
// its own deadline instead.
func TestEventsOutliveWriteTimeout(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{KeepAlive: 10 * time.Millisecond})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewUnstartedServer(f.e)
	srv.Config.WriteTimeout = 50 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
	s := openStream(t, srv, token(t, "calls:read", ""), nil, "")
	s.frame()
	for end := time.Now().Add(4 * srv.Config.WriteTimeout); time.Now().Before(end); {
		if d := cmp.Diff([]string{": keep-alive"}, s.frame()); d != "" {
			t.Fatalf("idle frame (-want +got):\n%s", d)
		}
	}
}

// TestEventsEnd covers the ways a stream ends from the server side: the
// source fails (the client is told, then the stream closes) or the server
// shuts down.
func TestEventsEnd(t *testing.T) {
	t.Run("source fails", func(t *testing.T) {
		fs := newFakeSource()
		f := newFixture(t, Options{})
		f.hooks.FollowFn = fs.follow
		srv := httptest.NewServer(f.e)
		t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
		s := openStream(t, srv, token(t, "calls:read", ""), nil, "")
		s.frame()
		fs.fail <- errors.New("store: stream deleted")
		lines := s.frame()
		if len(lines) != 2 || lines[0] != "event: error" || strings.Contains(lines[1], "deleted") {
			t.Fatalf("error frame %q", lines)
		}
		if rest, err := io.ReadAll(s.r); err != nil || len(rest) != 0 {
			t.Fatalf("after the error frame: %q, %v", rest, err)
		}
		if !strings.Contains(f.log.String(), "store: stream deleted") {
			t.Fatalf("the cause is not logged:\n%s", f.log)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		fs := newFakeSource()
		done := make(chan struct{})
		f := newFixture(t, Options{StreamsDone: done})
		f.hooks.FollowFn = fs.follow
		srv := httptest.NewServer(f.e)
		t.Cleanup(srv.Close) // after the stream closes: Close waits for handlers
		s := openStream(t, srv, token(t, "calls:read", ""), nil, "")
		s.frame()
		close(done)
		if rest, err := io.ReadAll(s.r); err != nil || len(rest) != 0 {
			t.Fatalf("after shutdown: %q, %v", rest, err)
		}
		wait(t, fs.stopped, "Follow to stop")
	})
	t.Run("bad Last-Event-ID", func(t *testing.T) {
		f := newFixture(t, Options{})
		rec := f.do(t, request{Method: "GET", Path: "/v1/events", Token: token(t, "calls:read", ""),
			Header: map[string]string{"Last-Event-ID": "evt 1"}})
		if rec.Code != 422 {
			t.Fatalf("got %d, want 422", rec.Code)
		}
		if p := problemOf(t, rec); len(p.Errors) != 1 || p.Errors[0].Field != "Last-Event-ID" {
			t.Fatalf("errors %+v", p.Errors)
		}
	})
}

func TestConcerns(t *testing.T) {
	tests := []struct {
		name string
		ev   amigate.CallEvent
		want bool
	}{
		{"call agent", amigate.CallEvent{Call: amigate.Call{Agent: &amigate.Agent{Extension: "101"}}}, true},
		{"earlier agent", amigate.CallEvent{Call: amigate.Call{Extensions: []string{"101", "102"}}}, true},
		{"event agent", amigate.CallEvent{Agent: &amigate.Agent{Extension: "101"}}, true},
		{"transfer target", amigate.CallEvent{Transfer: &amigate.Transfer{ToExtension: "101"}}, true},
		{"someone else", amigate.CallEvent{Call: amigate.Call{Agent: &amigate.Agent{Extension: "1010"}}}, false},
		{"nobody", amigate.CallEvent{}, false},
	}
	for _, tt := range tests {
		if got := concerns(&tt.ev, "101"); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEventsAgentFilter: without ?events only call events are streamed;
// agent events are streamed when named, to a token that may read agents,
// campaign events to one that may read campaigns.
func TestEventsAgentFilter(t *testing.T) {
	agentEv := amigate.CallEvent{ID: "evt_a1", Type: amigate.EventAgentStateChanged, Agent: &amigate.Agent{Extension: "101"},
		Presence: &amigate.AgentPresence{Extension: "101", State: amigate.AgentRinging}}
	campEv := amigate.CallEvent{ID: "evt_m1", Type: amigate.EventCampaignStarted, Campaign: &amigate.CampaignRef{ID: "m1"}}
	callEv := amigate.CallEvent{ID: "evt_c1", Type: amigate.EventCallRinging, Call: amigate.Call{ID: "c1"}}
	for _, tt := range []struct {
		name, scope, query string
		status             int
		want               []string // ids streamed, from agentEv, campEv then callEv
	}{
		{"default: call events only", "calls:read", "", 200, []string{"evt_c1"}},
		{"star: call events only", "calls:read", "?events=*", 200, []string{"evt_c1"}},
		{"agents named", "calls:read agents:read", "?events=agent.state_changed,call.ringing", 200, []string{"evt_a1", "evt_c1"}},
		{"agents only", "calls:read queues:read", "?events=agent.state_changed", 200, []string{"evt_a1"}},
		{"agents without scope", "calls:read", "?events=agent.state_changed", 403, nil},
		{"campaigns named", "calls:read campaigns:read", "?events=campaign.started,call.ringing", 200, []string{"evt_m1", "evt_c1"}},
		{"campaigns without scope", "calls:read agents:read", "?events=campaign.started", 403, nil},
		{"unknown type", "calls:read", "?events=call.exploded", 422, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeSource()
			f := newFixture(t, Options{})
			f.hooks.FollowFn = fs.follow
			srv := httptest.NewServer(f.e)
			t.Cleanup(srv.Close)
			s := openStream(t, srv, token(t, tt.scope, ""), nil, tt.query)
			if s.res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", s.res.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			wait(t, fs.last, "Follow")
			s.frame() // retry
			fs.events <- agentEv
			fs.events <- campEv
			fs.events <- callEv
			for _, id := range tt.want {
				if lines := s.frame(); len(lines) != 3 || lines[0] != "id: "+id {
					t.Fatalf("frame %q, want event %s", lines, id)
				}
			}
		})
	}
}

// TestEventsStreamLimits: past the per-subject bound a stream is 429, past
// the global bound 503, both problem+json with Retry-After; a closed
// stream gives its slot back.
func TestEventsStreamLimits(t *testing.T) {
	fs := newFakeSource()
	f := newFixture(t, Options{MaxStreams: 3, MaxStreamsPerSubject: 2, SSERetry: 2 * time.Second})
	f.hooks.FollowFn = fs.follow
	srv := httptest.NewServer(f.e)
	t.Cleanup(srv.Close) // after the streams close: Close waits for handlers
	sub := func(name string) string {
		return signed(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": name, "scope": "calls:read", "exp": time.Now().Add(time.Hour).Unix()})
	}
	refused := func(tok string, status int, detail string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p Problem
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
			res.Header.Get("Retry-After") != "2" || !strings.Contains(p.Detail, detail) {
			t.Fatalf("got %d %q Retry-After %q: %+v, want %d naming %s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Retry-After"), p, status, detail)
		}
	}
	a1 := openStream(t, srv, sub("a"), nil, "")
	a1.frame()
	a2 := openStream(t, srv, sub("a"), nil, "")
	a2.frame()
	refused(sub("a"), http.StatusTooManyRequests, "AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT")
	b1 := openStream(t, srv, sub("b"), nil, "")
	b1.frame()
	refused(sub("c"), http.StatusServiceUnavailable, "AMIGATE_SSE_MAX_STREAMS")

	// A closed stream frees its slot once its handler has returned, which
	// follows the client's going away by a moment.
	a1.close()
	wait(t, fs.stopped, "Follow of the closed stream to stop")
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+sub("a"))
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == http.StatusOK {
			s := &stream{t: t, res: res, r: bufio.NewReader(res.Body), cancel: func() {}}
			t.Cleanup(s.close)
			if got := s.frame(); len(got) != 1 || !strings.HasPrefix(got[0], "retry:") {
				t.Fatalf("a stream after one closed: %q", got)
			}
			break
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("a stream after one closed: %d, want 200 once the slot is free", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	a2.close()
	b1.close()
}

// flushCounter is a ResponseWriter that records what each flush sent.
type flushCounter struct {
	httptest.ResponseRecorder
	pending bytes.Buffer
	flushes []string
}

func (f *flushCounter) Write(b []byte) (int, error) { return f.pending.Write(b) }
func (f *flushCounter) Flush() {
	f.flushes = append(f.flushes, f.pending.String())
	f.pending.Reset()
}

// TestSSEWriterBatches: the events already waiting go out with the first
// in one flush (bounded by sseBatch); none waits for a later one.
func TestSSEWriterBatches(t *testing.T) {
	tests := []struct {
		name    string
		waiting int
		flushes []int // events per flush
	}{
		{"alone", 0, []int{1}},
		{"a burst", 4, []int{5}},
		{"more than a batch", sseBatch + 3, []int{sseBatch, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &flushCounter{}
			res := echo.NewResponse(fc, echo.New())
			w := &sseWriter{res: res, rc: http.NewResponseController(fc)}
			more := make(chan amigate.CallEvent, tt.waiting)
			for i := range tt.waiting {
				more <- amigate.CallEvent{ID: fmt.Sprintf("evt_%d", i+2), Type: "call.ringing"}
			}
			first := amigate.CallEvent{ID: "evt_1", Type: "call.ringing"}
			if err := w.events(&first, more); err != nil {
				t.Fatal(err)
			}
			for len(more) > 0 {
				ev := <-more
				if err := w.events(&ev, more); err != nil {
					t.Fatal(err)
				}
			}
			var got []int
			for _, f := range fc.flushes {
				got = append(got, strings.Count(f, "\nevent: call.ringing\ndata: {"))
			}
			if !slices.Equal(got, tt.flushes) {
				t.Errorf("events per flush %v, want %v", got, tt.flushes)
			}
			all := strings.Join(fc.flushes, "")
			for i := range tt.waiting + 1 {
				if !strings.Contains(all, fmt.Sprintf("id: evt_%d\n", i+1)) {
					t.Errorf("evt_%d not written", i+1)
				}
			}
		})
	}
}
