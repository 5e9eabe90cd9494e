package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names in the store. The stream keeps every call event under
// "amigate.events.<type>.<event token>", so a subscription's event filter
// is a consumer filter and an event is found by id for SSE resume.
const (
	streamName       = "AMIGATE_EVENTS"
	subjectPrefix    = "amigate.events"
	subsBucket       = "amigate_webhook_subscriptions"
	deliveriesBucket = "amigate_deliveries"
	openCallsBucket  = "amigate_open_calls"
	priorityGroup    = "amigate"

	hdrCallID   = "Amigate-Call-Id" // what orders deliveries: a token of the call or agent
	hdrReadAt   = "Amigate-Read-At"
	hdrCall     = "Amigate-Call"     // the call id as the API shows it; absent from agent events
	hdrSequence = "Amigate-Sequence" // the event's sequence
)

// pinnedTTL is how long a subscription stays pinned to an instance that
// stopped pulling before another instance takes it over.
const pinnedTTL = 15 * time.Second

// pullExpiry is how long one pull request waits; a pinned instance renews
// it well within pinnedTTL.
const pullExpiry = 5 * time.Second

// store is the connection to JetStream, embedded or external.
type store struct {
	ns         *server.Server // nil when external
	nc         *nats.Conn
	js         jetstream.JetStream
	stream     jetstream.Stream
	subs       jetstream.KeyValue
	subsStream jetstream.Stream // the bucket's stream, to erase revisions
	deliveries jetstream.KeyValue
	openCalls  jetstream.KeyValue
}

// openStore starts the embedded server (or connects to cfg.NATSURL) and
// makes sure the stream and buckets exist.
func openStore(ctx context.Context, cfg Config) (_ *store, err error) {
	s := &store{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	opts := []nats.Option{nats.Name("amigate"), nats.MaxReconnects(-1)}
	url := cfg.NATSURL
	if url == "" {
		s.ns, err = server.NewServer(&server.Options{
			ServerName: "amigate",
			DontListen: true,
			JetStream:  true,
			StoreDir:   filepath.Join(cfg.DataDir, "jetstream"),
			NoLog:      true,
			NoSigs:     true,
		})
		if err != nil {
			return nil, fmt.Errorf("webhooks: embedded nats-server: %w", err)
		}
		s.ns.Start()
		if !s.ns.ReadyForConnections(10 * time.Second) {
			return nil, errors.New("webhooks: embedded nats-server did not start")
		}
		opts = append(opts, nats.InProcessServer(s.ns))
	}
	if s.nc, err = nats.Connect(url, opts...); err != nil {
		return nil, fmt.Errorf("webhooks: connect to nats: %w", err)
	}
	if s.js, err = jetstream.New(s.nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(cfg.Timeout)); err != nil {
		return nil, fmt.Errorf("webhooks: jetstream: %w", err)
	}
	s.stream, err = s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        streamName,
		Description: "amigate call events, the webhook outbox",
		Subjects:    []string{subjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      cfg.Retention,
		Duplicates:  cfg.DedupWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: create stream: %w", err)
	}
	if s.subs, s.subsStream, err = createSubsBucket(ctx, s.js); err != nil {
		return nil, fmt.Errorf("webhooks: create subscriptions bucket: %w", err)
	}
	if s.deliveries, err = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      deliveriesBucket,
		Description: "amigate webhook delivery state",
		Storage:     jetstream.FileStorage,
		TTL:         cfg.Retention,
	}); err != nil {
		return nil, fmt.Errorf("webhooks: create deliveries bucket: %w", err)
	}
	if s.openCalls, err = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      openCallsBucket,
		Description: "amigate calls reported and not ended (OpenCalls)",
		Storage:     jetstream.FileStorage,
		TTL:         cfg.Retention,
	}); err != nil {
		return nil, fmt.Errorf("webhooks: create open calls bucket: %w", err)
	}
	return s, nil
}

// subsHistory is the revisions the subscriptions bucket keeps per key: the
// current one and the one it replaces, until eraseBefore erases it. With 1
// the store would drop the replaced revision itself, leaving its bytes in
// the block files.
const subsHistory = 2

// createSubsBucket makes the subscriptions bucket: a key-value bucket (the
// stream layout of nats.go's, so jetstream.KeyValue binds to it) that,
// unlike nats.go's, allows deleting messages: a secret must be erasable
// (overwritten on disk, SecureDeleteMsg), which a bucket created by
// CreateKeyValue refuses for good (DenyDelete cannot be turned off).
func createSubsBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              "KV_" + subsBucket,
		Description:       "amigate webhook subscriptions (secrets sealed)",
		Subjects:          []string{"$KV." + subsBucket + ".>"},
		MaxMsgsPerSubject: subsHistory,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgSize:        -1,
		MaxConsumers:      -1,
		Storage:           jetstream.FileStorage,
		Replicas:          1,
		Discard:           jetstream.DiscardNew,
		Duplicates:        2 * time.Minute,
		AllowRollup:       true,
		AllowDirect:       true,
		DenyDelete:        false,
	})
	if err != nil {
		return nil, nil, err
	}
	kv, err := js.KeyValue(ctx, subsBucket)
	if err != nil {
		return nil, nil, err
	}
	return kv, st, nil
}

// close flushes what was published and shuts the embedded server down.
func (s *store) close() {
	if s.nc != nil {
		_ = s.nc.FlushTimeout(5 * time.Second)
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
}

// consumerConfig is the durable consumer behind one subscription: explicit
// acks, held events kept alive by the worker, pinned to one instance so
// that a call's events leave in order even with several instances.
func consumerConfig(id string, events []string, cfg Config) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        id,
		Description:    "webhook subscription " + id,
		FilterSubjects: filterSubjects(events),
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  cfg.MaxPending,
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PriorityGroups: []string{priorityGroup},
		PinnedTTL:      pinnedTTL,
	}
}

// filterSubjects maps an event filter to stream subjects: "*" is every
// call event type; agent events are only sent to a filter that names them.
func filterSubjects(events []string) []string {
	var out []string
	for _, e := range events {
		if e == "*" {
			for _, t := range amigate.EventTypes {
				out = append(out, subjectPrefix+"."+t+".*")
			}
			continue
		}
		out = append(out, subjectPrefix+"."+e+".*")
	}
	if len(out) == 0 { // an empty filter is "*"
		return filterSubjects([]string{"*"})
	}
	return out
}

// eventSubject is where an event is stored.
func eventSubject(typ, id string) string {
	return subjectPrefix + "." + typ + "." + token(id)
}

// token makes an id usable as one subject token or key segment: ids made
// only of letters, digits, '-' and '_' stay as they are (readable in the
// store), others become a hash.
func token(id string) string {
	if id != "" && len(id) <= 128 && strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(sum[:16])
}
