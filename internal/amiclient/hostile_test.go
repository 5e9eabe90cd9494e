package amiclient

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// TestHostileFollowsAnswer: a peer that answers a Command with 20 MiB of
// blank lines inside an old "Response: Follows" answer (once about 21
// million fields, gigabytes of heap) costs the client a few MiB: the
// answer is skipped whole as over the message bound, and the connection
// goes on with the next message.
func TestHostileFollowsAnswer(t *testing.T) {
	chunk := bytes.Repeat([]byte("\n"), 64<<10)
	const chunks = 320 // 20 MiB
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Command": func(c *amitest.Conn, a ami.Message) {
			c.WriteRaw([]byte("Response: Follows\r\nPrivilege: Command\r\nActionID: " + a.ActionID() + "\r\n"))
			for range chunks {
				if c.WriteRaw(chunk) != nil {
					return
				}
			}
			c.WriteRaw([]byte("--END COMMAND--\r\n\r\n"))
			c.Reply(a, "Success", "Message", "after the hostile answer")
		},
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitReady(t, c)
	ctx := ctxT(t, 30*time.Second)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := c.Command(ctx, "core show uptime")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Command: %v (want the answer that follows the skipped one)", err)
	}
	if out != "" {
		t.Fatalf("Command output %d bytes, want none from the skipped answer", len(out))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MiB while reading 20 MiB of blank lines", float64(alloc)/(1<<20))
	if alloc > 32<<20 {
		t.Fatalf("the hostile answer allocated %d MiB in the process, want under 32", alloc>>20)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after it: %v", err)
	}
}
