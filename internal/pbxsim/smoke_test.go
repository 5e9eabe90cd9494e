package pbxsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

func TestSmoke(t *testing.T) {
	p := New(Config{Office: DefaultOffice().Scaled(0.01)})
	defer p.Close()
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, addr, "crm", "crmsecret", "on")
	c.response(ami.NewAction("Originate").Add("Channel", "Local/101@phones").Add("Context", "from-internal").Add("Exten", "79001234567").Add("Priority", "1").Add("CallerID", `"79001234567" <79001234567>`).Add("Async", "true").Add("ChannelId", "chan-1").Add("OtherChannelId", "chan-2").Add("Variable", "AMIGATE_CALL_ID=chan-1").Add("Timeout", "30000"), "o1")
	time.Sleep(500 * time.Millisecond)
	for _, m := range c.messages() {
		fmt.Println(m.Event()+m.Response(), m.Get("Channel"), m.Get("DestChannel"), m.Get("Application"), m.Get("AppData"), m.Get("Variable"), m.Get("DialStatus"), m.Get("Cause"), m.Get("ChannelStateDesc"))
	}
}
