package control

import (
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/control/dialrules"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Devices", c.Devices.String(), "PJSIP/{ext} (extensions: [0-9]{2,15})"},
		{"DialContext", c.DialContext, "from-internal"},
		{"TransferContext", c.TransferContext, "from-internal"},
		{"DefaultTimeout", c.DefaultTimeout, 30 * time.Second},
		{"MaxTimeout", c.MaxTimeout, 120 * time.Second},
		{"BlindMethod", c.BlindMethod, BlindTransferAction},
		{"IdempotencyTTL", c.IdempotencyTTL, 24 * time.Hour},
		{"Deny", strings.Join(c.Rules.Deny, ","), "00,810,8809"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// TransferContext follows DialContext when unset.
	d := Config{DialContext: "crm"}
	d.setDefaults()
	if d.TransferContext != "crm" {
		t.Errorf("TransferContext = %q, want the dial context", d.TransferContext)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // the field the error must name
	}{
		{"dial context", Config{DialContext: "from internal"}, "DialContext"},
		{"transfer context", Config{TransferContext: "x\r\n"}, "TransferContext"},
		{"dial rules", Config{Rules: dialrules.Config{Deny: []string{"8x"}}}, "deny[0]"},
		{"timeouts", Config{DefaultTimeout: time.Minute, MaxTimeout: time.Second}, "timeouts"},
		{"timeout over the limit", Config{MaxTimeout: TimeoutLimit + time.Second}, "timeouts"},
		{"default under the minimum", Config{DefaultTimeout: time.Second}, "timeouts"},
		{"default timeout", Config{DefaultTimeout: time.Hour}, "timeouts"},
		{"blind method", Config{BlindMethod: "atxfer"}, "BlindMethod"},
		{"idempotency", Config{IdempotencyTTL: -time.Second}, "Idempotency"},
		{"hangup cause", Config{HangupCause: 300}, "HangupCause"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestNewPanicsOnInvalidConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted an invalid configuration")
		}
	}()
	New(Config{DialContext: "no pe"}, &fakeAMI{}, newFakeCalls())
}
