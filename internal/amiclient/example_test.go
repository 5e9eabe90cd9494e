package amiclient_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// The correlator's loop: one lossless subscription, resync on Connected
// and Overflow, actions through the same client.
func Example() {
	c, err := amiclient.New(amiclient.Config{
		Addr: "127.0.0.1:5038", Username: "amigate", Secret: "secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sub := c.Subscribe(amiclient.SubscribeOptions{Name: "correlator", Lossless: true})
	defer sub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		log.Fatal(err) // errors.Is(err, amiclient.ErrAuthFailed) for a wrong secret
	}
	_, err = c.Originate(ctx, amiclient.OriginateParams{
		Channel: "Local/101@phones", Context: "from-internal", Exten: "79001234567", Priority: 1,
		Async: true, Timeout: 30 * time.Second,
		Variables: []ami.Field{{Name: "AMIGATE_CALL_ID", Value: "0f8fad5b-d9cb-469f-a165-70867728950e"}},
	})
	var ae *amiclient.ActionError
	if errors.As(err, &ae) {
		log.Printf("asterisk refused: %s", ae.Message)
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return // ctx done, or amiclient.ErrClosed
		}
		switch ev.Kind {
		case amiclient.KindConnected, amiclient.KindOverflow:
			chans, _ := c.CoreShowChannels(ctx) // resync
			_ = chans
		case amiclient.KindEvent:
			_ = ev.Message.Event()
		}
	}
}
