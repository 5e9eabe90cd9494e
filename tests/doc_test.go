// Package tests holds the black-box end-to-end tests of amigate: TestMain
// builds the service binary once, each test runs it as a subprocess against
// a simulated Asterisk (internal/pbxsim) or the AMI test server
// (internal/amitest), drives it over HTTP with real JWTs and receives its
// signed webhooks on a real HTTP receiver that verifies every signature
// independently of the product's own signing code.
//
//	go test -race ./tests/...
//	go test -run '^$' -bench PostCalls -benchtime 2000x ./tests/
package tests
