package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The embedded nats-server waits up to 30 s for the reply that sets up
	// a stream source (the call history's stream of ended calls) in a
	// goroutine of its own that its Shutdown does not stop; it ends by
	// itself and holds nothing of ours.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*stream).trySetupSourceConsumer.func3"))
}

const testSecret = "0123456789abcdef0123456789abcdef"

// pbx is the configuration of a PBX nobody answers at, with a data
// directory of the test's: what start-up needs to get past the AMI keys
// without --demo (which a -tags nodemo build has not).
func pbx(t *testing.T) []string {
	return []string{"AMIGATE_AMI_ADDR=127.0.0.1:1", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=s", "AMIGATE_DATA_DIR=" + t.TempDir()}
}

// TestStartupErrors checks that a bad configuration stops start-up at once
// with a message naming the key, and that nothing is left running.
func TestStartupErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{name: "no pbx", env: []string{"AMIGATE_JWT_SECRET=" + testSecret}, want: "AMIGATE_AMI_ADDR: required unless --demo"},
		{name: "no jwt key", env: []string{"AMIGATE_AMI_ADDR=127.0.0.1:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=s"}, want: "AMIGATE_JWT_SECRET: required"},
		{name: "bad file", args: []string{"--config", "/nonexistent.yaml"}, want: "--config: open /nonexistent.yaml"},
		{name: "bad file from the environment", env: []string{"AMIGATE_CONFIG=/nonexistent.yaml"}, want: "AMIGATE_CONFIG: open /nonexistent.yaml"},
		{name: "serve with bad duration", args: []string{"serve", "--demo"}, env: []string{"AMIGATE_AMI_PING_INTERVAL=often"}, want: "AMIGATE_AMI_PING_INTERVAL"},
		{name: "bad listen address", env: append(pbx(t), "AMIGATE_JWT_SECRET="+testSecret, "AMIGATE_HTTP_ADDR=256.0.0.1:0"), want: "AMIGATE_HTTP_ADDR:"},
		{name: "bad public key", env: append(pbx(t), "AMIGATE_HTTP_ADDR=127.0.0.1:0", "AMIGATE_JWT_PUBLIC_KEY_FILE=main_test.go"), want: "AMIGATE_JWT_*: auth: public key not usable"},
		// Its own port: the default :8080 may be taken by anything else on the machine.
		{name: "webhook to a private address", env: []string{"AMIGATE_HTTP_ADDR=127.0.0.1:0", "AMIGATE_AMI_ADDR=127.0.0.1:1", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=s", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_DATA_DIR=" + t.TempDir(), "AMIGATE_WEBHOOK_URL=http://10.1.2.3/hooks", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			want: "AMIGATE_WEBHOOK_ALLOW_PRIVATE=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, tt.args, tt.env, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"help"}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "amigate token --sub NAME") {
		t.Errorf("usage lacks the token command: %s", stdout.String())
	}
	err := run(context.Background(), []string{"token", "-h"}, nil, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("token -h: got %v, want flag.ErrHelp", err)
	}
}

// TestCheckEveryProblem: check names every problem in one run, whatever
// stage finds it: a value that does not parse, a broken rule, a rule
// across settings, an unknown variable, the webhook address guard.
func TestCheckEveryProblem(t *testing.T) {
	pbx := []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2"}
	hook := []string{"AMIGATE_WEBHOOK_URL=http://crm:hunter2@127.0.0.1:9000/hooks", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{name: "parse, rule, cross-field, unknown",
			env: append([]string{"AMIGATE_AMI_PING_INTERVAL=often", "AMIGATE_JWT_SECRET=short", "AMIGATE_DIAL_TIMEOUT=5m", "AMIGATE_JWT_SECRETT=x"}, pbx...),
			want: []string{
				`AMIGATE_AMI_PING_INTERVAL: "often" is not a duration`,
				"AMIGATE_JWT_SECRET: 5 bytes: want at least 32",
				"AMIGATE_DIAL_TIMEOUT: 5m0s: want 5s to AMIGATE_DIAL_MAX_TIMEOUT (2m0s)",
				"AMIGATE_JWT_SECRETT: not a setting, ignored (did you mean AMIGATE_JWT_SECRET?)",
			}},
		{name: "webhook guard with other problems",
			env: append(append([]string{"AMIGATE_JWT_SECRET=" + testSecret, "AMIGATE_HTTP_ADDR=8080", "AMIGATE_PHONE_REGIN=RU"}, pbx...), hook...),
			want: []string{
				`AMIGATE_HTTP_ADDR: "8080" is not host:port`,
				"AMIGATE_PHONE_REGIN: not a setting, ignored (did you mean AMIGATE_PHONE_REGION?)",
				"loopback address; set AMIGATE_WEBHOOK_ALLOW_PRIVATE=true",
			}},
		{name: "dial rules with a broken setting elsewhere",
			env: append([]string{"AMIGATE_JWT_SECRET=" + testSecret, "AMIGATE_PHONE_REGION=XX", "AMIGATE_AMI_AUTH=sha1"}, pbx...),
			want: []string{
				`AMIGATE_AMI_AUTH: "sha1": want md5 or plain`,
				"AMIGATE_DIAL_* or AMIGATE_PHONE_*",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"check"}, tt.env, &stdout, &stderr)
			if err == nil {
				t.Fatalf("check passed: %s", stdout.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error lacks %q:\n%v", w, err)
				}
			}
			if want := fmt.Sprintf("check: %d problem(s)", len(tt.want)); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("the error does not start %q:\n%v", want, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string // in stdout, or in the error when wantErr
		err  bool
	}{
		{name: "ok", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret},
			want: `"msg":"configuration ok"`},
		{name: "demo", args: []string{"--demo"}, want: `"demo":true`},
		{name: "agent devices resolved", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_DIAL_AGENT_CHANNEL= local/{ext}@from-queue/n ,PJSIP/{ext}"},
			want: `"agent_devices":["local/{ext}@from-queue/n","PJSIP/{ext}"],"extension_pattern":"[0-9]{2,15}"`},
		{name: "bad agent device", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_DIAL_AGENT_CHANNEL=PJSIP/{ext},Local/{ext}"}, want: "AMIGATE_DIAL_AGENT_CHANNEL: device template \"Local/{ext}\"", err: true},
		// A variable that names no setting fails the check (start-up only
		// warns), with the setting probably meant.
		{name: "unknown variable", args: []string{"--demo"}, env: []string{"AMIGATE_DIAL_MAX_TIMOUT=60s"},
			want: "AMIGATE_DIAL_MAX_TIMOUT: not a setting, ignored (did you mean AMIGATE_DIAL_MAX_TIMEOUT?)", err: true},
		// --demo shows what the demo runs with, not the defaults it overrides.
		{name: "demo values", args: []string{"--demo"},
			want: `"ami_addr":"127.0.0.1:(a free port chosen at start)","ami_username":"amigate","ami_auth":"md5","ami_tls":false,"jwt_secret_set":true`},
		{name: "demo office", args: []string{"--demo"},
			want: `"dial_agent_channel":"Local/{ext}@phones"`},
		{name: "demo region and store", args: []string{"--demo"},
			want: `"phone_region":"RU"`},
		{name: "demo keeps a configured region", args: []string{"--demo"}, env: []string{"AMIGATE_PHONE_REGION=DE"},
			want: `"phone_region":"DE"`},
		{name: "bad", env: []string{"AMIGATE_JWT_SECRET=" + testSecret}, want: "AMIGATE_AMI_ADDR: required unless --demo", err: true},
		// Without AMIGATE_SECRETS_KEY the service runs, but cannot hold
		// API-created subscriptions: check says so; a malformed key stops it.
		{name: "no secrets key", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret},
			want: `"warning":"AMIGATE_SECRETS_KEY is not set`},
		{name: "bad secrets key", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_SECRETS_KEY=hunter2hunter2"}, want: "AMIGATE_SECRETS_KEY: decodes to 10 bytes, want 32", err: true},
		{name: "bad algorithm for the keys", args: []string{"--demo"}, env: []string{"AMIGATE_JWT_ALGORITHMS=RS256"}, want: "AMIGATE_JWT_*", err: true},
		// A webhook URL the address guard refuses at every delivery is a
		// configuration error, its credentials not shown.
		{name: "webhook to loopback", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_WEBHOOK_URL=http://crm:hunter2@127.0.0.1:9000/hooks", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			want: "loopback address; set AMIGATE_WEBHOOK_ALLOW_PRIVATE=true", err: true},
		{name: "webhook to metadata via IPv6", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_WEBHOOK_URL=http://[::169.254.169.254]/", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			want: "AMIGATE_WEBHOOK_ALLOW_PRIVATE", err: true},
		{name: "webhook to loopback allowed", env: []string{"AMIGATE_AMI_ADDR=pbx:5038", "AMIGATE_AMI_USERNAME=u", "AMIGATE_AMI_SECRET=hunter2", "AMIGATE_JWT_SECRET=" + testSecret,
			"AMIGATE_WEBHOOK_URL=http://127.0.0.1:9000/hooks", "AMIGATE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "AMIGATE_WEBHOOK_ALLOW_PRIVATE=true"},
			want: `"msg":"configuration ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"check"}, tt.args...), tt.env, &stdout, &stderr)
			if tt.err {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error containing %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("stdout %s lacks %q", stdout.String(), tt.want)
			}
			for _, secret := range []string{"hunter2", testSecret} {
				if strings.Contains(stdout.String(), secret) {
					t.Errorf("stdout shows a secret: %s", stdout.String())
				}
			}
		})
	}
}
