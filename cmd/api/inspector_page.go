package main

import (
	"encoding/json"
	"html"
	"strings"
	"time"
)

// inspectorGroup is the webhooks of one call (or one agent), newest first.
type inspectorGroup struct {
	key, title string
	hooks      []receivedWebhook
}

// groupWebhooks groups received webhooks (newest first) by call id, or by
// agent for agent events; a group's place is that of its newest webhook.
func groupWebhooks(list []receivedWebhook) []*inspectorGroup {
	var groups []*inspectorGroup
	byKey := map[string]*inspectorGroup{}
	for _, r := range list {
		var body struct {
			Call struct {
				ID       string `json:"id"`
				Customer *struct {
					Number string `json:"number"`
					Name   string `json:"name"`
				} `json:"customer"`
				Direction string `json:"direction"`
			} `json:"call"`
			Presence *struct {
				Extension string `json:"extension"`
			} `json:"presence"`
		}
		_ = json.Unmarshal(r.Body, &body) // an unreadable body lands in "other"
		key, title := "other", "not a call event"
		switch {
		case body.Call.ID != "":
			key, title = "call "+body.Call.ID, body.Call.Direction+" call "+body.Call.ID
			if cu := body.Call.Customer; cu != nil {
				title = strings.TrimSpace(cu.Name+" "+cu.Number) + " · " + title
			}
		case body.Presence != nil:
			key = "agent " + body.Presence.Extension
			title = "agent " + body.Presence.Extension
		}
		g := byKey[key]
		if g == nil {
			g = &inspectorGroup{key: key, title: title}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.hooks = append(g.hooks, r)
	}
	return groups
}

// inspectorPage renders the webhooks, one line each, grouped by call; a
// line opens to the signed body. The page reloads every 3 s unless a person
// has one open.
func inspectorPage(list []receivedWebhook) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>amigate demo: webhooks</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#1b1f24;background:#f6f8fa}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.75em 0;padding:.25em .75em}
h2{font-size:1em;margin:.4em 0}summary{cursor:pointer;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bad{color:#cf222e;font-weight:600}.t{display:inline-block;min-width:11em;font-weight:600}pre{background:#f4f4f4;padding:.5em;overflow:auto}</style>
<script>setTimeout(function(){if(!document.querySelector("details[open]"))location.reload()},3000)</script>`)
	b.WriteString(`<h1>Webhooks received</h1><p>Newest first, grouped by call; click a line for its body. The page reloads every 3 s while no line is open. The <a href="/panel">operator panel</a> shows the calls live; JSON: <code>curl ` + inspectorPath + `</code></p>`)
	if len(list) == 0 {
		b.WriteString(`<p>None yet: place a call with POST /v1/calls, or call in with POST /demo/pbx/calls.</p>`)
	}
	for _, g := range groupWebhooks(list) {
		b.WriteString(`<section><h2>` + html.EscapeString(g.title) + "</h2>")
		for _, r := range g.hooks {
			verdict := "signature verified"
			if !r.Verified {
				verdict = `<span class="bad">signature REJECTED: ` + html.EscapeString(r.Error) + `</span>`
			}
			pretty, err := json.MarshalIndent(r.Body, "", "  ")
			if err != nil {
				pretty = r.Body
			}
			b.WriteString(`<details><summary><span class="t">` + html.EscapeString(r.Type) + "</span> " +
				html.EscapeString(r.ReceivedAt.Format(time.TimeOnly+".000")) + " · " + verdict + " · " + html.EscapeString(r.ID) +
				"</summary><pre>" + html.EscapeString(string(pretty)) + "</pre></details>")
		}
		b.WriteString("</section>")
	}
	return b.String()
}
