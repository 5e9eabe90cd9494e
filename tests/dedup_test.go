package tests

import (
	"fmt"
	"testing"
)

// checkNoForeignDuplicates asserts that every step of every call was sent
// under one webhook-id: a repeat (at-least-once) must carry the same id,
// or a CRM deduplicating by id would see the step twice.
func checkNoForeignDuplicates(t *testing.T, ds []delivery) {
	t.Helper()
	ids := map[string]string{}
	for _, d := range ds {
		e := d.Event
		key := fmt.Sprintf("%s %s(%s)", e.Call.ID, e.Type, ext(e.Agent))
		if prev, ok := ids[key]; ok && prev != d.WebhookID {
			t.Errorf("%s sent as %s and as %s", key, prev, d.WebhookID)
		}
		ids[key] = d.WebhookID
	}
}
