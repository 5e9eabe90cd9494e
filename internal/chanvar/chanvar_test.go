package chanvar

import (
	"strings"
	"testing"
)

// TestDefaultRule: the default allows the CRM's own variables and refuses
// every variable Asterisk acts on, inherited or not, and every name that is
// not a plain variable.
func TestDefaultRule(t *testing.T) {
	r := Default()
	tests := []struct {
		name string
		ok   bool
	}{
		{"CRM_DEAL_ID", true},
		{"CRM_ticket_2", true},
		{"CRM_", false},
		{"crm_DEAL", false}, // the prefix is as configured
		{"_CRM_DEAL_ID", false},
		{"__CRM_DEAL_ID", false},
		// Variables that reached Asterisk under the old deny list.
		{"__MONITOR_EXEC", false},
		{"MONITOR_EXEC", false},
		{"MONITOR_EXEC_ARGS", false},
		{"__SIPADDHEADER01", false},
		{"__TOUCH_MIXMONITOR", false},
		{"__AUDIOHOOK_INHERIT", false},
		{"TRANSFER_CONTEXT", false},
		{"AMIGATE_CALL_ID", false},
		{"CRM_X(1)", false},
		{"SHELL(id)", false},
		{"CRM_A=B", false},
		{"CRM_A,B", false},
		{"CRM_A\r\nAction: Logoff", false},
		{"CRM_\x00", false},
		{"", false},
		{"CRM_" + strings.Repeat("X", MaxName-4), true},
		{"CRM_" + strings.Repeat("X", MaxName-3), false},
	}
	for _, tt := range tests {
		if got := r.Allows(tt.name); got != tt.ok {
			t.Errorf("Allows(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
	if s := r.String(); !strings.Contains(s, DefaultPattern) || !strings.Contains(s, "AMIGATE_DIAL_VARIABLE_PATTERN") {
		t.Errorf("the rule %q does not name its pattern and key", s)
	}
}

func TestWellFormed(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"A", true},
		{"deal_42", true},
		{"1X", false},
		{"_X", false},
		{"X-Y", false},
		{"X Y", false},
		{"Ä", false},
		{"amigate_x", false},
		{"AMIGATE", true}, // only the prefix with its underscore is the service's
		{"AmiGate_CALL_ID", false},
	}
	for _, tt := range tests {
		if got := WellFormed(tt.name); got != tt.ok {
			t.Errorf("WellFormed(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// TestNewPattern: a configured pattern applies whole, and one that lets
// through a variable Asterisk acts on is refused at start-up, naming it.
func TestNewPattern(t *testing.T) {
	r, err := New(`(CRM|ERP)_[A-Z]+`)
	if err != nil {
		t.Fatal(err)
	}
	for name, ok := range map[string]bool{"ERP_ORDER": true, "CRM_DEAL": true, "XCRM_DEAL": false, "CRM_DEALX1": false} {
		if got := r.Allows(name); got != ok {
			t.Errorf("Allows(%q) = %v, want %v", name, got, ok)
		}
	}
	for _, p := range []string{`[A-Z_]+`, `.*`, `MONITOR_.*|CRM_.*`, `(TOUCH_)?MIXMONITOR|X`} {
		if _, err := New(p); err == nil || !strings.Contains(err.Error(), "Asterisk acts on") {
			t.Errorf("New(%q): got %v, want a refusal naming what it allows", p, err)
		}
	}
	if _, err := New(`CRM_[`); err == nil {
		t.Error("New: an invalid expression was accepted")
	}
	if r, _ := New(" "); r == nil || r.Pattern() != DefaultPattern {
		t.Error("a blank pattern should be the default")
	}
}
