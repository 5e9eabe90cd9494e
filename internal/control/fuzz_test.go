package control

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// FuzzDial checks the promise that nothing a request carries reaches the
// AMI socket with CR, LF or NUL, and that a request never picks the
// channel template or the context, whatever it carries:
//
//	go test -run '^$' -fuzz FuzzDial -fuzztime 30s ./internal/control/
func FuzzDial(f *testing.F) {
	f.Add("101", "79001234567", "Deal 42", "CRM_DEAL_ID", "42", "key", 30)
	f.Add("101\r\nAction: Command", "7900", "", "CRM_X", "", "", 0)
	f.Add("101", "7900", "x\u2028\r", "CRM_X", "a,b\"c\\", "k\x00", 5)
	f.Add("101", "+7 (900) 123-45-67", "", "FILE(/tmp/x)", "y", "", 3601)
	f.Add("101", "79001234567", "", "CRM_X", "1\nAction: Hangup", "", 20)
	fa := &fakeAMI{}
	s := newTestService(f, DefaultConfig(), fa, newFakeCalls())
	f.Fuzz(func(t *testing.T, from, to, callerID, name, value, key string, timeout int) {
		before := len(fa.actions())
		_, err := s.Dial(context.Background(), amigate.DialRequest{
			From: from, To: to, CallerID: callerID, Timeout: time.Duration(timeout) * time.Second,
			Variables: map[string]string{name: value}, IdempotencyKey: key, Caller: "crm",
		})
		sent := fa.actions()[before:]
		if err != nil {
			if len(sent) != 0 {
				t.Fatalf("refused (%v) but sent %d actions", err, len(sent))
			}
			return
		}
		for _, a := range sent {
			if err := a.Validate(a.ID); err != nil {
				t.Fatalf("sent an action the encoder refuses: %v", err)
			}
			for _, fl := range a.Fields {
				if ami.CheckValue(fl.Value) != nil || strings.ContainsRune(fl.Value, '\u0085') {
					t.Fatalf("%s: %q reached the socket", fl.Name, fl.Value)
				}
			}
			if a.Get("Channel") != "PJSIP/"+from || a.Get("Context") != "from-internal" {
				t.Fatalf("request chose Channel %q / Context %q", a.Get("Channel"), a.Get("Context"))
			}
		}
	})
}
