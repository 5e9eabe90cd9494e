package campaign

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate"
)

// Keys in the bucket. A campaign is its meta record, its contacts in
// chunks of chunkSize (written once, the last one rewritten when contacts
// are appended), and one progress record per contact that was dialled,
// written before each Originate and after each outcome.
const (
	keyPrefix = "cmp."
	chunkSize = 1000
)

func metaKey(id string) string            { return keyPrefix + id + ".meta" }
func chunkKey(id string, n int) string    { return keyPrefix + id + ".list." + strconv.Itoa(n) }
func progressKey(id string, i int) string { return keyPrefix + id + ".c." + strconv.Itoa(i) }

// parseKey splits a key into campaign id, kind ("meta", "list", "c") and
// number.
func parseKey(k string) (id, kind string, n int, ok bool) {
	parts := strings.Split(strings.TrimPrefix(k, keyPrefix), ".")
	switch {
	case len(parts) == 2 && parts[1] == "meta":
		return parts[0], "meta", 0, true
	case len(parts) == 3 && (parts[1] == "list" || parts[1] == "c"):
		n, err := strconv.Atoi(parts[2])
		return parts[0], parts[1], n, err == nil && n >= 0
	}
	return "", "", 0, false
}

// meta is the stored campaign without its contacts.
type meta struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Mode        string                 `json:"mode"`
	State       string                 `json:"state"`
	Target      amigate.CampaignTarget `json:"target"`
	Pacing      amigate.CampaignPacing `json:"pacing"`
	Window      amigate.CampaignWindow `json:"window"`
	Retry       amigate.CampaignRetry  `json:"retry"`
	RingTimeout int                    `json:"ring_timeout_seconds"`
	CallerID    string                 `json:"caller_id,omitempty"`
	Variables   map[string]string      `json:"variables,omitempty"`
	Total       int                    `json:"total"`
	CreatedAt   time.Time              `json:"created_at"`
	StartedAt   *time.Time             `json:"started_at,omitempty"`
	EndedAt     *time.Time             `json:"ended_at,omitempty"`

	// Reporting campaigns send campaign events (every campaign stored
	// since they exist); StartedSent and CompletedSent record that the
	// campaign.started and campaign.completed of the transitions above
	// are in the event store, CompletedSeq is the latter's sequence.
	Reporting     bool  `json:"reporting,omitempty"`
	StartedSent   bool  `json:"started_sent,omitempty"`
	CompletedSent bool  `json:"completed_sent,omitempty"`
	CompletedSeq  int64 `json:"completed_seq,omitempty"`
}

// progress is what happened to one contact.
type progress struct {
	State    string                    `json:"state"`
	Outcome  string                    `json:"outcome,omitempty"`
	Attempts []amigate.CampaignAttempt `json:"attempts,omitempty"`
	NextAt   *time.Time                `json:"next_at,omitempty"`
	// Retries counts the retries spent per outcome.
	Retries map[string]int `json:"retries,omitempty"`
	// Seq is the sequence of the contact's campaign.contact_completed,
	// set with its final outcome; Reported, that the event is in the
	// event store.
	Seq      int64 `json:"seq,omitempty"`
	Reported bool  `json:"reported,omitempty"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // only the types above are encoded
		panic(fmt.Sprintf("campaign: encode %T: %v", v, err))
	}
	return b
}
