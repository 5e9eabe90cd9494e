package amiclient

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// injections are values that would end a header line, or the message, on
// Asterisk's side if they reached the socket.
var injections = []string{"x\r\nAction: Hangup\r\nChannel: /.*/", "x\nAction: Hangup", "x\rAction: Hangup", "x\x00y", "x\r\n\r\nAction: Logoff"}

type helperCall struct {
	name string
	call func(ctx context.Context, c *Client, v string) error
}

// structCalls returns one call per string field (and per Variable name and
// value) of a params struct, with that field set to v.
func structCalls[P any](name string, base P, send func(ctx context.Context, c *Client, p P) error) []helperCall {
	var out []helperCall
	rt := reflect.TypeOf(base)
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		switch f.Type.Kind() {
		case reflect.String:
			out = append(out, helperCall{name + "." + f.Name, func(ctx context.Context, c *Client, v string) error {
				p := base
				reflect.ValueOf(&p).Elem().Field(i).SetString(v)
				return send(ctx, c, p)
			}})
		case reflect.Slice: // OriginateParams.Variables
			for _, which := range []string{"Name", "Value"} {
				out = append(out, helperCall{name + "." + f.Name + "." + which, func(ctx context.Context, c *Client, v string) error {
					p := base
					field := ami.Field{Name: "VAR", Value: "ok"}
					reflect.ValueOf(&field).Elem().FieldByName(which).SetString(v)
					reflect.ValueOf(&p).Elem().Field(i).Set(reflect.ValueOf([]ami.Field{{Name: "A", Value: "1"}, field}))
					return send(ctx, c, p)
				}})
			}
		}
	}
	return out
}

func allHelperCalls() []helperCall {
	calls := structCalls("Originate", OriginateParams{Channel: "Local/1@x", Context: "x", Exten: "1"},
		func(ctx context.Context, c *Client, p OriginateParams) error {
			_, err := c.Originate(ctx, p)
			return err
		})
	calls = append(calls, structCalls("Redirect", RedirectParams{Channel: "Local/1@x;1", ExtraChannel: "Local/1@x;2", Context: "x", Exten: "1"},
		func(ctx context.Context, c *Client, p RedirectParams) error { return c.Redirect(ctx, p) })...)
	calls = append(calls, structCalls("QueuePause", QueuePauseParams{Interface: "Local/101@phones", Queue: "q", Reason: "r"},
		func(ctx context.Context, c *Client, p QueuePauseParams) error { return c.QueuePause(ctx, p) })...)
	calls = append(calls, structCalls("Action", ami.Action{Name: "Ping", ID: "id"},
		func(ctx context.Context, c *Client, a ami.Action) error { _, err := c.Send(ctx, &a); return err })...)
	pos := []helperCall{
		{"BlindTransfer.channel", func(ctx context.Context, c *Client, v string) error {
			return c.BlindTransfer(ctx, TransferParams{Channel: v, Context: "x", Exten: "1"})
		}},
		{"BlindTransfer.context", func(ctx context.Context, c *Client, v string) error {
			return c.BlindTransfer(ctx, TransferParams{Channel: "C", Context: v, Exten: "1"})
		}},
		{"BlindTransfer.exten", func(ctx context.Context, c *Client, v string) error {
			return c.BlindTransfer(ctx, TransferParams{Channel: "C", Context: "x", Exten: v})
		}},
		{"Atxfer.channel", func(ctx context.Context, c *Client, v string) error {
			return c.Atxfer(ctx, TransferParams{Channel: v, Context: "x", Exten: "1"})
		}},
		{"Atxfer.context", func(ctx context.Context, c *Client, v string) error {
			return c.Atxfer(ctx, TransferParams{Channel: "C", Context: v, Exten: "1"})
		}},
		{"Atxfer.exten", func(ctx context.Context, c *Client, v string) error {
			return c.Atxfer(ctx, TransferParams{Channel: "C", Context: "x", Exten: v})
		}},
		{"Hangup.channel", func(ctx context.Context, c *Client, v string) error {
			return c.Hangup(ctx, HangupParams{Channel: v, Cause: 16})
		}},
		{"QueueStatus.queue", func(ctx context.Context, c *Client, v string) error {
			_, err := c.QueueStatus(ctx, QueueStatusParams{Queue: v})
			return err
		}},
		{"QueueStatus.member", func(ctx context.Context, c *Client, v string) error {
			_, err := c.QueueStatus(ctx, QueueStatusParams{Member: v})
			return err
		}},
		{"QueueSummary.queue", func(ctx context.Context, c *Client, v string) error {
			_, err := c.QueueSummary(ctx, QueueSummaryParams{Queue: v})
			return err
		}},
		{"Status.channel", func(ctx context.Context, c *Client, v string) error { _, err := c.Status(ctx, v); return err }},
		{"Getvar.channel", func(ctx context.Context, c *Client, v string) error { _, err := c.Getvar(ctx, v, "V"); return err }},
		{"Getvar.variable", func(ctx context.Context, c *Client, v string) error { _, err := c.Getvar(ctx, "", v); return err }},
		{"Setvar.channel", func(ctx context.Context, c *Client, v string) error { return c.Setvar(ctx, v, "V", "1") }},
		{"Setvar.variable", func(ctx context.Context, c *Client, v string) error { return c.Setvar(ctx, "", v, "1") }},
		{"Setvar.value", func(ctx context.Context, c *Client, v string) error { return c.Setvar(ctx, "", "V", v) }},
		{"Command.command", func(ctx context.Context, c *Client, v string) error { _, err := c.Command(ctx, v); return err }},
		{"Events.mask", func(ctx context.Context, c *Client, v string) error { return c.Events(ctx, v) }},
		{"Filter.filter", func(ctx context.Context, c *Client, v string) error { return c.Filter(ctx, v) }},
		{"SendList.name", func(ctx context.Context, c *Client, v string) error {
			_, _, err := c.SendList(ctx, ami.NewAction(v))
			return err
		}},
	}
	return append(calls, pos...)
}

// TestInjection sets every string field of every typed helper (and of a raw
// action) to values carrying CR, LF or NUL: each must be refused with
// ami.ErrUnsafeHeader and not one byte of it may reach the server.
func TestInjection(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	calls := allHelperCalls()
	if len(calls) < 40 {
		t.Fatalf("only %d helper fields covered", len(calls))
	}
	for _, hc := range calls {
		for _, v := range injections {
			err := hc.call(ctx, c, v)
			if !errors.Is(err, ami.ErrUnsafeHeader) && !(strings.HasSuffix(hc.name, "Name") && errors.Is(err, ami.ErrBadHeaderName)) {
				t.Errorf("%s = %q: got %v, want ErrUnsafeHeader", hc.name, v, err)
			}
		}
	}
	if err := c.Ping(ctx); err != nil { // a marker: everything before it was read
		t.Fatal(err)
	}
	var got []string
	for _, a := range srv.Actions() {
		got = append(got, a.Get("Action"))
	}
	if strings.Join(got, ",") != "Login,Ping" {
		t.Fatalf("server got actions %v, want only Login and Ping", got)
	}
}

// TestHangupRegexRefused: a channel starting with '/' is a regex to
// Asterisk (hang up everything matching); it is never sent.
func TestHangupRegexRefused(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	for _, ch := range []string{"/.*/", "/PJSIP/", ""} {
		if err := c.Hangup(ctx, HangupParams{Channel: ch}); !errors.Is(err, ErrBadChannel) {
			t.Errorf("Hangup(%q): got %v, want ErrBadChannel", ch, err)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Actions()); n != 2 {
		t.Fatalf("server got %d actions, want Login and Ping only", n)
	}
}

// TestHelpersOnTheWire checks the exact fields each typed helper sends.
func TestHelpersOnTheWire(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	tests := []struct {
		call func() error
		want string // fields after Action and ActionID
	}{
		{func() error {
			_, err := c.Originate(ctx, OriginateParams{
				Channel: "Local/101@phones", Context: "from-internal", Exten: "79001234567", Priority: 1,
				CallerID: `"79001234567" <79001234567>`, Async: true,
				ChannelID: "0f8fad5b-d9cb-469f-a165-70867728950e", OtherChannelID: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
				Variables: []ami.Field{{Name: "AMIGATE_CALL_ID", Value: "0f8fad5b-d9cb-469f-a165-70867728950e"}},
				Timeout:   30 * time.Second,
			})
			return err
		}, "Originate|Channel: Local/101@phones|Context: from-internal|Exten: 79001234567|Priority: 1|CallerID: \"79001234567\" <79001234567>|Async: true|ChannelId: 0f8fad5b-d9cb-469f-a165-70867728950e|OtherChannelId: 7c9e6679-7425-40de-944b-e07fc1f90ae7|Variable: AMIGATE_CALL_ID=0f8fad5b-d9cb-469f-a165-70867728950e|Timeout: 30000"},
		{func() error {
			_, err := c.Originate(ctx, OriginateParams{Channel: "PJSIP/201", Application: "Wait", Data: "20",
				Variables: []ami.Field{{Name: "A", Value: "1"}, {Name: "B", Value: "x=y"}}})
			return err
		}, "Originate|Channel: PJSIP/201|Application: Wait|Data: 20|Variable: A=1|Variable: B=x=y"},
		{func() error {
			return c.Redirect(ctx, RedirectParams{Channel: "Local/5550101@from-trunk-00000011;2", Context: "phones", Exten: "102"})
		}, "Redirect|Channel: Local/5550101@from-trunk-00000011;2|Context: phones|Exten: 102|Priority: 1"},
		{func() error {
			return c.BlindTransfer(ctx, TransferParams{Channel: "Local/101@phones-0000000f;1", Context: "from-internal", Exten: "102"})
		},
			"BlindTransfer|Channel: Local/101@phones-0000000f;1|Exten: 102|Context: from-internal"},
		{func() error {
			return c.Atxfer(ctx, TransferParams{Channel: "Local/101@phones-00000012;1", Context: "from-internal", Exten: "102"})
		},
			"Atxfer|Channel: Local/101@phones-00000012;1|Exten: 102|Context: from-internal"},
		{func() error { return c.Hangup(ctx, HangupParams{Channel: "Local/101@phones-00000016;1", Cause: 16}) }, "Hangup|Channel: Local/101@phones-00000016;1|Cause: 16"},
		{func() error { return c.Hangup(ctx, HangupParams{Channel: "PJSIP/201-00000001"}) }, "Hangup|Channel: PJSIP/201-00000001"},
		{func() error {
			return c.QueuePause(ctx, QueuePauseParams{Interface: "Local/101@phones", Queue: "support", Paused: true, Reason: "lunch"})
		}, "QueuePause|Interface: Local/101@phones|Paused: true|Queue: support|Reason: lunch"},
		{func() error { return c.Setvar(ctx, "PJSIP/201-00000001", "X", "1") }, "Setvar|Channel: PJSIP/201-00000001|Variable: X|Value: 1"},
		{func() error { return c.Filter(ctx, "!Event: RTCP*") }, "Filter|Operation: Add|Filter: !Event: RTCP*"},
		{func() error { return c.Events(ctx, "call,agent") }, "Events|EventMask: call,agent"},
	}
	for _, tc := range tests {
		tc.call() // the server answers most with "Invalid/unknown command"
		a := waitAction(t, srv, strings.SplitN(tc.want, "|", 2)[0])
		parts := []string{a.Get("Action")}
		for _, f := range a.Fields[2:] {
			parts = append(parts, f.Name+": "+f.Value)
		}
		if got := strings.Join(parts, "|"); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
