package amiclient

import (
	"errors"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// TestFullyBootedInLoginSegment is the trap that costs several AMI clients
// their first events: Asterisk writes FullyBooted and more right behind the
// login response, in the same TCP segment. The client must be ready at once
// (not after LoginTimeout) and the subscriber must get every one of them,
// whether they come in one write or byte by byte.
func TestFullyBootedInLoginSegment(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chunk int // bytes per write; 0: everything in one write
	}{
		{"one write", 0},
		{"byte by byte", 1},
		{"7 bytes at a time", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			login := func(c *amitest.Conn, a ami.Message) {
				var b []byte
				for _, m := range []ami.Message{
					amitest.Response(a, "Success", "Message", "Authentication accepted"),
					amitest.Msg("Event", "FullyBooted", "Privilege", "system,all", "Status", "Fully Booted"),
					amitest.Msg("Event", "SuccessfulAuth", "AccountID", "crm"),
					amitest.Msg("Event", "Newchannel", "Channel", "PJSIP/201-00000001"),
				} {
					b = append(b, m.String()...)
				}
				if tc.chunk == 0 {
					c.WriteRaw(b)
					return
				}
				for len(b) > 0 {
					n := min(tc.chunk, len(b))
					c.WriteRaw(b[:n])
					b = b[n:]
				}
			}
			srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{"Login": login}})
			cfg := testConfig(t, srv.Addr())
			cfg.LoginTimeout = time.Minute // ready long before, or the test times out
			release := make(chan struct{})
			cfg.Dial = gatedDial(release)
			c := start(t, cfg)
			sub := c.Subscribe(SubscribeOptions{Lossless: true})
			close(release)
			if err := c.WaitReady(ctxT(t, 5*time.Second)); err != nil {
				t.Fatalf("WaitReady: %v (FullyBooted lost?)", err)
			}
			want := []string{"connected", "FullyBooted", "SuccessfulAuth", "Newchannel"}
			for i, w := range want {
				ev, err := sub.Next(ctxT(t, 5*time.Second))
				if err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				got := ev.Kind.String()
				if ev.Kind == KindEvent {
					got = ev.Message.Event()
				}
				if got != w {
					t.Fatalf("item %d: got %s, want %s", i, got, w)
				}
			}
		})
	}
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		auth   string
		secret string
		events string
		want   error
	}{
		{"md5", "md5", "crmsecret", "on", nil},
		{"plain", "plain", "crmsecret", "on", nil},
		{"events off", "md5", "crmsecret", "off", nil},
		{"wrong secret md5", "md5", "wrong", "on", ErrAuthFailed},
		{"wrong secret plain", "plain", "wrong", "on", ErrAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := amitest.Start(t, amitest.Config{Username: "crm", Secret: "crmsecret"})
			cfg := testConfig(t, srv.Addr())
			cfg.Auth, cfg.Secret, cfg.Events = tc.auth, tc.secret, tc.events
			cfg.Logger = discardLogger
			c := start(t, cfg)
			if tc.want == nil {
				waitReady(t, c)
				login := findAction(t, srv, "Login")
				if got := login.Get("Events"); got != tc.events {
					t.Errorf("Login Events: got %q, want %q", got, tc.events)
				}
				if tc.auth == "md5" && login.Get("Secret") != "" {
					t.Error("md5 login sent the secret")
				}
				return
			}
			// Refused logins are retried, with backoff, and never get ready.
			if err := srv.WaitAccepted(ctxT(t, 5*time.Second), 3); err != nil {
				t.Fatalf("no retry after a refused login: %v", err)
			}
			err := c.WaitReady(ctxT(t, 50*time.Millisecond))
			if !errors.Is(err, tc.want) {
				t.Fatalf("WaitReady: got %v, want %v", err, tc.want)
			}
			if st := c.State(); st == Ready {
				t.Fatalf("State: got %v after a refused login", st)
			}
		})
	}
}

// TestPermissionDenied: a user without the system read class gets no
// FullyBooted; the client goes ready after LoginTimeout and reports refused
// actions as ActionError.
func TestPermissionDenied(t *testing.T) {
	blocks, err := amitest.ParseTranscript(transcripts + "/permission_denied.txt")
	if err != nil {
		t.Fatal(err)
	}
	srv := amitest.Start(t, amitest.Config{Transcript: blocks, IgnoreActionID: true})
	cfg := testConfig(t, srv.Addr())
	cfg.Username, cfg.Secret = "limited", "limitedsecret"
	cfg.LoginTimeout = 200 * time.Millisecond
	c := start(t, cfg)
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	_, err = c.Originate(ctx, OriginateParams{Channel: "Local/101@phones", Context: "from-internal", Exten: "79001234567", Priority: 1, Async: true})
	var ae *ActionError
	if !errors.As(err, &ae) || ae.Message != "Permission denied" || ae.Action != "Originate" {
		t.Fatalf("Originate: got %v, want ActionError Permission denied", err)
	}
	if _, err := c.Command(ctx, "core show uptime"); !errors.As(err, &ae) || ae.Message != "Permission denied" {
		t.Fatalf("Command: got %v, want ActionError Permission denied", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := c.Logoff(ctx); err != nil {
		t.Fatalf("Logoff: %v", err)
	}
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestChallengeMD5 replays the recorded MD5 login: the server checks the
// Key byte for byte against md5(challenge + secret) as Asterisk computed.
func TestChallengeMD5(t *testing.T) {
	blocks, err := amitest.ParseTranscript(transcripts + "/challenge_md5.txt")
	if err != nil {
		t.Fatal(err)
	}
	srv := amitest.Start(t, amitest.Config{Transcript: blocks, IgnoreActionID: true})
	cfg := testConfig(t, srv.Addr())
	cfg.Auth = "md5"
	c := start(t, cfg)
	waitReady(t, c)
	ctx := ctxT(t, 5*time.Second)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Logoff(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(ctx); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

func findAction(t *testing.T, srv *amitest.Server, name string) ami.Message {
	t.Helper()
	for _, a := range srv.Actions() {
		if a.Get("Action") == name {
			return a
		}
	}
	t.Fatalf("server never got %s", name)
	return ami.Message{}
}
