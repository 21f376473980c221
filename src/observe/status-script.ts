// The status page's script, served inline (its hash is in the page's CSP). Plain ES2017 for any browser;
// text from the backends only ever reaches the page through textContent, never innerHTML.
// Hooks for tests: body[data-ready="1"] after the first render, tr#member-<lb>-<member>[data-state]
// [data-activation], button#member-<lb>-<member>-<action>[data-action][data-lb][data-member].

export const STATUS_SCRIPT = String.raw`(function () {
'use strict';
var cfg = JSON.parse(document.getElementById('ajplb-config').textContent);
var doc = JSON.parse(document.getElementById('ajplb-initial').textContent);
var TOKEN_KEY = 'ajplb.adminToken';
var ACTIONS = ['activate', 'disable', 'stop', 'reset', 'recover'];
function $(id) { return document.getElementById(id); }
function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
function setToken(t) { try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) {} }
function canAct() { return cfg.actionsEnabled && token() !== ''; }
function el(tag, attrs) {
  var n = document.createElement(tag);
  if (attrs) for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) n.setAttribute(k, String(attrs[k])); }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined) continue;
    n.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return n;
}
function num(v) { return el('td', { 'class': 'num' }, v); }
function bytes(n) {
  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; var i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + u[i];
}
function ago(ms) {
  var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return s + ' s ago';
  if (s < 7200) return Math.round(s / 60) + ' min ago';
  return Math.round(s / 3600) + ' h ago';
}
function stateClass(s) { return s === 'OK' || s === 'OK/IDLE' ? 'st-ok' : s.indexOf('ERR') === 0 ? 'st-err' : 'st-warn'; }
function memberId(lb, m) { return 'member-' + lb + '-' + m; }

function actionCell(lb, m) {
  if (!canAct()) return null;
  var td = el('td', { 'class': 'actions' });
  ACTIONS.forEach(function (a) {
    td.appendChild(el('button', { type: 'button', id: memberId(lb, m.name) + '-' + a, 'data-action': a, 'data-lb': lb, 'data-member': m.name }, a));
  });
  td.appendChild(el('input', { 'class': 'lbf', type: 'number', min: 1, value: m.lbfactor, id: memberId(lb, m.name) + '-lbfactor-value', 'aria-label': 'lbfactor' }));
  td.appendChild(el('button', { type: 'button', id: memberId(lb, m.name) + '-lbfactor', 'data-action': 'lbfactor', 'data-lb': lb, 'data-member': m.name }, 'set lbfactor'));
  return td;
}

function lbSection(lb) {
  var sec = el('section', { 'class': 'lb', id: 'lb-' + lb.name, 'data-lb': lb.name });
  sec.appendChild(el('h2', null, 'lb ' + lb.name));
  sec.appendChild(el('div', { 'class': 'muted' },
    'method ' + lb.method + ' · sticky ' + (lb.stickySession ? (lb.stickySessionForce ? 'forced' : 'on') : 'off') +
    ' · busy ' + lb.busy + ' (max ' + lb.maxBusy + ') · good ' + lb.good + ', degraded ' + lb.degraded + ', bad ' + lb.bad +
    (lb.timeToMaintainSec === null ? '' : ' · maintenance in ' + lb.timeToMaintainSec + ' s')));
  var head = ['Member', 'Route', 'Address', 'State', 'Activation', 'Factor', 'LB value', 'Busy / max', 'Connections open / idle / in use (max)',
    'Requests', 'Errors', 'Client errors', 'Reply timeouts', 'Bytes in / out', 'Last error', 'Route check'];
  if (canAct()) head.push('Actions');
  var table = el('table', { id: 'lb-' + lb.name + '-members' });
  var tr = el('tr');
  head.forEach(function (h) { tr.appendChild(el('th', null, h)); });
  table.appendChild(el('thead', null, tr));
  var body = el('tbody');
  lb.members.forEach(function (m) {
    var c = m.connections;
    var row = el('tr', { id: memberId(lb.name, m.name), 'class': 'member', 'data-lb': lb.name, 'data-member': m.name, 'data-state': m.state, 'data-activation': m.activation, 'data-usable': m.usable ? '1' : '0' });
    var over = m.override ? el('div', { 'class': 'override', title: 'set from this page; kept across reloads' }, 'admin override') : null;
    row.appendChild(el('td', { 'class': 'name' }, m.name, over));
    row.appendChild(el('td', null, m.route));
    row.appendChild(el('td', null, m.host + ':' + m.port));
    row.appendChild(el('td', { 'class': 'state ' + stateClass(m.state) }, m.state, m.timeToRecoverSec === null ? null : el('div', { 'class': 'muted' }, 'recover in ' + m.timeToRecoverSec + ' s')));
    row.appendChild(el('td', { 'class': 'activation act-' + m.activation }, m.activation));
    row.appendChild(num(m.lbfactor));
    row.appendChild(num(m.lbValue));
    row.appendChild(num(m.busy + ' / ' + m.maxBusy));
    row.appendChild(num(c.open + ' / ' + c.idle + ' / ' + c.inUse + ' (' + c.max + ')' + (c.waiting ? ', ' + c.waiting + ' waiting' : '')));
    row.appendChild(num(m.elected));
    row.appendChild(num(m.errors));
    row.appendChild(num(m.clientErrors));
    row.appendChild(num(m.replyTimeouts));
    row.appendChild(num(bytes(m.bytesIn) + ' / ' + bytes(m.bytesOut)));
    row.appendChild(el('td', { 'class': 'last-error' }, m.lastError ? m.lastError.kind + ', ' + ago(m.lastError.atMs) : '—',
      m.lastError ? el('div', { 'class': 'muted' }, new Date(m.lastError.atMs).toISOString()) : null));
    row.appendChild(el('td', { 'class': 'route-check' }, m.routeMismatch ? el('span', { 'class': 'mismatch', title: m.routeMismatch }, '⚠ jvmRoute mismatch') : 'ok',
      m.routeMismatch ? el('div', { 'class': 'muted' }, m.routeMismatch) : null));
    var ac = actionCell(lb.name, m);
    if (ac) row.appendChild(ac);
    body.appendChild(row);
  });
  table.appendChild(body);
  sec.appendChild(table);
  return sec;
}

function workersSection(list) {
  if (!list.length) return null;
  var sec = el('section', { id: 'direct-workers' }, el('h2', null, 'ajp13 workers'));
  var table = el('table');
  var tr = el('tr');
  ['Worker', 'Address', 'Connections open / idle / in use (max)'].forEach(function (h) { tr.appendChild(el('th', null, h)); });
  table.appendChild(tr);
  list.forEach(function (w) {
    var c = w.connections;
    table.appendChild(el('tr', { id: 'worker-' + w.name, 'data-worker': w.name }, el('td', null, w.name), el('td', null, w.host + ':' + w.port),
      num(c.open + ' / ' + c.idle + ' / ' + c.inUse + ' (' + c.max + ')')));
  });
  sec.appendChild(table);
  return sec;
}

function render() {
  var lbs = $('lbs');
  while (lbs.firstChild) lbs.removeChild(lbs.firstChild);
  doc.lbs.forEach(function (lb) { lbs.appendChild(lbSection(lb)); });
  var w = $('workers');
  while (w.firstChild) w.removeChild(w.firstChild);
  var ws = workersSection(doc.workers);
  if (ws) w.appendChild(ws);
  $('generated').textContent = doc.generatedAt;
  $('draining').hidden = !doc.draining;
  var has = token() !== '';
  $('admin-token-clear').hidden = !has;
  $('admin-token-save').textContent = has ? 'Replace token' : 'Enable actions';
  document.body.setAttribute('data-generated', doc.generatedAt);
  document.body.setAttribute('data-actions', canAct() ? '1' : '0');
  document.body.setAttribute('data-ready', '1');
}

function message(text, isError) {
  var m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

function refresh() {
  return fetch(cfg.statusUrl, { cache: 'no-store', headers: { Accept: 'application/json' } }).then(function (r) {
    if (!r.ok) throw new Error('HTTP ' + r.status);
    return r.json();
  }).then(function (d) {
    doc = d;
    $('stale').hidden = true;
    var a = document.activeElement;
    if (!(a && a.classList && a.classList.contains('lbf'))) render();
  }, function () { $('stale').hidden = false; });
}

function actionUrl(lb, member, action) {
  if (cfg.actionMode === 'query') {
    return cfg.actionBase + '?cmd=action&lb=' + encodeURIComponent(lb) + '&member=' + encodeURIComponent(member) + '&action=' + encodeURIComponent(action);
  }
  return cfg.actionBase + '/lb/' + encodeURIComponent(lb) + '/member/' + encodeURIComponent(member) + '/' + action;
}

function act(lb, member, action, value) {
  message(action + ' ' + lb + '/' + member + '…', false);
  var body = value === undefined ? {} : { value: value };
  return fetch(actionUrl(lb, member, action), {
    method: 'POST', cache: 'no-store',
    headers: { Authorization: 'Bearer ' + token(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }).then(function (r) {
    return r.json().catch(function () { return {}; }).then(function (b) {
      if (r.status === 401) { setToken(''); message('The admin token was refused; enter it again.', true); }
      else if (!r.ok) message(action + ' ' + lb + '/' + member + ' failed: ' + (b.error || ('HTTP ' + r.status)), true);
      else message(action + ' ' + lb + '/' + member + ': now ' + b.state + ', ' + b.activation + ', lbfactor ' + b.lbfactor, false);
      document.body.setAttribute('data-last-action', action + ':' + lb + ':' + member + ':' + r.status);
    });
  }, function (e) { message(action + ' failed: ' + e, true); }).then(refresh);
}

document.addEventListener('click', function (e) {
  var b = e.target && e.target.closest ? e.target.closest('button[data-action]') : null;
  if (!b) return;
  var a = b.getAttribute('data-action'); var lb = b.getAttribute('data-lb'); var m = b.getAttribute('data-member');
  if (a === 'lbfactor') {
    var input = document.getElementById(memberId(lb, m) + '-lbfactor-value');
    act(lb, m, a, Number(input && input.value));
  } else {
    act(lb, m, a);
  }
});
$('token-form').addEventListener('submit', function (e) {
  e.preventDefault();
  var t = $('admin-token').value.trim();
  $('admin-token').value = '';
  setToken(t);
  message(t ? 'Actions enabled for this tab.' : '', false);
  render();
});
$('admin-token-clear').addEventListener('click', function () { setToken(''); message('Token forgotten.', false); render(); });

render();
(function loop() { setTimeout(function () { refresh().then(loop, loop); }, cfg.refreshMs); })();
})();
`;
