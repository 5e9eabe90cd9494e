package handlers

import (
	"github.com/amigate/amigate"
	"testing"

	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/chanvar"
)

// TestRules checks the custom rules on the values that matter: what an
// attacker would send to reach the PBX, and what people really type.
func TestRules(t *testing.T) {
	tests := []struct {
		rule  func(string) bool
		name  string
		in    string
		valid bool
	}{
		{agent.WellFormed, "ext", "101", true},
		{agent.WellFormed, "ext", "*97#", true},
		{agent.WellFormed, "ext", "agent_7", true},
		{agent.WellFormed, "ext", "", false},
		{agent.WellFormed, "ext", "101@other-context", false},
		{agent.WellFormed, "ext", "101&PJSIP/999", false},
		{agent.WellFormed, "ext", "PJSIP/101", false},
		{agent.WellFormed, "ext", "101,1", false},
		{agent.WellFormed, "ext", "1 01", false},
		{agent.WellFormed, "ext", "101\r\n", false},
		{agent.WellFormed, "ext", "123456789012345678901234567890123", false},
		{isPhone, "phone", "+7 (900) 123-45-67", true},
		{isPhone, "phone", " +7.900.123", true},
		{isPhone, "phone", "89001234567", true},
		{isPhone, "phone", "1", false},
		{isPhone, "phone", "123456789012345678901", false},
		{isPhone, "phone", "7+900", false},
		{isPhone, "phone", "++7900", false},
		{isPhone, "phone", "7900/1", false},
		{isPhone, "phone", "7900\x00", false},
		{isPhone, "phone", "7900#", false},
		{chanvar.WellFormed, "varname", "CRM_DEAL_ID", true},
		{chanvar.WellFormed, "varname", "_x1", false},
		{chanvar.WellFormed, "varname", "1X", false},
		{chanvar.WellFormed, "varname", "FILE(/etc/passwd)", false},
		{chanvar.WellFormed, "varname", "SHELL(rm)", false},
		{chanvar.WellFormed, "varname", "__MONITOR_EXEC", false},
		{chanvar.WellFormed, "varname", "AMIGATE_CALL_ID", false},
		{chanvar.WellFormed, "varname", "Amigate_x", false},
		{chanvar.WellFormed, "varname", "A=B", false},
		{amigate.PlainText, "safetext", "Иван Петров <deal 42>", true},
		{amigate.PlainText, "safetext", "a\rb", false},
		{amigate.PlainText, "safetext", "a\nb", false},
		{amigate.PlainText, "safetext", "a\x00b", false},
		{amigate.PlainText, "safetext", "a\u0085b", false},
		{amigate.PlainText, "safetext", "\xff", false},
		{isID, "id", "1700000000.12", true},
		{isID, "id", "evt_0a1b", true},
		{isID, "id", "c1/../x", false},
		{isID, "id", "a b", false},
		{isID, "id", "", false},
	}
	for _, tt := range tests {
		if got := tt.rule(tt.in); got != tt.valid {
			t.Errorf("%s(%q): got %v, want %v", tt.name, tt.in, got, tt.valid)
		}
	}
}
