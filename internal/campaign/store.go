package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoKey is what a KV answers for a key it does not hold.
var ErrNoKey = errors.New("campaign: no such key")

// KV is the durable store the dialer needs: the same JetStream that holds
// the webhook outbox (NewKV), or a map in tests. A Put returns once the
// value is stored: the dialer records an attempt before it dials.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	// Keys lists the keys under prefix (which ends with ".").
	Keys(ctx context.Context, prefix string) ([]string, error)
}

// Bucket is the JetStream key-value bucket of the campaigns.
const Bucket = "amigate_campaigns"

// NewKV opens (creating it when absent) the campaigns' bucket in js.
func NewKV(ctx context.Context, js jetstream.JetStream) (KV, error) {
	kv, err := bucket(ctx, js)
	if err != nil {
		return nil, err
	}
	return natsKV{kv}, nil
}

func bucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "amigate outbound campaigns and their contacts' attempts",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: create bucket: %w", err)
	}
	return kv, nil
}

type natsKV struct{ kv jetstream.KeyValue }

func (s natsKV) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

func (s natsKV) Put(ctx context.Context, key string, value []byte) error {
	_, err := s.kv.Put(ctx, key, value)
	return err
}

func (s natsKV) Delete(ctx context.Context, key string) error {
	err := s.kv.Purge(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

func (s natsKV) Keys(ctx context.Context, prefix string) ([]string, error) {
	l, err := s.kv.ListKeysFiltered(ctx, prefix+">")
	if err != nil {
		return nil, err
	}
	// The lister may report a key twice while it is written to.
	seen := make(map[string]bool)
	var out []string
	for k := range l.Keys() {
		if strings.HasPrefix(k, prefix) && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	_ = l.Stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// NewLeaseKV opens (creating it when absent) the campaigns' bucket in js
// for the dialer lease, which lives next to the campaigns it guards.
func NewLeaseKV(ctx context.Context, js jetstream.JetStream) (LeaseKV, error) {
	kv, err := bucket(ctx, js)
	if err != nil {
		return nil, err
	}
	return natsLease{kv}, nil
}

type natsLease struct{ kv jetstream.KeyValue }

func (s natsLease) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, ErrNoKey
	}
	if err != nil {
		return nil, 0, err
	}
	return e.Value(), e.Revision(), nil
}

func (s natsLease) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := s.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%w: %w", ErrRevision, err)
	}
	return rev, err
}

func (s natsLease) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	n, err := s.kv.Update(ctx, key, value, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%w: %w", ErrRevision, err)
	}
	return n, err
}

func (s natsLease) Delete(ctx context.Context, key string, rev uint64) error {
	err := s.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: %w", ErrRevision, err)
	}
	return err
}
