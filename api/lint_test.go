package api

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/amigate/amigate"
)

// TestSpecLint validates openapi.yaml against the OpenAPI 3.1 schema and
// resolves every $ref (pb33f's libopenapi, the engine of the vacuum
// linter), then applies this project's rules: every operation and webhook
// has a unique operationId, a summary and a declared tag; every event type
// has its webhook. CI runs it with the other tests.
func TestSpecLint(t *testing.T) {
	doc, err := libopenapi.NewDocument(Spec)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	for _, err := range errs {
		t.Errorf("validator: %v", err)
	}
	if v == nil {
		t.FailNow()
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			msg := e.Message
			for _, se := range e.SchemaValidationErrors {
				msg += fmt.Sprintf("\n  line %d %s: %s", se.Line, se.FieldPath, se.Reason)
			}
			t.Errorf("not valid OpenAPI 3.1: %s", msg)
		}
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("building the model (unresolved $ref?): %v", err)
	}
	m := model.Model
	if m.Webhooks == nil {
		t.Fatal("no webhooks")
	}

	tags := map[string]bool{}
	for _, tag := range m.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	check := func(where string, op *v3.Operation) {
		if op == nil {
			return
		}
		switch {
		case op.OperationId == "" && strings.HasPrefix(where, "webhook "):
			t.Errorf("%s: no operationId", where)
		case op.OperationId != "":
			if prev, dup := ids[op.OperationId]; dup {
				t.Errorf("%s: operationId %q already used by %s", where, op.OperationId, prev)
			}
			ids[op.OperationId] = where
		}
		if op.Summary == "" {
			t.Errorf("%s: no summary", where)
		}
		if len(op.Tags) == 0 {
			t.Errorf("%s: no tag", where)
		}
		for _, tag := range op.Tags {
			if !tags[tag] {
				t.Errorf("%s: tag %q is not declared in tags", where, tag)
			}
		}
	}
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			check(strings.ToUpper(method)+" "+path, op)
		}
	}
	var hooks []string
	for name, item := range m.Webhooks.FromOldest() {
		hooks = append(hooks, name)
		check("webhook "+name, item.Post)
		if item.Post == nil || item.Post.RequestBody == nil {
			t.Errorf("webhook %s: no POST with a body", name)
		}
	}
	want := slices.Concat(amigate.EventTypes, amigate.AgentEventTypes, amigate.CampaignEventTypes)
	slices.Sort(want)
	slices.Sort(hooks)
	if !slices.Equal(hooks, want) {
		t.Errorf("webhooks %v, want one per event type %v", hooks, want)
	}
}
