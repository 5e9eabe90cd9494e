package config

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const jwtSecret = "0123456789abcdef0123456789abcdef"

// minimal is the least environment a real deployment needs.
var minimal = []string{
	"AMIGATE_AMI_ADDR=pbx.lan:5038",
	"AMIGATE_AMI_USERNAME=amigate",
	"AMIGATE_AMI_SECRET=s3cret",
	"AMIGATE_JWT_SECRET=" + jwtSecret,
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	got, err := Load(nil, minimal)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.AMI.Addr, want.AMI.Username, want.AMI.Secret = "pbx.lan:5038", "amigate", "s3cret"
	want.JWT.Secret = jwtSecret
	want.Dial.TransferContext = "from-internal"
	want.Warnings = []string{NoSecretsKeyWarning}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestDemoNeedsNoPBXOrSecret(t *testing.T) {
	c, err := Load([]string{"--demo"}, nil)
	if err != nil {
		t.Fatalf("Load(--demo): %v", err)
	}
	if !c.Demo {
		t.Error("Demo is false")
	}
}

func TestFileThenEnvironment(t *testing.T) {
	file := writeFile(t, "a.yaml", `
log_level: debug
http:
  addr: "127.0.0.1:9000"
ami:
  addr: file.lan:5038
  username: fromfile
  secret: filesecret
  tls: true
  ping_interval: 5s
jwt:
  secret: `+jwtSecret+`
  algorithms: [HS256, HS512]
dial:
  agent_channel: ["Local/{ext}@from-queue/n", "PJSIP/{ext}"]
  allow: ["[0-9]{2,15}"]
  deny: []
  rewrite:
    - {prefix: "+7", replace: "8"}
    - {prefix: "+", replace: "810"}
calls:
  trunk_contexts: [pstn-in]
webhooks:
  subscriptions:
    - url: https://crm.example/hooks
      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
      events: [call.ringing]
    - url: https://other.example/hooks
      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
`)
	env := []string{
		"AMIGATE_AMI_ADDR=env.lan:5039",
		"AMIGATE_AMI_USERNAME=", // empty: the file's value stays
		"AMIGATE_DIAL_DENY=8809, 00",
		"AMIGATE_TRANSFER_CONTEXT=transfers",
		"AMIGATE_WEBHOOK_URL=https://crm.example/main",
		"AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"PATH=/usr/bin",
	}
	c, err := Load([]string{"--config=" + file}, env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"file", c.File, file},
		{"log level", c.LogLevel, slog.LevelDebug},
		{"http addr", c.HTTP.Addr, "127.0.0.1:9000"},
		{"ami addr from env", c.AMI.Addr, "env.lan:5039"},
		{"ami user from file", c.AMI.Username, "fromfile"},
		{"tls", c.AMI.TLS, true},
		{"ping", c.AMI.PingInterval, 5 * time.Second},
		{"algorithms", c.JWT.Algorithms, []string{"HS256", "HS512"}},
		{"allow", c.Dial.Allow, []string{"[0-9]{2,15}"}},
		{"agent devices from the file", c.Dial.AgentChannels, []string{"Local/{ext}@from-queue/n", "PJSIP/{ext}"}},
		{"deny from env", c.Dial.Deny, []string{"8809", "00"}},
		{"rewrite", c.Dial.Rewrite, []Rewrite{{"+7", "8"}, {"+", "810"}}},
		{"transfer context", c.Dial.TransferContext, "transfers"},
		{"trunks", c.Calls.TrunkContexts, []string{"pstn-in"}},
		{"subscriptions", c.Webhooks.All(), []Subscription{
			{URL: "https://crm.example/main", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			{URL: "https://crm.example/hooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Events: []string{"call.ringing"}},
			{URL: "https://other.example/hooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		}},
	}
	for _, ch := range checks {
		if diff := cmp.Diff(ch.want, ch.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ch.name, diff)
		}
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	file := writeFile(t, "b.yaml", "http:\n  addr: \":7000\"\n")
	c, err := Load(nil, append([]string{"AMIGATE_CONFIG=" + file}, minimal...))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != ":7000" {
		t.Errorf("got http addr %q, want :7000 from AMIGATE_CONFIG's file", c.HTTP.Addr)
	}
	c, err = Load(nil, append([]string{"AMIGATE_DIAL_AGENT_CHANNEL=Local/{ext}@phones, PJSIP/{ext}"}, minimal...))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Local/{ext}@phones", "PJSIP/{ext}"}, c.Dial.AgentChannels); diff != "" {
		t.Errorf("agent devices from a comma-separated list (-want +got):\n%s", diff)
	}
}

func TestSecretFiles(t *testing.T) {
	sec := writeFile(t, "ami", "from-a-file\n")
	jwt := writeFile(t, "jwt", jwtSecret+"\r\n")
	env := []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u",
		"AMIGATE_AMI_SECRET_FILE=" + sec, "AMIGATE_JWT_SECRET_FILE=" + jwt}
	c, err := Load(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.AMI.Secret != "from-a-file" || c.JWT.Secret != jwtSecret {
		t.Errorf("got secrets %q and %q, want the files' first lines", c.AMI.Secret, c.JWT.Secret)
	}
}

// TestWarnings: an AMIGATE_ variable that is no setting is named, with
// the setting probably meant when one is near.
func TestWarnings(t *testing.T) {
	c, err := Load(nil, append([]string{
		"AMIGATE_AMI_ADRR=x",
		"AMIGATE_AMI_SECRET_FILE_X=y",
		"AMIGATE_DIAL_MAX_TIMOUT=60s",
		"AMIGATE_DIAL_DEFAULT_TIMEOUT=20s", // the YAML key's spelling
		"AMIGATE_SOMETHING_ELSE_ENTIRELY=1",
	}, minimal...))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"AMIGATE_AMI_ADRR: not a setting, ignored (did you mean AMIGATE_AMI_ADDR?)",
		"AMIGATE_AMI_SECRET_FILE_X: not a setting, ignored (did you mean AMIGATE_AMI_SECRET_FILE?)",
		"AMIGATE_DIAL_DEFAULT_TIMEOUT: not a setting, ignored (did you mean AMIGATE_DIAL_TIMEOUT?)",
		"AMIGATE_DIAL_MAX_TIMOUT: not a setting, ignored (did you mean AMIGATE_DIAL_MAX_TIMEOUT?)",
		"AMIGATE_SOMETHING_ELSE_ENTIRELY: not a setting, ignored",
	}
	if diff := cmp.Diff(want, c.Unknown); diff != "" {
		t.Errorf("unknown variables (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{NoSecretsKeyWarning}, c.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestEveryProblemAtOnce: values that do not parse, unknown file keys and
// broken rules are reported together, not one batch per run.
func TestEveryProblemAtOnce(t *testing.T) {
	file := writeFile(t, "amigate.yaml", "ami:\n  adrr: pbx:5038\ndial:\n  context: from internal\n")
	_, err := Load([]string{"--config", file}, []string{
		"AMIGATE_AMI_PING_INTERVAL=often",                         // does not parse
		"AMIGATE_AMI_TLS=yes",                                     // does not parse
		"AMIGATE_JWT_SECRET=short",                                // breaks a rule
		"AMIGATE_DIAL_MIN_DIGITS=10", "AMIGATE_DIAL_MAX_DIGITS=5", // cross-field
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"line 2: ami.adrr: unknown key (did you mean ami.addr?)",
		"AMIGATE_AMI_PING_INTERVAL: \"often\" is not a duration",
		"AMIGATE_AMI_TLS: \"yes\" is not true or false",
		"AMIGATE_AMI_ADDR: required unless --demo",
		"AMIGATE_JWT_SECRET: 5 bytes: want at least 32",
		"AMIGATE_DIAL_CONTEXT: \"from internal\" is not a dialplan context name",
		"AMIGATE_DIAL_MIN_DIGITS/AMIGATE_DIAL_MAX_DIGITS: 10..5 is not a range",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

func TestHelpFlag(t *testing.T) {
	if _, err := Load([]string{"-h"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("got %v, want flag.ErrHelp", err)
	}
}

// TestLogValueHidesSecrets logs a configuration full of secrets.
func TestLogValueHidesSecrets(t *testing.T) {
	c, err := Load(nil, append([]string{
		"AMIGATE_WEBHOOK_URL=https://crm.example/h",
		"AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"AMIGATE_NATS_URL=nats://user:natspass@nats:4222",
	}, minimal...))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("config", "config", c)
	for _, s := range []string{"s3cret", jwtSecret, "whsec_", "natspass"} {
		if strings.Contains(b.String(), s) {
			t.Errorf("log contains %q: %s", s, b.String())
		}
	}
	if !strings.Contains(b.String(), "pbx.lan:5038") {
		t.Errorf("log lacks the AMI address: %s", b.String())
	}
}

func TestLoadForMinting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string // error substring; empty: success
	}{
		{name: "secret only", env: []string{"AMIGATE_JWT_SECRET=" + jwtSecret}},
		{name: "no secret", env: []string{"AMIGATE_JWT_PUBLIC_KEY_FILE=/dev/null"}, want: "AMIGATE_JWT_SECRET: required to mint tokens"},
		{name: "no demo flag", args: []string{"--demo"}, env: []string{"AMIGATE_JWT_SECRET=" + jwtSecret}, want: "flag provided but not defined: -demo"},
		{name: "bad other setting", env: []string{"AMIGATE_JWT_SECRET=" + jwtSecret, "AMIGATE_DIAL_CONTEXT=a b"}, want: "AMIGATE_DIAL_CONTEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadForMinting(tt.args, tt.env)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.JWT.Secret != jwtSecret {
					t.Errorf("got secret %q", c.JWT.Secret)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestNoSecretsKeyWarning: without AMIGATE_SECRETS_KEY a store that outlives
// the process cannot hold API-created subscriptions, which start-up and
// `check` say; the demo's throw-away store gets a generated key instead.
func TestNoSecretsKeyWarning(t *testing.T) {
	const key = "AMIGATE_SECRETS_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	tests := []struct {
		name string
		args []string
		env  []string
		want bool
	}{
		{name: "deployment without key", env: minimal, want: true},
		{name: "deployment with key", env: append([]string{key}, minimal...)},
		{name: "demo", args: []string{"--demo"}},
		{name: "demo on a shared NATS", args: []string{"--demo"}, env: []string{"AMIGATE_NATS_URL=nats://nats:4222"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(c.Warnings, NoSecretsKeyWarning); got != tt.want {
				t.Errorf("warned %v, want %v (warnings %q)", got, tt.want, c.Warnings)
			}
		})
	}
}
