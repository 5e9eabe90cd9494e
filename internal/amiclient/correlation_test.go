package amiclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// TestOutOfOrderInterleaved: two list actions and a plain one answered out
// of order, their events interleaved with each other and with unrelated
// events: every caller gets exactly its own, subscribers get only the
// unrelated ones, in order.
func TestOutOfOrderInterleaved(t *testing.T) {
	var mu sync.Mutex
	var held []ami.Message
	answer := func(c *amitest.Conn, a ami.Message) {
		mu.Lock()
		held = append(held, a)
		if len(held) < 3 {
			mu.Unlock()
			return
		}
		qs, csc, gv := held[0], held[1], held[2]
		mu.Unlock()
		ev := func(n int) ami.Message {
			return amitest.Msg("Event", "Newstate", "Channel", fmt.Sprintf("PJSIP/%d", n))
		}
		item := func(a ami.Message, name string, n int) ami.Message {
			return amitest.Msg("Event", name, "ActionID", a.ActionID(), "N", fmt.Sprint(n))
		}
		done := func(a ami.Message, name string, n int) ami.Message {
			return amitest.Msg("Event", name, "ActionID", a.ActionID(), "EventList", "Complete", "ListItems", fmt.Sprint(n))
		}
		c.Write(
			amitest.Response(gv, "Success", "Variable", "V", "Value", "42"),
			amitest.Response(csc, "Success", "EventList", "start", "Message", "Channels will follow"),
			ev(1),
			amitest.Response(qs, "Success", "EventList", "start", "Message", "Queue status will follow"),
			item(csc, "CoreShowChannel", 1),
			item(qs, "QueueParams", 1),
			ev(2),
			item(qs, "QueueMember", 2),
			item(csc, "CoreShowChannel", 2),
			done(csc, "CoreShowChannelsComplete", 2),
			ev(3),
			amitest.Msg("Event", "OriginateResponse", "ActionID", "someone-else", "Response", "Failure"),
			done(qs, "QueueStatusComplete", 2),
		)
	}
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"QueueStatus": answer, "CoreShowChannels": answer, "Getvar": answer,
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	ctx := ctxT(t, 5*time.Second)

	var wg sync.WaitGroup
	var qs, csc []ami.Message
	var v string
	var errs [3]error
	wg.Add(1)
	go func() { defer wg.Done(); qs, errs[0] = c.QueueStatus(ctx, QueueStatusParams{}) }()
	waitAction(t, srv, "QueueStatus")
	wg.Add(1)
	go func() { defer wg.Done(); csc, errs[1] = c.CoreShowChannels(ctx) }()
	waitAction(t, srv, "CoreShowChannels")
	wg.Add(1)
	go func() { defer wg.Done(); v, errs[2] = c.Getvar(ctx, "", "V") }()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("action %d: %v", i, err)
		}
	}
	if got := names(qs); got != "QueueParams,QueueMember" {
		t.Errorf("QueueStatus: got %s", got)
	}
	if got := names(csc); got != "CoreShowChannel,CoreShowChannel" {
		t.Errorf("CoreShowChannels: got %s", got)
	}
	if v != "42" {
		t.Errorf("Getvar: got %q, want 42", v)
	}
	want := []string{"connected", "PJSIP/1", "PJSIP/2", "PJSIP/3", "OriginateResponse"}
	for i, w := range want {
		ev, err := sub.Next(ctx)
		if err == nil && ev.Message.Event() == "FullyBooted" {
			ev, err = sub.Next(ctx) // subscribed before the login's batch was handed over
		}
		if err != nil {
			t.Fatal(err)
		}
		got := ev.Kind.String()
		if ev.Kind == KindEvent {
			got = ev.Message.Get("Channel")
			if got == "" {
				got = ev.Message.Event()
			}
		}
		if got != w {
			t.Fatalf("item %d: got %s, want %s", i, got, w)
		}
	}
}

func names(evs []ami.Message) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Event())
	}
	return strings.Join(out, ",")
}

// TestActionID: a caller-chosen ActionID is used as is, and refused while
// another action with it is in flight.
func TestActionID(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Originate": func(c *amitest.Conn, a ami.Message) {
			if a.ActionID() == "mine-2" {
				c.Reply(a, "Success", "Message", "Originate successfully queued")
			}
		},
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := OriginateParams{Channel: "Local/1@x", Context: "x", Exten: "1", ActionID: "mine-1"}
	done := make(chan error, 1)
	go func() { _, err := c.Originate(ctx, p); done <- err }()
	if got := waitAction(t, srv, "Originate"); got.ActionID() != "mine-1" {
		t.Fatalf("ActionID on the wire: got %q, want mine-1", got.ActionID())
	}
	if _, err := c.Originate(ctxT(t, time.Second), p); !errors.Is(err, ErrDuplicateID) {
		t.Fatalf("same id in flight: got %v, want ErrDuplicateID", err)
	}
	p.ActionID = "mine-2"
	if _, err := c.Originate(ctxT(t, 5*time.Second), p); err != nil {
		t.Fatalf("another id: %v", err)
	}
	cancel()
	<-done
	// Once freed, the id may be used again.
	p.ActionID = "mine-1"
	if _, err := c.Originate(ctxT(t, 50*time.Millisecond), p); !errors.Is(err, ErrTimeout) {
		t.Fatalf("reused id: got %v, want a timeout (no answer), not ErrDuplicateID", err)
	}
}

// TestCommandFormats: Command returns the text for the Output lines of
// Asterisk 14+ and for the old "Response: Follows ... --END COMMAND--".
func TestCommandFormats(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Command": func(c *amitest.Conn, a ami.Message) {
			switch a.Get("Command") {
			case "new":
				c.Reply(a, "Success", "Message", "Command output follows", "Output", "line 1", "Output", "  line: 2")
			case "old":
				c.WriteRaw([]byte("Response: Follows\r\nPrivilege: Command\r\nActionID: " + a.ActionID() +
					"\r\nline 1\n  line: 2\n--END COMMAND--\r\n\r\n"))
			case "old-joined":
				c.WriteRaw([]byte("Response: Follows\r\nPrivilege: Command\r\nActionID: " + a.ActionID() +
					"\r\nline 1\n  line: 2--END COMMAND--\r\n\r\n"))
			case "bad":
				c.Reply(a, "Error", "Message", "Command output follows", "Output", "No such command 'bad'")
			}
		},
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	for _, cmd := range []string{"new", "old", "old-joined"} {
		got, err := c.Command(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if want := "line 1\n  line: 2"; got != want {
			t.Errorf("%s: got %q, want %q", cmd, got, want)
		}
	}
	_, err := c.Command(ctx, "bad")
	var ae *ActionError
	if !errors.As(err, &ae) || ae.Output != "No such command 'bad'" {
		t.Fatalf("bad: got %v, want ActionError with the output", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after old-style output: %v", err)
	}
}

// TestMessageOverBound: a message over MaxMessageSize is skipped and the
// connection goes on.
func TestMessageOverBound(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	cfg := testConfig(t, srv.Addr())
	cfg.MaxMessageSize = 1024
	cfg.Logger = discardLogger
	c := start(t, cfg)
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	srv.Emit(
		amitest.Msg("Event", "VarSet", "Value", strings.Repeat("x", 4000)),
		amitest.Msg("Event", "VarSet", "Value", "small"),
	)
	ctx := ctxT(t, 5*time.Second)
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != KindEvent || ev.Message.Event() != "VarSet" {
			continue
		}
		if v := ev.Message.Get("Value"); v != "small" {
			t.Fatalf("got a VarSet of %d bytes, want the big one skipped", len(v))
		}
		break
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestOldAsteriskList: Asterisk 1.8 answers list actions with "... will
// follow" and ends them with a ...Complete event, without EventList headers.
func TestOldAsteriskList(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Banner: "Asterisk Call Manager/1.1", Handlers: map[string]amitest.Handler{
		"Status": func(c *amitest.Conn, a ami.Message) {
			c.Write(
				amitest.Response(a, "Success", "Message", "Channel status will follow"),
				amitest.Msg("Event", "Status", "Privilege", "Call", "Channel", "SIP/201-00000001", "ActionID", a.ActionID()),
				amitest.Msg("Event", "Status", "Privilege", "Call", "Channel", "SIP/202-00000002", "ActionID", a.ActionID()),
				amitest.Msg("Event", "StatusComplete", "ActionID", a.ActionID(), "Items", "2"),
			)
		},
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	if v := c.Version(); v != "1.1" {
		t.Errorf("Version: got %q, want 1.1", v)
	}
	got, err := c.Status(ctxT(t, 5*time.Second), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Get("Channel") != "SIP/202-00000002" {
		t.Fatalf("Status: got %d events: %v", len(got), got)
	}
}

// TestOddMessagesTolerated: malformed or stray messages from the server
// neither break the connection nor reach a caller they do not belong to.
func TestOddMessagesTolerated(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	srv.EmitRaw([]byte("" +
		"Response: Success\r\nMessage: no ActionID\r\n\r\n" +
		"Response: Success\r\nActionID: nobody\r\n\r\n" +
		"Response: Follows\r\nActionID: nobody\r\nx\n--END COMMAND--\r\n\r\n" +
		"just a line\r\n: and another\r\n\r\n" +
		"Event: QueueMember\r\nActionID: nobody\r\nEventList: Complete\r\n\r\n" +
		"\r\n\r\n\n" +
		"Event: Last\r\n\r\n"))
	ctx := ctxT(t, 5*time.Second)
	var got []string
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != KindEvent || ev.Message.Event() == "FullyBooted" {
			continue
		}
		got = append(got, ev.Message.Event())
		if ev.Message.Event() == "Last" {
			break
		}
	}
	// The line without a name is an event with no Event field; responses
	// to no one are dropped.
	if want := ",QueueMember,Last"; strings.Join(got, ",") != want {
		t.Errorf("events: got %q, want %q", strings.Join(got, ","), want)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after odd messages: %v", err)
	}
}

// TestSendListInStream: a list sent with SendListInStream reaches the
// subscribers as one KindList exactly where its completing event was read,
// between the unrelated events before and after it; a plain list does not.
// The unrelated events come as frames, unparsed by the reader, even while
// the list is read.
func TestSendListInStream(t *testing.T) {
	ev := func(n int) ami.Message {
		return amitest.Msg("Event", "Newstate", "Channel", fmt.Sprintf("PJSIP/%d", n))
	}
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"CoreShowChannels": func(c *amitest.Conn, a ami.Message) {
			c.Write(
				amitest.Response(a, "Success", "EventList", "start", "Message", "Channels will follow"),
				ev(1),
				amitest.Msg("Event", "CoreShowChannel", "ActionID", a.ActionID(), "Channel", "PJSIP/9"),
				ev(2),
				amitest.Msg("Event", "CoreShowChannelsComplete", "ActionID", a.ActionID(), "EventList", "Complete", "ListItems", "1"),
				ev(3),
			)
		},
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	ctx := ctxT(t, 10*time.Second)

	a := ami.NewAction("CoreShowChannels")
	a.ID = "resync-1"
	if _, evs, err := c.SendListInStream(ctx, a); err != nil || names(evs) != "CoreShowChannel,CoreShowChannelsComplete" {
		t.Fatalf("SendListInStream: %s, %v", names(evs), err)
	}
	if _, err := c.CoreShowChannels(ctx); err != nil {
		t.Fatalf("CoreShowChannels: %v", err)
	}
	want := []string{"connected", "PJSIP/1", "PJSIP/2", "list resync-1 CoreShowChannel,CoreShowChannelsComplete", "PJSIP/3", "PJSIP/1", "PJSIP/2", "PJSIP/3"}
	for i, w := range want {
		ev, frame, err := sub.NextFrame(ctx)
		if err == nil && ev.Message.Event() == "FullyBooted" {
			ev, frame, err = sub.NextFrame(ctx)
		}
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		got := ev.Kind.String()
		switch ev.Kind {
		case KindEvent:
			if frame == nil {
				t.Fatalf("item %d: %s parsed by the reader", i, ev.Message.Get("Channel"))
			}
			ch, _ := frame.Lookup("Channel")
			got = string(ch)
		case KindList:
			got += " " + ev.Message.ActionID() + " " + names(ev.List)
		}
		if got != w {
			t.Fatalf("item %d: got %q, want %q", i, got, w)
		}
	}
}
