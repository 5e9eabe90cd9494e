// Package webhooks delivers call events to subscribers as signed HTTP POSTs.
//
// Storage. Events are stored in a NATS JetStream stream before Publish
// returns: an embedded nats-server with file storage under
// Config.DataDir/jetstream by default, or an external server or cluster
// (Config.NATSURL) shared by several instances. The stream deduplicates by
// event id within Config.DedupWindow, so two instances watching one Asterisk
// store, and send, each event once. Events and delivery records are kept for
// Config.Retention (72 h by default, at least the retry schedule's span).
//
// Delivery. Each subscription is a durable JetStream consumer whose event
// filter is a subject filter. The consumer is pinned to one instance at a
// time (a priority group with the pinned-client policy), so a call's events
// leave in order even with several instances; Close hands the subscription
// over at once, a crashed instance's after about 15 s. On that instance a
// worker delivers events of different calls concurrently (Config.MaxInFlight
// requests) and the events of one call one after the other: a later event
// waits while an earlier one is retried. A 2xx is success; a timeout, a
// connection error or any other status is retried on Config.Schedule with
// jitter, then the delivery is dead; 410 Gone disables the subscription.
// Redirects are not followed and responses are read up to 4 KiB. Every
// attempt's outcome is recorded in a key-value bucket, so attempts, the next
// retry time and dead deliveries survive restarts; Deliveries lists them
// after the events not delivered yet (read from the consumer and the stream,
// so every instance lists the same), each held one naming what holds it.
//
// Management. Patch changes a subscription with a revision-checked update
// (two instances patching at once lose nothing); every instance's watch
// swaps the URL, filter and keys under its running worker. A disabled
// subscription (410 Gone, or Patch) keeps its consumer, so its events wait
// in the store and go out in order, the refused one first, when it is
// enabled again. A rotated-out secret signs beside the new one until its
// grace period ends on Config.Now (keyring.go). Test sends a signed
// webhook.test beside the queue.
//
// Safety. Unless Config.AllowPrivate, URLs whose host resolves to loopback,
// private, link-local (cloud metadata), shared or reserved addresses are
// refused when a subscription is created, and again when each connection is
// dialled (after DNS, so a rebound name gets nowhere). The secrets of
// subscriptions created through the API are stored sealed with
// Config.Keys and erased from the store's files when replaced or deleted
// (secrets.go); credentials in URLs are redacted wherever a URL is shown
// (RedactURL).
//
// Signing follows Standard Webhooks; see the signature sub-package, which a
// Go receiver can use to verify deliveries.
package webhooks
