// Package api holds the OpenAPI 3.1 description of the HTTP API, generated
// by swaggo/swag v2 from the annotations in internal/handlers and embedded so
// that the binary serves the very spec it was built with.
package api

import _ "embed" // for Spec

//go:generate go run gen.go

// Spec is openapi.yaml (OpenAPI 3.1), served at /openapi.yaml (and as
// JSON at /openapi.json) and read by Swagger UI. TestSpecUpToDate fails when it lags the annotations.
//
//go:embed openapi.yaml
var Spec []byte
