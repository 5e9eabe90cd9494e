//go:build !nodemo

package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// callKey is the id of the call in progress whose row shows who.
func callKey(b *browser, who string) string {
	b.t.Helper()
	b.until(who+"'s call shown", long, callRow(who)+` !== undefined`)
	return eval[string](b, "read "+who+"'s call id", callRow(who)+`.dataset.key`)
}

// TestPanelTransfers: from the panel, a blind transfer moves a customer
// talking to 101 over to 103, and an attended one puts a customer on hold
// while 101 consults 102, and hands the customer to 102 once 101 hangs up.
func TestPanelTransfers(t *testing.T) {
	b, s := openPanel(t, "")

	// Attended first: it completes when 101's phone hangs up, after its
	// talk time (30 s in the demo).
	incoming(t, s.URL, `{"did": "5550111", "from": "79005550031", "name": "Alla Attended", "hangup_after_seconds": 180}`)
	incoming(t, s.URL, `{"did": "5550101", "from": "79005550032", "name": "Bob Blind", "hangup_after_seconds": 180}`)
	alla, bob := callKey(b, "Alla Attended"), callKey(b, "Bob Blind")
	row := func(id string) string { return `#calls tr[data-key="` + id + `"]` }
	b.until("both answered by 101", long, fmt.Sprintf(`['%s', '%s'].every(id => { const tr = document.querySelector('#calls tr[data-key="'+id+'"]');
		return tr && tr.dataset.state === 'answered' && tr.querySelector('.c-agent').textContent.startsWith('101'); })`, alla, bob))

	b.run("attended transfer to 102", long,
		chromedp.Click(chromedp.CSS(row(alla)+` select.xfer-to`)), // a person opens the picker: it lists the agents
		chromedp.SetValue(chromedp.CSS(row(alla)+` select.xfer-to`), "102"),
		chromedp.Click(chromedp.CSS(row(alla)+` button.xfer-att`)))
	b.until("Alla on hold while 102 is consulted", long, `document.querySelector('`+row(alla)+`').dataset.state === 'on_hold' &&
		['ringing', 'in_call'].includes(document.querySelector('#agents tr[data-key="102"]').dataset.state)`)
	b.shot("attended-consulting")

	b.run("blind transfer to 103", long,
		chromedp.Click(chromedp.CSS(row(bob)+` select.xfer-to`)), // a person opens the picker: it lists the agents
		chromedp.SetValue(chromedp.CSS(row(bob)+` select.xfer-to`), "103"),
		chromedp.Click(chromedp.CSS(row(bob)+` button.xfer-blind`)))
	b.until("Bob talks to 103", long, `(() => { const tr = document.querySelector('`+row(bob)+`');
		return tr && tr.dataset.state === 'answered' && tr.querySelector('.c-agent').textContent.startsWith('103'); })()`)
	b.shot("blind-transferred")

	// 102's phone hangs up after its own talk time, which may be soon
	// after: talking to 102, or ended with 102 as its agent.
	b.until("Alla handed to 102 once 101 hung up", 45*time.Second, `(() => {
		const tr = document.querySelector('`+row(alla)+`'), ended = document.querySelector('#ended tr[data-key="`+alla+`"]');
		return tr ? tr.dataset.state === 'answered' && tr.querySelector('.c-agent').textContent.startsWith('102')
			: Boolean(ended) && ended.querySelector('.c-agent').textContent === '102'; })()`)
	b.until("the message area stays empty", long, `document.querySelector('#message').hidden`)
	b.shot("attended-transferred")
	b.checkConsole()
}

// focused is a JavaScript expression for what has the keyboard focus, as
// "tag.class" or "#id".
const focused = `(() => { const e = document.activeElement; return e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className; })()`

// tabTo presses Tab until the element matching sel has the focus, at most
// max times; it fails the test when Tab never gets there.
func tabTo(b *browser, sel string, max int) {
	b.t.Helper()
	for range max {
		if eval[bool](b, "read the focus", `document.activeElement === document.querySelector(`+jsString(sel)+`)`) {
			return
		}
		b.run("press Tab", long, chromedp.KeyEvent(kb.Tab))
	}
	b.shot("failed-tab-to")
	b.t.Fatalf("%d presses of Tab never reached %s (the focus is on %s)", max, sel, eval[string](b, "read the focus", focused))
}

// focusVisible tells whether the focused element shows an outline.
const focusVisible = `(() => { const st = getComputedStyle(document.activeElement);
	return document.activeElement.matches(':focus-visible') && st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 1; })()`

// TestPanelKeyboardAndPhone: the panel's actions by keyboard alone (Tab
// reaches them with a visible focus, Enter and Space trigger them, Escape
// closes the pause dialog without pausing), then on a phone's screen
// (390×844): nothing scrolls sideways, and each agent's state and each
// call's customer, state, duration and actions are in view.
func TestPanelKeyboardAndPhone(t *testing.T) {
	b, s := openPanel(t, "")

	// Space on agent 103's Pause opens the dialog; Escape closes it and
	// nothing is paused.
	tabTo(b, `#agents tr[data-key="103"] button.pause`, 60)
	if !eval[bool](b, "check the focus ring", focusVisible) {
		t.Error("the focused Pause button shows no focus outline")
	}
	b.run("press Space", long, chromedp.KeyEvent(" "))
	b.until("the pause dialog opens on its reason", long, `document.querySelector('#pause-dialog').open && document.activeElement.id === 'pause-reason'`)
	b.run("type a reason, then Escape", long, chromedp.KeyEvent("coffee"), chromedp.KeyEvent(kb.Escape))
	b.until("the dialog closes", long, `!document.querySelector('#pause-dialog').open`)
	// Enter this time: the reason is typed and Enter pauses.
	b.run("focus Pause again", long, chromedp.Focus(chromedp.CSS(`#agents tr[data-key="103"] button.pause`)))
	b.run("press Enter", long, chromedp.KeyEvent(kb.Enter))
	b.until("the pause dialog opens again", long, `document.querySelector('#pause-dialog').open && document.activeElement.id === 'pause-reason'`)
	b.run("type a reason and Enter", long, chromedp.KeyEvent("lunch"), chromedp.KeyEvent(kb.Enter))
	b.until("agent 103 paused for lunch, not for coffee", long, `(() => { const tr = document.querySelector('#agents tr[data-key="103"]');
		return tr.dataset.state === 'paused' && tr.querySelector('.c-state').textContent.includes('lunch'); })()`)
	if coffee := eval[bool](b, "check the cancelled pause", `document.querySelector('#agents tr[data-key="103"] .c-state').textContent.includes('coffee')`); coffee {
		t.Error("the pause cancelled with Escape was sent")
	}
	b.run("focus Unpause, press Space", long, chromedp.Focus(chromedp.CSS(`#agents tr[data-key="103"] button.pause`)), chromedp.KeyEvent(" "))
	b.until("agent 103 available again", long, `document.querySelector('#agents tr[data-key="103"]').dataset.state === 'available'`)

	// Click-to-call by keyboard: Tab into the number, type it, Enter.
	tabTo(b, `#dial-to`, 80)
	if !eval[bool](b, "check the focus ring", focusVisible) {
		t.Error("the focused number field shows no focus outline")
	}
	b.run("type a number and Enter", long, chromedp.KeyEvent("+7 900 765-43-21"), chromedp.KeyEvent(kb.Enter))
	b.until("the call placed by keyboard appears", long, callRow("89007654321")+` !== undefined`)
	// Hang it up by keyboard: Tab reaches the row's Hang up.
	id := callKey(b, "89007654321")
	tabTo(b, `#calls tr[data-key="`+id+`"] button.hangup`, 80)
	b.run("press Enter", long, chromedp.KeyEvent(kb.Enter))
	b.until("the call hung up by keyboard ends", long, callRow("89007654321")+` === undefined`)
	b.shot("keyboard")

	// A phone: a waiting caller and a call in progress.
	incoming(t, s.URL, `{"did": "5550103", "from": "79005550041", "name": "Polina Phone-Waiting", "hangup_after_seconds": 120}`)
	incoming(t, s.URL, `{"did": "5550101", "from": "79005550042", "name": "Pavel Phone-Talking", "hangup_after_seconds": 120}`)
	b.run("a phone's screen", long, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.until("Pavel answered, Polina waiting", long, callRow("Pavel Phone-Talking")+`?.dataset.state === 'answered' &&
		[...document.querySelectorAll('#queues [data-key="nobody"] .waiting li')].some(li => li.textContent.includes('Polina'))`)
	p := b.shot("phone")
	fit := eval[[]string](b, "measure the layout", `(() => {
		const w = document.documentElement.clientWidth, bad = [];
		if (document.documentElement.scrollWidth > w) bad.push('the page is ' + document.documentElement.scrollWidth + ' px wide for ' + w);
		const shown = (e, what) => {
			const r = e && e.getBoundingClientRect();
			if (!r || r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') bad.push(what + ': not shown');
			else if (r.left < 0 || r.right > w + 0.5) bad.push(what + ': ' + Math.round(r.left) + '..' + Math.round(r.right) + ' outside 0..' + w);
			else if (e.scrollWidth > e.clientWidth + 1 && e.tagName !== 'SELECT') bad.push(what + ': clipped (' + e.scrollWidth + ' px of text in ' + e.clientWidth + ')');
		};
		for (const tr of document.querySelectorAll('#agents tbody tr')) {
			shown(tr.querySelector('.c-ext'), 'agent ' + tr.dataset.key + ' extension');
			shown(tr.querySelector('.badge'), 'agent ' + tr.dataset.key + ' state');
			shown(tr.querySelector('button.pause'), 'agent ' + tr.dataset.key + ' pause');
		}
		for (const tr of document.querySelectorAll('#calls tbody tr')) {
			for (const [sel, what] of [['.c-cust', 'customer'], ['.c-agent', 'agent'], ['.badge', 'state'], ['.c-dur', 'duration'], ['button.hangup', 'hang up'], ['select.xfer-to', 'transfer to']])
				shown(tr.querySelector(sel), 'call ' + tr.querySelector('.c-cust').textContent + ' ' + what);
		}
		for (const e of document.querySelectorAll('#queues .card, #dial, header.top'))
			shown(e, e.id || e.className);
		return bad; })()`)
	for _, f := range fit {
		t.Errorf("on a 390 px phone: %s", f)
	}
	if len(fit) > 0 {
		t.Logf("phone screenshot: %s", p)
	}
	b.checkConsole()
}
