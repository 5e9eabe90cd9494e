package pbxsim

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startPBX runs a PBX at 1/100 of the recorded delays on a free port.
func startPBX(t testing.TB) (*PBX, string) {
	t.Helper()
	return startOffice(t, DefaultOffice().Scaled(scale))
}

// startOffice is startPBX with an office of the test's own.
func startOffice(t testing.TB, o Office) (*PBX, string) {
	t.Helper()
	p := New(Config{Office: o})
	t.Cleanup(func() { p.Close() })
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return p, addr
}

func TestLogin(t *testing.T) {
	_, addr := startPBX(t)
	tests := []struct {
		name, user, secret, events string
		want                       string // Response
		fullyBooted                bool
	}{
		{"full access", "crm", "crmsecret", "on", "Success", true},
		{"events off: no FullyBooted", "crm", "crmsecret", "off", "Success", false},
		{"no system read class: no FullyBooted", "limited", "limitedsecret", "on", "Success", false},
		{"wrong secret", "crm", "nope", "on", "Error", false},
		{"unknown user", "ghost", "crmsecret", "on", "Error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialAMI(t, addr)
			if c.banner != "11.0.0" {
				t.Errorf("banner version %q, want 11.0.0", c.banner)
			}
			r := c.response(ami.NewAction("Login").Add("Username", tt.user).Add("Secret", tt.secret).Add("Events", tt.events), "l")
			if r.Response() != tt.want {
				t.Fatalf("got %s, want %s", r.Response(), tt.want)
			}
			if tt.want == "Error" {
				if r.Get("Message") != "Authentication failed" {
					t.Errorf("message %q", r.Get("Message"))
				}
				// Asterisk closes the socket after a failed login.
				if c.waitFor(2*time.Second, func([]ami.Message) bool { return false }) {
					t.Error("connection still open")
				}
				return
			}
			c.response(ami.NewAction("Ping"), "p")
			ms := c.messages()
			fb := len(ms) > 1 && ms[1].Event() == "FullyBooted"
			if fb != tt.fullyBooted {
				t.Errorf("FullyBooted right behind the login response: got %v, want %v (%v)", fb, tt.fullyBooted, eventNames(ms))
			}
		})
	}
}

func TestChallengeMD5(t *testing.T) {
	_, addr := startPBX(t)
	c := dialAMI(t, addr)
	cr := c.response(ami.NewAction("Challenge").Add("AuthType", "MD5"), "c")
	ch := cr.Get("Challenge")
	if ch == "" {
		t.Fatal("no challenge")
	}
	sum := md5.Sum([]byte(ch + "crmsecret"))
	r := c.response(ami.NewAction("Login").Add("AuthType", "MD5").Add("Username", "crm").Add("Key", hex.EncodeToString(sum[:])), "l")
	if r.Response() != "Success" {
		t.Fatalf("login: %v", r.Fields)
	}
}

func TestPermissionsAndActions(t *testing.T) {
	_, addr := startPBX(t)
	limited := login(t, addr, "limited", "limitedsecret", "on")
	crm := login(t, addr, "crm", "crmsecret", "off")
	tests := []struct {
		name    string
		c       *testClient
		action  *ami.Action
		resp    string
		message string
	}{
		{"originate needs originate", limited, ami.NewAction("Originate").Add("Channel", "Local/101@phones").Add("Context", "from-internal").Add("Exten", "1").Add("Async", "true"), "Error", "Permission denied"},
		{"command needs command", limited, ami.NewAction("Command").Add("Command", "core show uptime"), "Error", "Permission denied"},
		{"ping needs nothing", limited, ami.NewAction("Ping"), "Success", ""},
		{"unknown action", crm, ami.NewAction("Frobnicate"), "Error", "Invalid/unknown command"},
		{"unknown command", crm, ami.NewAction("Command").Add("Command", "no such cli command"), "Error", "Command output follows"},
		{"command", crm, ami.NewAction("Command").Add("Command", "core show uptime"), "Success", "Command output follows"},
		{"hangup of no channel", crm, ami.NewAction("Hangup").Add("Channel", "Local/101@phones-00000001;1"), "Error", "No such channel"},
		{"events off", crm, ami.NewAction("Events").Add("EventMask", "off"), "Success", ""},
		{"filter", crm, ami.NewAction("Filter").Add("Operation", "Add").Add("Filter", "Event: Newchannel"), "Success", "Filter Added Successfully"},
		{"setvar global", crm, ami.NewAction("Setvar").Add("Variable", "X").Add("Value", "1"), "Success", "Variable Set"},
		{"queue pause", crm, ami.NewAction("QueuePause").Add("Queue", "support").Add("Interface", "Local/101@phones").Add("Paused", "false"), "Success", "Interface unpaused successfully"},
		{"queue pause unknown member", crm, ami.NewAction("QueuePause").Add("Interface", "Local/999@phones").Add("Paused", "true"), "Error", "Interface not found"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.response(tt.action, "a"+string(rune('a'+i)))
			if r.Response() != tt.resp || (tt.message != "" && r.Get("Message") != tt.message) {
				t.Errorf("got %s / %q, want %s / %q", r.Response(), r.Get("Message"), tt.resp, tt.message)
			}
		})
	}
	t.Run("unauthenticated", func(t *testing.T) {
		c := dialAMI(t, addr)
		if r := c.response(ami.NewAction("Ping"), "p"); r.Get("Message") != "Permission denied" {
			t.Errorf("got %v", r.Fields)
		}
	})
	t.Run("logoff", func(t *testing.T) {
		c := login(t, addr, "crm", "crmsecret", "off")
		r := c.response(ami.NewAction("Logoff"), "bye")
		if r.Response() != "Goodbye" {
			t.Errorf("got %s", r.Response())
		}
		if c.waitFor(2*time.Second, func([]ami.Message) bool { return false }) {
			t.Error("connection still open after Logoff")
		}
	})
}

// TestEventsAndFilter: a limited user sees call events but not dialplan or
// agent ones; a Filter keeps only matching events; Events off stops them.
func TestEventsAndFilter(t *testing.T) {
	p, addr := startPBX(t)
	limited := login(t, addr, "limited", "limitedsecret", "on")
	filtered := login(t, addr, "crm", "crmsecret", "on")
	filtered.response(ami.NewAction("Filter").Add("Operation", "Add").Add("Filter", "^Event: Hangup$"), "f")
	quiet := login(t, addr, "crm", "crmsecret", "on")
	quiet.response(ami.NewAction("Events").Add("EventMask", "off"), "e")
	all := login(t, addr, "crm", "crmsecret", "on")

	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550101", HangupAfter: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, p)
	// The last events of the call are written after the last hangup.
	all.mustEvent(waitLong, "QueueMemberStatus")
	for _, m := range limited.messages() {
		if c := eventClass(&m); m.IsEvent() && c != permCall {
			t.Errorf("limited user got %s (%s)", m.Event(), m.Get("Privilege"))
			break
		}
	}
	for _, m := range filtered.messages() {
		if m.IsEvent() && m.Event() != "Hangup" && m.Event() != "FullyBooted" && m.Event() != "SuccessfulAuth" {
			t.Errorf("filtered connection got %s", m.Event())
			break
		}
	}
	off := false
	for _, m := range quiet.messages() {
		if m.ActionID() == "e" {
			off = true
		}
		if off && m.IsEvent() {
			t.Errorf("connection with events off got %s", m.Event())
			break
		}
	}
}

// waitIdle waits until no channel is left, checking on every event.
func waitIdle(t testing.TB, p *PBX) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatalf("calls still up: %d channels", p.ActiveChannels())
	}
}

func TestDropConnectionsAndClose(t *testing.T) {
	p := New(Config{Office: DefaultOffice().Scaled(scale)})
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, addr, "crm", "crmsecret", "on")
	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550100"}); err != nil {
		t.Fatal(err)
	}
	c.mustEvent(waitLong, "AgentConnect")
	p.DropConnections()
	if c.waitFor(2*time.Second, func([]ami.Message) bool { return false }) {
		t.Error("connection still open after DropConnections")
	}
	// The call survives; a new connection sees it.
	c2 := login(t, addr, "crm", "crmsecret", "off")
	r := c2.response(ami.NewAction("CoreShowChannels"), "csc")
	if r.Response() != "Success" || p.ActiveChannels() == 0 {
		t.Errorf("calls gone after DropConnections: %v", p.ActiveChannels())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting after Close")
	}
	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550100"}); !errors.Is(err, ErrClosed) {
		t.Errorf("IncomingCall after Close: %v", err)
	}
}

func TestQueueStatusWithCaller(t *testing.T) {
	p, addr := startPBX(t)
	c := login(t, addr, "crm", "crmsecret", "on")
	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550103", From: "79005550001", Name: "Ivan"}); err != nil {
		t.Fatal(err)
	}
	c.mustEvent(waitLong, "QueueCallerJoin", "Queue", "nobody")
	c.response(ami.NewAction("QueueStatus").Add("Queue", "nobody"), "qs")
	entry, ok := c.waitEvent(waitLong, "QueueEntry", "ActionID", "qs")
	if !ok || entry.Get("CallerIDNum") != "79005550001" || !strings.HasPrefix(entry.Get("Channel"), "Local/5550103@from-trunk-") {
		t.Errorf("QueueEntry: %v", entry.Fields)
	}
	c.response(ami.NewAction("QueueSummary").Add("Queue", "nobody"), "sum")
	sum := c.mustEvent(waitLong, "QueueSummary", "ActionID", "sum")
	if sum.Get("Callers") != "1" {
		t.Errorf("QueueSummary Callers %q, want 1", sum.Get("Callers"))
	}
}

// TestServeReturnsNilOnClose: Close makes Serve return nil, not the
// listener's "use of closed network connection".
func TestServeReturnsNilOnClose(t *testing.T) {
	p := New(Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(context.Background(), ln) }()
	c := dialAMI(t, ln.Addr().String()) // Serve is accepting
	c.close()
	p.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve after Close: %v, want nil", err)
	}
}

// TestHostileInput: an over-long message and header lines without a colon
// are skipped; the connection stays usable.
func TestHostileInput(t *testing.T) {
	_, addr := startPBX(t)
	c := login(t, addr, "crm", "crmsecret", "off")
	junk := "Action: Ping\r\nX: " + strings.Repeat("a", 100<<10) + "\r\n\r\n" + "no colon here\r\n\r\n"
	if _, err := c.conn.Write([]byte(junk)); err != nil {
		t.Fatal(err)
	}
	if r := c.response(ami.NewAction("Ping"), "after-junk"); r.Get("Ping") != "Pong" {
		t.Errorf("got %v", r.Fields)
	}
}
