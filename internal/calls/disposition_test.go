package calls

import (
	"testing"

	"github.com/amigate/amigate"
)

func TestDisposition(t *testing.T) {
	tests := []struct {
		name string
		c    call
		want string
	}{
		{"answered wins", call{answered: []string{"101"}, abandoned: true, dialStatus: "BUSY", failReason: -1}, amigate.DispositionAnswered},
		{"left the queue", call{abandoned: true, dialStatus: "CANCEL", failReason: -1}, amigate.DispositionAbandoned},
		{"originate busy", call{failReason: 5, dialStatus: "CANCEL"}, amigate.DispositionBusy},
		{"originate no answer", call{failReason: 3}, amigate.DispositionNoAnswer},
		{"originate congestion", call{failReason: 8}, amigate.DispositionFailed},
		{"dial busy", call{dialStatus: "BUSY", failReason: -1}, amigate.DispositionBusy},
		{"dial no answer", call{dialStatus: "NOANSWER", failReason: -1}, amigate.DispositionNoAnswer},
		{"dial congestion", call{dialStatus: "CONGESTION", failReason: -1}, amigate.DispositionFailed},
		{"dial unavailable", call{dialStatus: "CHANUNAVAIL", failReason: -1}, amigate.DispositionFailed},
		{"caller gave up", call{dialStatus: "CANCEL", failReason: -1, cause: 19}, amigate.DispositionCanceled},
		{"cause busy", call{failReason: -1, cause: 17}, amigate.DispositionBusy},
		{"cause no answer", call{failReason: -1, cause: 19}, amigate.DispositionNoAnswer},
		{"cause normal", call{failReason: -1, cause: 16}, amigate.DispositionCanceled},
		{"cause unallocated number", call{failReason: -1, cause: 1}, amigate.DispositionFailed},
	}
	for _, tt := range tests {
		if got := tt.c.disposition(); got != tt.want {
			t.Errorf("%s: disposition = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDialled(t *testing.T) {
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{"Exten", "79001234567", "DestExten", "s"}, "79001234567"},
		{[]string{"Exten", "s", "DestExten", "79001234567"}, "79001234567"},
		{[]string{"DialString", "SIP/trunk/79001234567"}, "79001234567"},
		{[]string{"Dialstring", "79001234567@pstn"}, "79001234567"},
		{[]string{"DialString", "102"}, "102"},
		{nil, ""},
	}
	for _, tt := range tests {
		m := ev("DialBegin", tt.kv...)
		if got := dialled(&m); got != tt.want {
			t.Errorf("dialled(%v) = %q, want %q", tt.kv, got, tt.want)
		}
	}
}
