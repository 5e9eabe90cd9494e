package presence

import (
	"testing"

	devices "github.com/amigate/amigate/internal/agent"
)

// testDevices is the product's one definition of agent devices, with
// templates.
func testDevices(t testing.TB, templates []string) Devices {
	t.Helper()
	d, err := devices.New(templates, "")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
