package amitest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate/internal/ami"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseTranscriptBytes(t *testing.T) {
	in := "<<< received\nAsterisk Call Manager/11.0.0\r\n>>> sent\nAction: Ping\r\nActionID: 1\r\n\r\n" +
		"<<< received\nResponse: Success\r\nActionID: 1\r\n\r\n>>> sent\n"
	blocks, err := ParseTranscriptBytes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Received, "received", []byte("Asterisk Call Manager/11.0.0\r\n")},
		{Sent, "sent", []byte("Action: Ping\r\nActionID: 1\r\n\r\n")},
		{Received, "received", []byte("Response: Success\r\nActionID: 1\r\n\r\n")},
		{Sent, "sent", []byte{}},
	}
	if len(blocks) != len(want) {
		t.Fatalf("got %d blocks, want %d", len(blocks), len(want))
	}
	for i := range want {
		if blocks[i].Dir != want[i].Dir || blocks[i].Label != want[i].Label || string(blocks[i].Data) != string(want[i].Data) {
			t.Errorf("block %d: got %v %q %q, want %v %q %q", i, blocks[i].Dir, blocks[i].Label, blocks[i].Data, want[i].Dir, want[i].Label, want[i].Data)
		}
	}
	if _, err := ParseTranscriptBytes([]byte("Action: Ping\r\n")); err == nil {
		t.Error("data before any marker: accepted")
	}
	// A CRLF line that looks like a marker is data.
	blocks, err = ParseTranscriptBytes([]byte("<<< received\n>>> sent\r\n"))
	if err != nil || len(blocks) != 1 || string(blocks[0].Data) != ">>> sent\r\n" {
		t.Errorf("CRLF marker-like line: got %v %v", blocks, err)
	}
}

// TestTranscriptsRebuildRawStreams: every transcript, split into blocks,
// gives back exactly the recorded raw streams.
func TestTranscriptsRebuildRawStreams(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/ami/*.txt")
	n := 0
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		raw := "../../testdata/ami/raw/" + name
		in, err1 := os.ReadFile(raw + ".in")
		out, err2 := os.ReadFile(raw + ".out")
		if err1 != nil || err2 != nil {
			continue // http_rawman has no raw streams
		}
		blocks, err := ParseTranscript(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(Concat(blocks, Received)) != string(in) || string(Concat(blocks, Sent)) != string(out) {
			t.Errorf("%s: blocks do not rebuild raw/%s.in and .out", name, name)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d transcripts checked", n)
	}
}

// client is a bare AMI client for testing the server.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *ami.Reader
}

func dial(t *testing.T, addr string) *client {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	c := &client{t: t, nc: nc, r: ami.NewReader(bufio.NewReader(nc), 0)}
	if v, err := c.r.ReadBanner(); err != nil || v != "11.0.0" {
		t.Fatalf("banner: %q %v", v, err)
	}
	return c
}

func (c *client) send(kv ...string) {
	m := Msg(kv...)
	if _, err := io.WriteString(c.nc, m.String()); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() ami.Message {
	m, err := c.r.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func TestScripted(t *testing.T) {
	srv := Start(t, Config{Username: "crm", Secret: "s3cret", Handlers: map[string]Handler{
		"Originate": func(c *Conn, a ami.Message) {
			c.Reply(a, "Success", "Message", "Originate successfully queued")
			c.Write(Msg("Event", "OriginateResponse", "ActionID", a.ActionID(), "Response", "Success"))
		},
	}})
	c := dial(t, srv.Addr())
	c.send("Action", "Ping", "ActionID", "p0")
	if m := c.read(); m.Get("Message") != "Permission denied" {
		t.Fatalf("before login: got %v", m.Fields)
	}
	c.send("Action", "Login", "ActionID", "l1", "Username", "crm", "Secret", "s3cret")
	if m := c.read(); m.Response() != "Success" || m.ActionID() != "l1" {
		t.Fatalf("login: got %v", m.Fields)
	}
	if m := c.read(); m.Event() != "FullyBooted" {
		t.Fatalf("after login: got %v, want FullyBooted", m.Fields)
	}
	c.send("Action", "Originate", "ActionID", "o1", "Channel", "PJSIP/201")
	if m := c.read(); m.Get("Message") != "Originate successfully queued" {
		t.Fatalf("originate: got %v", m.Fields)
	}
	if m := c.read(); m.Event() != "OriginateResponse" || m.ActionID() != "o1" {
		t.Fatalf("originate event: got %v", m.Fields)
	}
	c.send("Action", "Bogus", "ActionID", "b1")
	if m := c.read(); m.Get("Message") != "Invalid/unknown command" {
		t.Fatalf("unknown action: got %v", m.Fields)
	}
	srv.Emit(Msg("Event", "Hangup", "Channel", "PJSIP/201-1"))
	if m := c.read(); m.Event() != "Hangup" {
		t.Fatalf("emitted: got %v", m.Fields)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, want := range []string{"Ping", "Login", "Originate", "Bogus"} {
		a, err := srv.Action(ctx)
		if err != nil || a.Get("Action") != want {
			t.Fatalf("Action: got %v %v, want %s", a.Fields, err, want)
		}
	}
	c.send("Action", "Logoff", "ActionID", "x")
	if m := c.read(); m.Response() != "Goodbye" {
		t.Fatalf("logoff: got %v", m.Fields)
	}
	if _, err := c.r.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Fatalf("after logoff: got %v, want EOF", err)
	}
}

func TestLoginRefusedClosesConnection(t *testing.T) {
	srv := Start(t, Config{Username: "crm", Secret: "s3cret"})
	c := dial(t, srv.Addr())
	c.send("Action", "Login", "ActionID", "l1", "Username", "crm", "Secret", "wrong")
	if m := c.read(); m.Get("Message") != "Authentication failed" {
		t.Fatalf("got %v", m.Fields)
	}
	if _, err := c.r.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want EOF", err)
	}
}

// TestReplay replays login.txt to a hand-driven client and checks that a
// deviation is reported as ErrMismatch.
func TestReplay(t *testing.T) {
	blocks, err := ParseTranscript("../../testdata/ami/login.txt")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	srv := Start(t, Config{Transcript: blocks, IgnoreActionID: true})
	c := dial(t, srv.Addr())
	c.send("Action", "Login", "ActionID", "mine", "Username", "crm", "Secret", "crmsecret", "Events", "on")
	if m := c.read(); m.ActionID() != "mine" || m.Response() != "Success" {
		t.Fatalf("login response with the client's ActionID: got %v", m.Fields)
	}
	c.read() // FullyBooted
	c.read() // SuccessfulAuth
	c.send("Action", "Ping", "ActionID", "p")
	c.read()
	c.send("Action", "Logoff", "ActionID", "l")
	c.read()
	c.nc.Close()
	if err := srv.Wait(ctx); err != nil {
		t.Fatalf("replay: %v", err)
	}

	bad, err := NewServer(Config{Transcript: blocks, IgnoreActionID: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	c = dial(t, bad.Addr())
	c.send("Action", "Login", "ActionID", "mine", "Username", "crm", "Secret", "other", "Events", "on")
	if err := bad.Wait(ctx); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong secret: got %v, want ErrMismatch", err)
	}
}

func TestRestartAndDrop(t *testing.T) {
	srv := Start(t, Config{})
	c := dial(t, srv.Addr())
	srv.DropConns()
	if _, err := c.r.ReadMessage(); err == nil {
		t.Fatal("connection survived DropConns")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	dial(t, srv.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitAccepted(ctx, 2); err != nil {
		t.Fatal(err)
	}
}
