package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsNameTheKey checks that each bad setting stops Load with a
// message that starts with its key.
func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string // added to minimal; a "-KEY" entry removes KEY
		file string   // YAML, when set
		want string
	}{
		{name: "no ami addr", env: []string{"-AMIGATE_AMI_ADDR"}, want: "AMIGATE_AMI_ADDR: required unless --demo"},
		{name: "ami addr without port", env: []string{"AMIGATE_AMI_ADDR=pbx"}, want: "AMIGATE_AMI_ADDR: \"pbx\" is not host:port"},
		{name: "no ami user", env: []string{"-AMIGATE_AMI_USERNAME"}, want: "AMIGATE_AMI_USERNAME: required with AMIGATE_AMI_ADDR"},
		{name: "no ami secret", env: []string{"-AMIGATE_AMI_SECRET"}, want: "AMIGATE_AMI_SECRET: required with AMIGATE_AMI_ADDR"},
		{name: "ami auth", env: []string{"AMIGATE_AMI_AUTH=sha1"}, want: "AMIGATE_AMI_AUTH: \"sha1\": want md5 or plain"},
		{name: "ca without tls", env: []string{"AMIGATE_AMI_TLS_CA_FILE=/etc/ca.pem"}, want: "AMIGATE_AMI_TLS_CA_FILE: set but AMIGATE_AMI_TLS is false"},
		{name: "missing ca file", env: []string{"AMIGATE_AMI_TLS=true", "AMIGATE_AMI_TLS_CA_FILE=/nonexistent/ca.pem"}, want: "AMIGATE_AMI_TLS_CA_FILE: open /nonexistent/ca.pem"},
		{name: "tls not a bool", env: []string{"AMIGATE_AMI_TLS=yes"}, want: "AMIGATE_AMI_TLS: \"yes\" is not true or false"},
		{name: "bad duration", env: []string{"AMIGATE_AMI_PING_INTERVAL=20"}, want: "AMIGATE_AMI_PING_INTERVAL: \"20\" is not a duration"},
		{name: "zero duration", env: []string{"AMIGATE_AMI_ACTION_TIMEOUT=0s"}, want: "AMIGATE_AMI_ACTION_TIMEOUT: must be a positive duration"},
		{name: "backoff range", env: []string{"AMIGATE_AMI_RECONNECT_MAX=100ms"}, want: "AMIGATE_AMI_RECONNECT_MAX: 100ms is less than"},
		{name: "buffer not a number", env: []string{"AMIGATE_AMI_EVENT_BUFFER=lots"}, want: "AMIGATE_AMI_EVENT_BUFFER: \"lots\" is not a whole number"},
		{name: "no jwt key", env: []string{"-AMIGATE_JWT_SECRET"}, want: "AMIGATE_JWT_SECRET: required unless AMIGATE_JWT_PUBLIC_KEY_FILE is set"},
		{name: "short jwt secret", env: []string{"AMIGATE_JWT_SECRET=short"}, want: "AMIGATE_JWT_SECRET: 5 bytes: want at least 32"},
		{name: "jwt secret and file", env: []string{"AMIGATE_JWT_SECRET_FILE=/x"}, want: "AMIGATE_JWT_SECRET and AMIGATE_JWT_SECRET_FILE: set only one"},
		{name: "missing public key", env: []string{"AMIGATE_JWT_PUBLIC_KEY_FILE=/nonexistent/key.pem"}, want: "AMIGATE_JWT_PUBLIC_KEY_FILE: open /nonexistent/key.pem"},
		{name: "alg none", env: []string{"AMIGATE_JWT_ALGORITHMS=HS256,none"}, want: "AMIGATE_JWT_ALGORITHMS: \"none\""},
		{name: "log level", env: []string{"AMIGATE_LOG_LEVEL=loud"}, want: "AMIGATE_LOG_LEVEL: \"loud\" is not debug, info, warn or error"},
		{name: "http addr", env: []string{"AMIGATE_HTTP_ADDR=8080"}, want: "AMIGATE_HTTP_ADDR: \"8080\" is not host:port"},
		{name: "agent channel", env: []string{"AMIGATE_DIAL_AGENT_CHANNEL=PJSIP/101"}, want: "AMIGATE_DIAL_AGENT_CHANNEL: device template \"PJSIP/101\": no {ext}"},
		{name: "agent channel, one of two", env: []string{"AMIGATE_DIAL_AGENT_CHANNEL=PJSIP/{ext},Local/{ext}"}, want: "AMIGATE_DIAL_AGENT_CHANNEL: device template \"Local/{ext}\": a Local template names its context"},
		{name: "agent channel empty", env: []string{"AMIGATE_DIAL_AGENT_CHANNEL= , "}, want: "AMIGATE_DIAL_AGENT_CHANNEL: want at least one device template"},
		{name: "agent channel with &", env: []string{"AMIGATE_DIAL_AGENT_CHANNEL=PJSIP/{ext}&PJSIP/999"}, want: "AMIGATE_DIAL_AGENT_CHANNEL:"},
		{name: "dial context", env: []string{"AMIGATE_DIAL_CONTEXT=from internal"}, want: "AMIGATE_DIAL_CONTEXT: \"from internal\" is not a dialplan context name"},
		{name: "transfer context", env: []string{"AMIGATE_TRANSFER_CONTEXT=a,b"}, want: "AMIGATE_TRANSFER_CONTEXT: \"a,b\" is not a dialplan context name"},
		{name: "extension pattern", env: []string{"AMIGATE_DIAL_EXTENSION_PATTERN=[0-9"}, want: "AMIGATE_DIAL_EXTENSION_PATTERN: \"[0-9\" is not a regular expression"},
		{name: "allow pattern", env: []string{"AMIGATE_DIAL_ALLOW=8[0-9]{10} (9"}, want: "AMIGATE_DIAL_ALLOW: pattern 2 \"(9\""},
		{name: "deny prefix", env: []string{"AMIGATE_DIAL_DENY=00,8-809"}, want: "AMIGATE_DIAL_DENY: \"8-809\""},
		{name: "rewrite form", env: []string{"AMIGATE_DIAL_REWRITE=+7>8"}, want: "AMIGATE_DIAL_REWRITE: \"+7>8\": want PREFIX=REPLACE"},
		{name: "rewrite prefix", env: []string{"AMIGATE_DIAL_REWRITE=+7=8x"}, want: "AMIGATE_DIAL_REWRITE: \"+7\"=\"8x\""},
		{name: "digits range", env: []string{"AMIGATE_DIAL_MIN_DIGITS=10", "AMIGATE_DIAL_MAX_DIGITS=5"}, want: "AMIGATE_DIAL_MIN_DIGITS/AMIGATE_DIAL_MAX_DIGITS: 10..5"},
		{name: "dial timeout", env: []string{"AMIGATE_DIAL_TIMEOUT=5m"}, want: "AMIGATE_DIAL_TIMEOUT: 5m0s: want 5s to"},
		{name: "blind transfer", env: []string{"AMIGATE_BLIND_TRANSFER=atxfer"}, want: "AMIGATE_BLIND_TRANSFER: \"atxfer\""},
		{name: "trunk context", env: []string{"AMIGATE_TRUNK_CONTEXTS=from-trunk,bad context"}, want: "AMIGATE_TRUNK_CONTEXTS: \"bad context\""},
		{name: "retention", env: []string{"AMIGATE_CALLS_RETENTION=1m"}, want: "AMIGATE_CALLS_RETENTION: 1m0s: ended calls stay readable at least 15m"},
		{name: "webhook secret without url", env: []string{"AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, want: "AMIGATE_WEBHOOK_URL: required with AMIGATE_WEBHOOK_SECRET"},
		{name: "webhook url", env: []string{"AMIGATE_WEBHOOK_URL=crm.example/hooks", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, want: "AMIGATE_WEBHOOK_URL: want an absolute http or https URL"},
		{name: "webhook no secret", env: []string{"AMIGATE_WEBHOOK_URL=https://crm.example/h"}, want: "AMIGATE_WEBHOOK_SECRET: required"},
		{name: "webhook short secret", env: []string{"AMIGATE_WEBHOOK_URL=https://crm.example/h", "AMIGATE_WEBHOOK_SECRET=whsec_c2hvcnQ="}, want: "AMIGATE_WEBHOOK_SECRET: want whsec_"},
		{name: "webhook events", env: []string{"AMIGATE_WEBHOOK_URL=https://crm.example/h", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "AMIGATE_WEBHOOK_EVENTS=call.rang"}, want: "AMIGATE_WEBHOOK_EVENTS: \"call.rang\""},
		{name: "cors origin with a path", env: []string{"AMIGATE_CORS_ORIGINS=https://crm.example/"}, want: `AMIGATE_CORS_ORIGINS: "https://crm.example/": want an origin`},
		{name: "cors origin without scheme", env: []string{"AMIGATE_CORS_ORIGINS=crm.example"}, want: `AMIGATE_CORS_ORIGINS: "crm.example": want an origin`},
		{name: "cors any among others", env: []string{"AMIGATE_CORS_ORIGINS=*,https://crm.example"}, want: `AMIGATE_CORS_ORIGINS: "*" alone`},
		{name: "token max ttl", env: []string{"AMIGATE_TOKEN_MAX_TTL=0s"}, want: "AMIGATE_TOKEN_MAX_TTL: must be a positive duration"},
		{name: "secrets key short", env: []string{"AMIGATE_SECRETS_KEY=c2hvcnQ="}, want: "AMIGATE_SECRETS_KEY: decodes to 5 bytes, want 32"},
		{name: "secrets key not base64", env: []string{"AMIGATE_SECRETS_KEY=hunter2!"}, want: "AMIGATE_SECRETS_KEY: not base64 of 32 bytes"},
		{name: "previous secrets key alone", env: []string{"AMIGATE_SECRETS_KEY_PREVIOUS=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}, want: "AMIGATE_SECRETS_KEY_PREVIOUS: set without AMIGATE_SECRETS_KEY"},
		{name: "previous secrets key same", env: []string{"AMIGATE_SECRETS_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "AMIGATE_SECRETS_KEY_PREVIOUS=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}, want: "AMIGATE_SECRETS_KEY_PREVIOUS: the same as AMIGATE_SECRETS_KEY"},
		{name: "previous secrets key short", env: []string{"AMIGATE_SECRETS_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "AMIGATE_SECRETS_KEY_PREVIOUS=c2hvcnQ="}, want: "AMIGATE_SECRETS_KEY_PREVIOUS: decodes to 5 bytes"},
		{name: "campaigns switch", env: []string{"AMIGATE_CAMPAIGNS=yes"}, want: `AMIGATE_CAMPAIGNS: "yes": auto, true or false`},
		{name: "campaign tick", env: []string{"AMIGATE_CAMPAIGN_TICK=1ms"}, want: "AMIGATE_CAMPAIGN_TICK: 1ms: between 10ms and 1m"},
		{name: "nats url", env: []string{"AMIGATE_NATS_URL=nats"}, want: "AMIGATE_NATS_URL: not a URL"},
		{name: "missing file", args: []string{"--config", "/nonexistent/amigate.yaml"}, want: "--config: open /nonexistent/amigate.yaml"},
		{name: "unknown flag", args: []string{"--verbose"}, want: "config: flag provided but not defined: -verbose"},
		{name: "extra argument", args: []string{"serve"}, want: "config: unexpected argument \"serve\""},
		{name: "file unknown key", file: "ami:\n  adr: x:1\n", want: "line 2: ami.adr: unknown key"},
		{name: "file unknown section", file: "amii:\n  addr: x:1\n", want: "line 1: amii: unknown key"},
		{name: "file bad duration", file: "ami:\n  ping_interval: 20\n", want: "line 2: ami.ping_interval: \"20\" is not a duration"},
		{name: "file list for scalar", file: "http:\n  addr: [a, b]\n", want: "line 2: http.addr: want a single value"},
		{name: "file scalar section", file: "ami: x\n", want: "line 1: ami: unknown key"},
		{name: "file not a mapping", file: "- a\n- b\n", want: "line 1: want a mapping of keys"},
		{name: "file bad yaml", file: "ami: [\n", want: "yaml:"},
		{name: "file rewrite key", file: "dial:\n  rewrite:\n    - {from: \"+7\", to: \"8\"}\n", want: "dial.rewrite: line 3: unknown key \"from\""},
		{name: "file subscription url", file: "webhooks:\n  subscriptions:\n    - url: ftp://x\n      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", want: "webhooks.subscriptions[0].url: want an absolute http or https URL"},
		{name: "file subscription secret", file: "webhooks:\n  subscriptions:\n    - url: https://x.example\n", want: "webhooks.subscriptions[0].secret: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := environ(tt.env)
			args := tt.args
			if tt.file != "" {
				p := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(p, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", p)
			}
			_, err := Load(args, env)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want one containing %q", err, tt.want)
			}
		})
	}
}

// environ returns minimal with changes: "KEY=v" replaces or adds, "-KEY"
// removes.
func environ(changes []string) []string {
	m := map[string]string{}
	var order []string
	set := func(kv string) {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] = v
	}
	for _, kv := range minimal {
		set(kv)
	}
	for _, c := range changes {
		if k, ok := strings.CutPrefix(c, "-"); ok {
			delete(m, k)
			continue
		}
		set(c)
	}
	var out []string
	for _, k := range order {
		if v, ok := m[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// TestErrorsAreAllReported checks that one Load reports every problem, not
// only the first, so an operator fixes them in one go.
func TestErrorsAreAllReported(t *testing.T) {
	_, err := Load(nil, []string{"AMIGATE_AMI_AUTH=x", "AMIGATE_DIAL_CONTEXT=a b"})
	if err == nil {
		t.Fatal("Load succeeded")
	}
	for _, want := range []string{"AMIGATE_AMI_ADDR", "AMIGATE_JWT_SECRET", "AMIGATE_AMI_AUTH", "AMIGATE_DIAL_CONTEXT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
