// Package webhooks delivers call events to subscribers as signed HTTP POSTs.
//
// Events are first stored in a NATS JetStream stream (an embedded
// nats-server with file storage under the data directory, or an external
// cluster), deduplicated by event id. Each subscription is a durable
// JetStream consumer pinned to one instance at a time; its worker delivers
// events of different calls concurrently and events of one call in order,
// retrying failures on a backoff schedule and recording every delivery's
// state in a JetStream key-value bucket so that it survives restarts.
package webhooks
