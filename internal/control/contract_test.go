package control

import (
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/calls"
)

// The correlator is what cmd/api passes as Calls; it also drops refused
// click-to-calls.
var (
	_ Calls      = (*calls.Tracker)(nil)
	_ Unexpecter = (*calls.Tracker)(nil)
)

// The AMI client is what cmd/api passes as AMI.
var _ AMI = (*amiclient.Client)(nil)
