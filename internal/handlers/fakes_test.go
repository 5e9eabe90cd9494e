package handlers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/amigate/amigate"
)

// The fakes answer with their function fields; a nil field fails loudly
// with a recognisable error, so a test that forgot to set one cannot pass
// by accident.

var errUnset = errors.New("fake: function not set")

type fakeCalls struct {
	DialFn     func(ctx context.Context, r amigate.DialRequest) (amigate.Call, error)
	TransferFn func(ctx context.Context, id string, r amigate.TransferRequest) (amigate.Call, error)
	HangupFn   func(ctx context.Context, id string) (amigate.Call, error)
	GetFn      func(ctx context.Context, id string) (amigate.Call, error)
	ListFn     func(ctx context.Context, q amigate.CallQuery) (amigate.CallPage, error)
}

var _ Calls = (*fakeCalls)(nil)

func (f *fakeCalls) Dial(ctx context.Context, r amigate.DialRequest) (amigate.Call, error) {
	if f.DialFn == nil {
		return amigate.Call{}, errUnset
	}
	return f.DialFn(ctx, r)
}

func (f *fakeCalls) Transfer(ctx context.Context, id string, r amigate.TransferRequest) (amigate.Call, error) {
	if f.TransferFn == nil {
		return amigate.Call{}, errUnset
	}
	return f.TransferFn(ctx, id, r)
}

func (f *fakeCalls) Hangup(ctx context.Context, id string) (amigate.Call, error) {
	if f.HangupFn == nil {
		return amigate.Call{}, errUnset
	}
	return f.HangupFn(ctx, id)
}

func (f *fakeCalls) Get(ctx context.Context, id string) (amigate.Call, error) {
	if f.GetFn == nil {
		return amigate.Call{}, errUnset
	}
	return f.GetFn(ctx, id)
}

func (f *fakeCalls) List(ctx context.Context, fl amigate.CallQuery) (amigate.CallPage, error) {
	if f.ListFn == nil {
		return amigate.CallPage{}, errUnset
	}
	return f.ListFn(ctx, fl)
}

type fakeQueues struct {
	QueuesFn func(ctx context.Context) ([]amigate.QueueSummary, error)
	QueueFn  func(ctx context.Context, name string) (amigate.QueueStatus, error)
	PauseFn  func(ctx context.Context, queue string, r amigate.QueuePauseRequest) error
}

var _ Queues = (*fakeQueues)(nil)

func (f *fakeQueues) Queues(ctx context.Context) ([]amigate.QueueSummary, error) {
	if f.QueuesFn == nil {
		return nil, errUnset
	}
	return f.QueuesFn(ctx)
}

func (f *fakeQueues) Queue(ctx context.Context, name string) (amigate.QueueStatus, error) {
	if f.QueueFn == nil {
		return amigate.QueueStatus{}, errUnset
	}
	return f.QueueFn(ctx, name)
}

func (f *fakeQueues) Pause(ctx context.Context, queue string, r amigate.QueuePauseRequest) error {
	if f.PauseFn == nil {
		return errUnset
	}
	return f.PauseFn(ctx, queue, r)
}

type fakeWebhooks struct {
	CreateFn     func(ctx context.Context, r amigate.SubscriptionRequest) (amigate.Subscription, error)
	ListFn       func(ctx context.Context) ([]amigate.Subscription, error)
	GetFn        func(ctx context.Context, id string) (amigate.Subscription, error)
	PatchFn      func(ctx context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error)
	DeleteFn     func(ctx context.Context, id string) error
	TestFn       func(ctx context.Context, id string) (amigate.WebhookTestResult, error)
	DeliveriesFn func(ctx context.Context, id string, q amigate.DeliveryQuery) (amigate.DeliveryPage, error)
	RetryFn      func(ctx context.Context, id, eventID string) error
	FollowFn     func(ctx context.Context, lastEventID string, fn func(amigate.CallEvent) error) error
}

var _ Webhooks = (*fakeWebhooks)(nil)

func (f *fakeWebhooks) Create(ctx context.Context, r amigate.SubscriptionRequest) (amigate.Subscription, error) {
	if f.CreateFn == nil {
		return amigate.Subscription{}, errUnset
	}
	return f.CreateFn(ctx, r)
}

func (f *fakeWebhooks) List(ctx context.Context) ([]amigate.Subscription, error) {
	if f.ListFn == nil {
		return nil, errUnset
	}
	return f.ListFn(ctx)
}

func (f *fakeWebhooks) Get(ctx context.Context, id string) (amigate.Subscription, error) {
	if f.GetFn == nil {
		return amigate.Subscription{}, errUnset
	}
	return f.GetFn(ctx, id)
}

func (f *fakeWebhooks) Delete(ctx context.Context, id string) error {
	if f.DeleteFn == nil {
		return errUnset
	}
	return f.DeleteFn(ctx, id)
}

func (f *fakeWebhooks) Patch(ctx context.Context, id string, p amigate.SubscriptionPatch) (amigate.Subscription, error) {
	if f.PatchFn == nil {
		return amigate.Subscription{}, errUnset
	}
	return f.PatchFn(ctx, id, p)
}

func (f *fakeWebhooks) Test(ctx context.Context, id string) (amigate.WebhookTestResult, error) {
	if f.TestFn == nil {
		return amigate.WebhookTestResult{}, errUnset
	}
	return f.TestFn(ctx, id)
}

func (f *fakeWebhooks) Deliveries(ctx context.Context, id string, q amigate.DeliveryQuery) (amigate.DeliveryPage, error) {
	if f.DeliveriesFn == nil {
		return amigate.DeliveryPage{}, errUnset
	}
	return f.DeliveriesFn(ctx, id, q)
}

func (f *fakeWebhooks) Retry(ctx context.Context, id, eventID string) error {
	if f.RetryFn == nil {
		return errUnset
	}
	return f.RetryFn(ctx, id, eventID)
}

func (f *fakeWebhooks) Follow(ctx context.Context, lastEventID string, fn func(amigate.CallEvent) error) error {
	if f.FollowFn == nil {
		return errUnset
	}
	return f.FollowFn(ctx, lastEventID, fn)
}

// observation is one ObserveHTTP call.
type observation struct {
	Method, Route string
	Status        int
}

type fakeMetrics struct {
	mu  sync.Mutex
	obs []observation
}

var _ HTTPMetrics = (*fakeMetrics)(nil)

func (m *fakeMetrics) ObserveHTTP(method, route string, status int, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.obs = append(m.obs, observation{method, route, status})
}

func (m *fakeMetrics) all() []observation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]observation(nil), m.obs...)
}
