// amigate operator panel: agents, queues and calls live from /v1/events.
// Plain JavaScript, no build step. It never builds HTML from data (only
// textContent), and acts only through the public API with the signed-in
// token, whose scopes decide which buttons are shown.
'use strict';

const TOKEN_KEY = 'amigate.panel.token';
const AGENT_EVENTS = ['agent.state_changed', 'agent.queue_joined', 'agent.queue_left', 'agent.paused', 'agent.unpaused'];
const CALL_EVENTS = ['call.ringing', 'call.answered', 'call.transferred', 'call.transfer_failed', 'call.ended'];
const MAX_ENDED = 30;
const STATE_TEXT = {
  available: 'available', ringing: 'ringing', in_call: 'in call', on_hold: 'on hold',
  paused: 'paused', unavailable: 'unavailable', unknown: 'unknown',
  dialing: 'dialing', answered: 'answered', transferring: 'transferring', ended: 'ended',
  // outcomes of ended calls
  no_answer: 'no answer', busy: 'busy', failed: 'failed', abandoned: 'abandoned', canceled: 'canceled',
};

const S = {
  token: '', scopes: new Set(), ext: '', demo: false,
  agents: new Map(), queues: new Map(), calls: new Map(), ended: [],
  lastId: '', es: null, gen: 0, retry: 0, retryTimer: 0, loading: null, pending: null,
  dirty: false, queueTimers: new Map(),
  // Time from an event's occurrence to the DOM showing it, in ms: read by
  // the browser tests and by anyone measuring in the console.
  latencies: [],
  // Time from an event's occurrence to its arrival on the stream, in ms:
  // the service's share of the above.
  arrivals: [],
  // Time each render took, in ms.
  renderTimes: [],
};
window.amigatePanel = S;

const $ = (sel) => document.querySelector(sel);
const can = (...scopes) => scopes.some((s) => S.scopes.has(s));

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const k of kids) e.append(k);
  return e;
}
function setText(e, v) { v = v == null ? '' : String(v); if (e.textContent !== v) e.textContent = v; }

function fmtDur(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0');
}
const ts = (t) => (t ? Date.parse(t) : NaN);

// ---- messages and status

let msgTimer = 0;
function showError(text) {
  const m = $('#message');
  m.textContent = text;
  m.hidden = false;
  clearTimeout(msgTimer);
  msgTimer = setTimeout(() => { m.hidden = true; }, 10000);
}
function setStatus(state, text) {
  const s = $('#status');
  s.dataset.state = state;
  setText(s, text || state);
}

// ---- the API

class APIError extends Error {}

async function api(method, path, body) {
  const opt = { method, headers: { Authorization: 'Bearer ' + S.token } };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const res = await fetch(path, opt);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (res.status === 401) {
    signOut('The token was refused: it is invalid or has expired. Sign in again.');
  }
  if (!res.ok) {
    throw new APIError((data && (data.detail || data.title)) || `the service answered ${res.status}`);
  }
  return data;
}

async function act(what, fn) {
  try { await fn(); } catch (e) { showError(`${what}: ${e.message}`); }
}

// ---- signing in

function claimsOf(tok) {
  try {
    const p = tok.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const c = JSON.parse(atob(p + '='.repeat((4 - (p.length % 4)) % 4)));
    let sc = c.scope || [];
    if (typeof sc === 'string') sc = sc.split(' ');
    return { scopes: new Set(sc.filter(Boolean)), ext: c.ext || '' };
  } catch {
    return null;
  }
}

async function start() {
  let tok = sessionStorage.getItem(TOKEN_KEY) || '';
  const demoToken = document.body.dataset.demoToken;
  if (demoToken) {
    S.demo = true;
    $('#links').hidden = false;
    if (!tok) {
      try {
        const r = await fetch(demoToken);
        if (r.ok) tok = (await r.json()).token || '';
      } catch { /* sign in by hand */ }
    }
  }
  if (!tok) { showSignIn(); return; }
  signIn(tok);
}

function showSignIn(why) {
  $('#app').hidden = true;
  $('#signout').hidden = true;
  $('#signin').hidden = false;
  setStatus('signed-out', 'signed out');
  if (why) showError(why);
  $('#signin-token').focus();
}

function signIn(tok) {
  const c = claimsOf(tok.trim());
  if (!c) { showSignIn('That is not a token: paste the whole JWT (three parts separated by dots).'); return; }
  S.token = tok.trim();
  S.scopes = c.scopes;
  S.ext = c.ext;
  sessionStorage.setItem(TOKEN_KEY, S.token);
  $('#signin-token').value = ''; // kept in sessionStorage only, not in the page
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#signout').hidden = false;
  $('#queues-section').hidden = !can('queues:read');
  $('#agents-section').hidden = !can('agents:read', 'queues:read');
  $('#calls-section').hidden = !can('calls:read');
  $('#dial').hidden = !can('calls:write');
  connect();
}

function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  S.gen++;
  if (S.es) { S.es.close(); S.es = null; }
  clearTimeout(S.retryTimer);
  S.token = '';
  S.lastId = '';
  S.agents.clear(); S.queues.clear(); S.calls.clear(); S.ended = [];
  render();
  showSignIn(why);
}

// ---- the state: a snapshot, then events

async function loadSnapshot() {
  S.pending = [];
  const jobs = [];
  if (can('agents:read', 'queues:read')) {
    jobs.push(api('GET', '/v1/agents').then((list) => {
      S.agents = new Map(list.map((a) => [a.extension, a]));
    }));
  }
  if (can('queues:read')) {
    jobs.push(api('GET', '/v1/queues').then((list) => Promise.all(list.map((q) =>
      api('GET', '/v1/queues/' + encodeURIComponent(q.name)).then((st) => S.queues.set(q.name, st)))))
      .then(() => {}));
  }
  if (can('calls:read')) {
    jobs.push(api('GET', '/v1/calls?limit=300').then((list) => {
      S.calls.clear();
      S.ended = [];
      for (const c of list) {
        if (c.state === 'ended') { if (S.ended.length < MAX_ENDED) S.ended.push(c); } else S.calls.set(c.id, c);
      }
    }));
  }
  for (const r of await Promise.allSettled(jobs)) {
    if (r.status === 'rejected') showError('Loading the current state: ' + r.reason.message);
  }
  // Events that arrived while the snapshot loaded may be newer than it.
  const pending = S.pending;
  S.pending = null;
  for (const ev of pending) apply(ev);
  schedule();
}

// regresses tells an event older than what is shown (a snapshot taken
// after it): a call never goes back from ended, nor from answered to
// ringing.
function regresses(old, c) {
  if (!old) return false;
  if (old.state === 'ended' && c.state !== 'ended') return true;
  return Boolean(old.answered_at) && !c.answered_at;
}

function apply(ev) {
  if (CALL_EVENTS.includes(ev.type)) {
    const c = ev.call;
    const old = S.calls.get(c.id) || S.ended.find((e) => e.id === c.id);
    if (regresses(old, c)) return;
    if (c.state === 'ended') {
      S.calls.delete(c.id);
      S.ended = [c, ...S.ended.filter((e) => e.id !== c.id)].slice(0, MAX_ENDED);
    } else {
      S.calls.set(c.id, c);
    }
    if (c.queue && (ev.type === 'call.answered' || ev.type === 'call.ended')) refreshQueue(c.queue);
  } else if (ev.presence) {
    const p = ev.presence;
    const old = S.agents.get(p.extension);
    if (!old || !(ts(p.since) < ts(old.since))) S.agents.set(p.extension, p);
    if (ev.queue && (ev.type === 'agent.queue_joined' || ev.type === 'agent.queue_left')) refreshQueue(ev.queue);
  }
}

// refreshQueue reloads one queue's statistics (answered, abandoned, service
// level), which events do not carry, once its calls settle.
function refreshQueue(name) {
  if (!can('queues:read') || S.queueTimers.has(name)) return;
  S.queueTimers.set(name, setTimeout(() => {
    S.queueTimers.delete(name);
    api('GET', '/v1/queues/' + encodeURIComponent(name))
      .then((st) => { S.queues.set(name, st); schedule(); })
      .catch(() => { /* the next event tries again */ });
  }, 500));
}

function onEvent(msg) {
  let ev;
  try { ev = JSON.parse(msg.data); } catch { return; }
  if (msg.lastEventId) S.lastId = msg.lastEventId;
  S.arrivals.push(Date.now() - Date.parse(ev.occurred_at));
  if (S.arrivals.length > 2000) S.arrivals.splice(0, S.arrivals.length - 2000);
  if (S.pending) S.pending.push(ev);
  apply(ev);
  (S.latencyQueue ||= []).push(ev);
  schedule();
}

// ---- the stream: a ticket per connection, resumed by the last event id

async function connect() {
  // A later connect (the network back, a new sign-in) supersedes this one.
  const gen = ++S.gen;
  clearTimeout(S.retryTimer);
  if (S.es) { S.es.close(); S.es = null; }
  setStatus('connecting', S.lastId ? 'reconnecting…' : 'connecting…');
  let tk;
  try {
    tk = await api('POST', '/v1/events/tickets');
  } catch (e) {
    if (!S.token || gen !== S.gen) return;
    setStatus('offline', 'offline: ' + e.message);
    return reconnectLater();
  }
  if (gen !== S.gen) return;
  const types = [...CALL_EVENTS, ...(can('agents:read', 'queues:read') ? AGENT_EVENTS : [])];
  const q = new URLSearchParams({ ticket: tk.ticket, events: types.join(',') });
  const resumed = Boolean(S.lastId);
  if (resumed) q.set('last_event_id', S.lastId);
  const es = new EventSource('/v1/events?' + q);
  S.es = es;
  es.onopen = () => {
    S.retry = 0;
    setStatus('live', 'live');
    // A fresh stream starts from now: what happened before comes from a
    // snapshot. A resumed one replays what was missed.
    if (!resumed) loadSnapshot();
  };
  for (const t of types) es.addEventListener(t, onEvent);
  es.addEventListener('gap', () => {
    showError('Some events were no longer kept while the panel was away: reloading the current state.');
    loadSnapshot();
  });
  // A ticket opens one stream: EventSource's own retry would be refused,
  // so the panel reconnects itself with a new ticket.
  es.onerror = () => {
    es.close();
    if (S.es !== es) return;
    S.es = null;
    setStatus('offline', 'connection lost; reconnecting…');
    reconnectLater();
  };
}

function reconnectLater() {
  const delay = Math.min(15000, 500 * 2 ** S.retry);
  S.retry = Math.min(S.retry + 1, 5);
  clearTimeout(S.retryTimer);
  S.retryTimer = setTimeout(() => { if (S.token) connect(); }, delay);
}

// ---- rendering: keyed rows updated in place, batched per frame

function schedule() {
  if (S.dirty) return;
  S.dirty = true;
  requestAnimationFrame(() => {
    S.dirty = false;
    const t0 = performance.now();
    render();
    S.renderTimes.push(performance.now() - t0);
    const now = Date.now();
    for (const ev of S.latencyQueue || []) S.latencies.push(now - Date.parse(ev.occurred_at));
    S.latencyQueue = [];
    for (const a of [S.latencies, S.renderTimes]) if (a.length > 2000) a.splice(0, a.length - 2000);
  });
}

// syncRows makes parent's children the rows of items, in order, reusing
// the row of each key so that focus and layout survive updates. A row is
// updated only when its item is a new object (events replace them) or
// stale says it shows more than its item and that changed. Rows that go are
// removed before any is moved: removing one near the top must not move
// every row below it.
function syncRows(parent, items, key, create, update, stale) {
  const rows = (parent.rowsByKey ||= new Map());
  const keys = items.map(key);
  if (rows.size) {
    const want = new Set(keys);
    for (const [k, row] of rows) if (!want.has(k)) { row.remove(); rows.delete(k); }
  }
  let at = parent.firstElementChild;
  items.forEach((it, i) => {
    const k = keys[i];
    let row = rows.get(k);
    if (!row) { row = create(it); row.dataset.key = k; rows.set(k, row); }
    if (row.item !== it || (stale && stale(row, it))) { update(row, it); row.item = it; }
    if (row !== at) parent.insertBefore(row, at); else at = at.nextElementSibling;
  });
}

const byExt = (a, b) => a.extension.localeCompare(b.extension, undefined, { numeric: true });

function pausedReason(a) {
  const q = (a.queues || []).find((x) => x.paused);
  return q ? (q.paused_reason || 'no reason given') : '';
}

function otherParty(a) {
  for (const id of a.calls || []) {
    const c = S.calls.get(id);
    if (!c) continue;
    if (c.customer) return c.customer.name ? `${c.customer.name} (${c.customer.number})` : c.customer.number;
    if (c.agent && c.agent.extension !== a.extension) return 'ext ' + c.agent.extension;
  }
  return '';
}

function badge(cell, state, extra) {
  cell.dataset.state = state;
  setText(cell, (STATE_TEXT[state] || state) + (extra ? ': ' + extra : ''));
}

function renderAgents() {
  const list = [...S.agents.values()].sort(byExt);
  setText($('#agents-count'), list.length ? `(${list.filter((a) => a.state === 'available').length} of ${list.length} available)` : '');
  const mayPause = can('agents:write', 'queues:write');
  syncRows($('#agents tbody'), list, (a) => a.extension, (a) => {
    const tr = el('tr');
    for (const c of ['c-ext', 'c-name', 'c-state', 'c-with', 'c-dur', 'c-queues', 'c-act']) tr.append(el('td', { className: c }));
    tr.children[2].append(el('span', { className: 'badge' }));
    if (mayPause) {
      const b = el('button', { type: 'button', className: 'pause' });
      b.addEventListener('click', () => togglePause(a.extension, b.dataset.paused === 'true'));
      tr.children[6].append(b);
    }
    return tr;
  }, (tr, a) => {
    const reason = a.state === 'paused' ? pausedReason(a) : '';
    tr.dataset.state = a.state;
    setText(tr.children[0], a.extension);
    setText(tr.children[1], a.name || '');
    badge(tr.children[2].firstChild, a.state, reason);
    setText(tr.children[3], otherParty(a)); // also shown by the call: see stale below
    tick(tr.children[4], a.state === 'available' || a.state === 'unknown' ? '' : a.since);
    setText(tr.children[5], (a.queues || []).map((q) => q.queue + (q.paused ? ' (paused)' : '')).join(', '));
    const b = tr.children[6].firstChild;
    if (b) {
      const paused = (a.queues || []).some((q) => q.paused);
      b.dataset.paused = String(paused);
      b.disabled = !(a.queues || []).length;
      setText(b, paused ? 'Unpause' : 'Pause');
      b.setAttribute('aria-label', (paused ? 'Unpause agent ' : 'Pause agent ') + a.extension);
    }
  }, (tr, a) => tr.children[3].textContent !== otherParty(a));
}

// tick shows in cell the time elapsed since since, counted on by the
// ticker below. The text is in a box of its own of fixed size (.since,
// contain: strict), so that a duration changing lays out that box alone,
// not the table around it: hundreds change every second.
function tick(cell, since) {
  const t = ts(since);
  let box = cell.firstElementChild;
  if (Number.isNaN(t)) { if (cell.textContent !== '') cell.textContent = ''; return; }
  if (!box || box.className !== 'since') { box = el('span', { className: 'since' }); cell.replaceChildren(box); }
  box.dataset.since = String(t);
  setText(box, fmtDur(Date.now() - t));
}

function renderQueues() {
  const names = [...S.queues.keys()].sort();
  const waiting = new Map(); // queue → its callers not answered yet, longest waiting first
  for (const c of S.calls.values()) {
    if (!c.queue || c.answered_at || c.state === 'ended') continue;
    if (!waiting.has(c.queue)) waiting.set(c.queue, []);
    waiting.get(c.queue).push(c);
  }
  const waitingOf = (name) => (waiting.get(name) || []).sort((a, b) => startedAt(a) - startedAt(b));
  syncRows($('#queues'), names.map((n) => S.queues.get(n)), (q) => q.name, () => {
    const card = el('article', { className: 'card' },
      el('h3'), el('dl', { className: 'stats' }),
      el('h4', { textContent: 'Waiting' }), el('ol', { className: 'waiting' }),
      el('h4', { textContent: 'Members' }), el('ul', { className: 'members' }));
    return card;
  }, (card, q) => {
    const waiting = waitingOf(q.name);
    const [h3, dl, , ol, , ul] = card.children;
    setText(h3, q.name);
    const stats = [
      ['waiting', String(waiting.length)],
      ['longest wait', waiting.length ? { since: waiting[0].started_at } : '–'],
      ['answered', String(q.completed)],
      ['abandoned', String(q.abandoned)],
      ['service level', q.service_level ? `${Math.round(q.service_level_perf)}% in ${q.service_level}s` : `${Math.round(q.service_level_perf)}%`],
    ];
    if (dl.children.length !== stats.length * 2) {
      dl.replaceChildren(...stats.flatMap(([k]) => [el('dt', { textContent: k }), el('dd')]));
    }
    stats.forEach(([, v], i) => {
      const dd = dl.children[i * 2 + 1];
      if (typeof v === 'object') tick(dd, v.since); else setText(dd, v);
    });
    syncRows(ol, waiting, (c) => c.id, () => el('li', {}, el('span', { className: 'who' }), el('span', { className: 'wait' })), (li, c) => {
      const cu = c.customer || {};
      setText(li.firstChild, cu.name ? `${cu.name} · ${cu.number}` : (cu.number || 'unknown number'));
      tick(li.lastChild, c.started_at);
    });
    const members = [...S.agents.values()].filter((a) => (a.queues || []).some((m) => m.queue === q.name)).sort(byExt);
    const shown = members.length || !q.members ? members.map((a) => ({ key: a.extension, name: `${a.extension} ${a.name || ''}`, state: a.state }))
      : q.members.map((m) => ({ key: m.interface, name: m.name || m.interface, state: m.paused ? 'paused' : (m.in_call ? 'in_call' : 'unknown') }));
    syncRows(ul, shown, (m) => m.key, () => el('li', {}, el('span', { className: 'dot' }), el('span')), (li, m) => {
      li.firstChild.dataset.state = m.state;
      setText(li.lastChild, `${m.name.trim()} · ${STATE_TEXT[m.state] || m.state}`);
    }, () => true);
  }, () => true); // a card shows the queue's calls and members, not only its statistics
}

// startedAt is a call's start in ms, parsed once per call object.
const startedAt = (c) => (c.startedMs ??= ts(c.started_at));

function customerText(c) {
  const cu = c.customer;
  if (!cu) return c.direction === 'internal' ? 'internal' : '';
  return cu.name ? `${cu.name} · ${cu.number}` : cu.number;
}

function renderCalls() {
  const list = [...S.calls.values()].sort((a, b) => startedAt(b) - startedAt(a));
  setText($('#calls-count'), `(${list.length})`);
  const mayAct = can('calls:write');
  syncRows($('#calls tbody'), list, (c) => c.id, (c) => {
    const tr = el('tr');
    for (const k of ['c-cust', 'c-agent', 'c-queue', 'c-dir', 'c-state', 'c-dur', 'c-act']) tr.append(el('td', { className: k }));
    tr.children[4].append(el('span', { className: 'badge' }));
    if (mayAct) {
      const hang = el('button', { type: 'button', className: 'hangup', textContent: 'Hang up' });
      hang.addEventListener('click', () => act('Hang up', () => api('POST', `/v1/calls/${encodeURIComponent(c.id)}/hangup`)));
      const sel = el('select', { className: 'xfer-to' }, el('option', { value: '', textContent: 'to…' }));
      sel.setAttribute('aria-label', 'transfer to agent');
      // The agents are listed when the picker is about to be used, not in
      // every row on every update: 200 calls by 50 agents would be 10,000
      // options to lay out.
      const fill = () => fillAgents(sel, tr.item);
      for (const t of ['focus', 'pointerdown', 'mousedown', 'keydown']) sel.addEventListener(t, fill);
      const blind = el('button', { type: 'button', className: 'xfer-blind', textContent: 'Blind' });
      const att = el('button', { type: 'button', className: 'xfer-att', textContent: 'Attended' });
      const xfer = (mode) => act('Transfer', () => {
        if (!sel.value) throw new APIError('pick an agent to transfer to');
        return api('POST', `/v1/calls/${encodeURIComponent(c.id)}/transfer`, { to: sel.value, mode });
      });
      blind.addEventListener('click', () => xfer('blind'));
      att.addEventListener('click', () => xfer('attended'));
      tr.children[6].append(hang, sel, blind, att);
    }
    return tr;
  }, (tr, c) => {
    tr.dataset.state = c.state;
    setText(tr.children[0], customerText(c));
    setText(tr.children[1], c.agent ? `${c.agent.extension} ${c.agent.name || ''}`.trim() : '');
    setText(tr.children[2], c.queue || '');
    setText(tr.children[3], c.direction || '');
    badge(tr.children[4].firstChild, c.state);
    tick(tr.children[5], c.answered_at || c.started_at);
    if (mayAct) {
      const answered = c.state === 'answered' || c.state === 'on_hold';
      tr.children[6].children[2].disabled = tr.children[6].children[3].disabled = !answered;
    }
  });
  syncRows($('#ended tbody'), S.ended, (c) => c.id, () => {
    const tr = el('tr');
    for (const k of ['c-cust', 'c-agent', 'c-queue', 'c-dir', 'c-state', 'c-dur', 'c-time']) tr.append(el('td', { className: k }));
    tr.children[4].append(el('span', { className: 'badge' }));
    return tr;
  }, (tr, c) => {
    setText(tr.children[0], customerText(c));
    setText(tr.children[1], c.agent ? c.agent.extension : '');
    setText(tr.children[2], c.queue || '');
    setText(tr.children[3], c.direction || '');
    badge(tr.children[4].firstChild, c.disposition || 'ended');
    setText(tr.children[5], fmtDur((c.talk_seconds || 0) * 1000));
    setText(tr.children[6], c.ended_at ? new Date(c.ended_at).toLocaleTimeString() : '');
  });
}

// fillAgents lists in a call's transfer picker the agents it may go to:
// every agent but the call's own, keeping the choice made.
function fillAgents(sel, c) {
  const exts = [...S.agents.keys()].filter((e) => !c || !c.agent || e !== c.agent.extension).sort();
  if (sel.dataset.exts === exts.join()) return;
  const keep = sel.value;
  sel.replaceChildren(el('option', { value: '', textContent: 'to…' }), ...exts.map((e) => el('option', { value: e, textContent: e })));
  sel.value = exts.includes(keep) ? keep : '';
  sel.dataset.exts = exts.join();
}

function renderDial() {
  const sel = $('#dial-from');
  const exts = S.ext ? [S.ext] : [...S.agents.keys()].sort();
  if (sel.dataset.exts === exts.join()) return;
  const keep = sel.value;
  sel.replaceChildren(...exts.map((e) => el('option', { value: e, textContent: e })));
  if (exts.includes(keep)) sel.value = keep;
  sel.dataset.exts = exts.join();
}

function render() {
  renderAgents();
  renderQueues();
  renderCalls();
  renderDial();
}

// Durations tick once a second, from the clock alone: no request.
setInterval(() => {
  const now = Date.now();
  for (const e of document.querySelectorAll('[data-since]')) setText(e, fmtDur(now - Number(e.dataset.since)));
}, 1000);

// ---- actions

let pauseExt = '';
function togglePause(ext, paused) {
  if (paused) {
    act('Unpause', () => api('POST', `/v1/agents/${encodeURIComponent(ext)}/unpause`));
    return;
  }
  pauseExt = ext;
  setText($('#pause-ext'), ext);
  $('#pause-reason').value = '';
  $('#pause-dialog').returnValue = '';
  $('#pause-dialog').showModal();
}

document.addEventListener('DOMContentLoaded', () => {
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('#signin-token').value);
  });
  $('#signout').addEventListener('click', () => signOut(''));
  // Cancel is not a submit button, so that Enter in the reason pauses
  // (Pause is the form's default button); Escape cancels too.
  $('#pause-cancel').addEventListener('click', () => $('#pause-dialog').close('cancel'));
  $('#pause-dialog').addEventListener('cancel', () => { $('#pause-dialog').returnValue = 'cancel'; });
  // Back online: reconnect now rather than at the next backoff step.
  window.addEventListener('online', () => { if (S.token && !S.es) connect(); });
  $('#pause-dialog').addEventListener('close', () => {
    if ($('#pause-dialog').returnValue !== 'ok' || !pauseExt) return;
    const reason = $('#pause-reason').value.trim();
    act('Pause', () => api('POST', `/v1/agents/${encodeURIComponent(pauseExt)}/pause`, reason ? { reason } : {}));
  });
  $('#dial').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $('#dial-from').value;
    const to = $('#dial-to').value.trim();
    act('Call', async () => {
      await api('POST', '/v1/calls', { from, to });
      $('#dial-to').value = '';
    });
  });
  start();
});
