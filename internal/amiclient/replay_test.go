package amiclient

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// recording is what a transcript says the client did and got.
type recording struct {
	blocks    []amitest.Block
	login     ami.Message
	md5       bool
	steps     []step        // actions after the login, in order
	events    []ami.Message // events a subscriber must get, in order
	fullyBoot bool
}

type step struct {
	action ami.Message
	resp   ami.Message
	items  int // list events, the completing one included (-1: not a list)
}

func loadRecording(t *testing.T, path string) recording {
	t.Helper()
	blocks, err := amitest.ParseTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := recording{blocks: blocks}
	var received []ami.Message
	var actions []ami.Message
	for i, b := range blocks {
		if i == 0 {
			continue // the banner
		}
		msgs, err := amitest.Messages(b.Data)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if b.Dir == amitest.Sent {
			actions = append(actions, msgs...)
		} else {
			received = append(received, msgs...)
		}
	}
	responses := map[string]ami.Message{}
	lists := map[string]int{}
	for _, m := range received {
		switch {
		case m.IsResponse():
			responses[m.ActionID()] = m
			if m.Get("EventList") == "start" {
				lists[m.ActionID()] = 0
			}
		case m.Event() == "FullyBooted":
			rec.fullyBoot = true
		}
	}
	for _, m := range received {
		if m.IsResponse() {
			continue
		}
		if n, ok := lists[m.ActionID()]; ok {
			lists[m.ActionID()] = n + 1
			continue
		}
		rec.events = append(rec.events, m)
	}
	for _, a := range actions {
		switch a.Get("Action") {
		case "Challenge":
			rec.md5 = true
			continue
		case "Login":
			rec.login = a
			continue
		}
		items := -1
		if n, ok := lists[a.ActionID()]; ok {
			items = n
		}
		rec.steps = append(rec.steps, step{action: a, resp: responses[a.ActionID()], items: items})
	}
	return rec
}

// TestReplayTranscripts drives the client through every recorded Asterisk
// session: the server replays the recording and checks that the client's
// bytes match it (ActionIDs aside); the test checks every response, every
// list and every event the subscriber gets, in order.
func TestReplayTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(transcripts, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		if name == "http_rawman" || name == "login_failed" {
			continue // HTTP, and a refused login: tested on their own
		}
		t.Run(name, func(t *testing.T) { replay(t, path) })
	}
}

func replay(t *testing.T, path string) {
	rec := loadRecording(t, path)
	srv := amitest.Start(t, amitest.Config{Transcript: rec.blocks, IgnoreActionID: true})
	cfg := testConfig(t, srv.Addr())
	cfg.Username, cfg.Secret, cfg.Events = rec.login.Get("Username"), rec.login.Get("Secret"), rec.login.Get("Events")
	if rec.md5 {
		cfg.Auth, cfg.Secret = "md5", "crmsecret"
	}
	if !rec.fullyBoot && cfg.Events != "off" {
		cfg.LoginTimeout = 300 * time.Millisecond // no FullyBooted will come
	}
	release := make(chan struct{})
	cfg.Dial = gatedDial(release)
	c := start(t, cfg)
	sub := c.Subscribe(SubscribeOptions{Name: "test", Lossless: true})
	close(release)
	waitReady(t, c)
	if got, want := c.Version(), "11.0.0"; got != want {
		t.Errorf("Version: got %q, want %q", got, want)
	}

	ctx := ctxT(t, 10*time.Second)
	for i, st := range rec.steps {
		a := &ami.Action{Name: st.action.Get("Action")}
		for _, f := range st.action.Fields[2:] { // Action and ActionID first
			a.Add(f.Name, f.Value)
		}
		var resp ami.Message
		var evs []ami.Message
		var err error
		if st.items >= 0 {
			resp, evs, err = c.SendList(ctx, a)
		} else {
			resp, err = c.Send(ctx, a)
		}
		var ae *ActionError
		if st.resp.Response() == "Error" {
			if !errors.As(err, &ae) || ae.Message != st.resp.Get("Message") || ae.Output != st.resp.Output() {
				t.Fatalf("step %d %s: got error %v, want ActionError %q", i, a.Name, err, st.resp.Get("Message"))
			}
		} else if err != nil {
			t.Fatalf("step %d %s: %v", i, a.Name, err)
		}
		if got, want := withoutActionID(resp), withoutActionID(st.resp); got != want {
			t.Errorf("step %d %s: response\n%s\nwant\n%s", i, a.Name, got, want)
		}
		if st.items >= 0 && len(evs) != st.items {
			t.Errorf("step %d %s: got %d list events, want %d", i, a.Name, len(evs), st.items)
		}
		if st.items > 0 && !listEnds(evs[len(evs)-1]) {
			t.Errorf("step %d %s: last list event %q does not complete the list", i, a.Name, evs[len(evs)-1].Event())
		}
	}
	if err := srv.Wait(ctx); err != nil {
		t.Fatalf("replay: %v", err)
	}

	got := drain(t, c, sub)
	if len(got) < 2 || got[0].Kind != KindConnected || got[len(got)-1].Kind != KindDisconnected {
		t.Fatalf("subscription: got %d items, want Connected first and Disconnected last", len(got))
	}
	got = got[1 : len(got)-1]
	if len(got) != len(rec.events) {
		t.Fatalf("subscription: got %d events, want %d", len(got), len(rec.events))
	}
	for i, ev := range got {
		if ev.Kind != KindEvent {
			t.Fatalf("item %d: kind %v, want event", i+1, ev.Kind)
		}
		if g, w := withoutActionID(ev.Message), withoutActionID(rec.events[i]); g != w {
			t.Fatalf("event %d:\n%s\nwant\n%s", i, g, w)
		}
		if ev.ReadAt.IsZero() {
			t.Fatalf("event %d: zero ReadAt", i)
		}
	}
}
