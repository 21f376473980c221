// The status page, successor of jkstatus: one self-contained HTML document (no external assets) that renders
// the same JSON as /api/status and re-fetches it every few seconds. Actions appear only once an admin token
// is entered (kept in sessionStorage). Every row and button carries stable ids and data-* attributes so a
// browser test (or an operator's script) can find "stop member X of lb Y".

import { createHash } from 'node:crypto';
import { STATUS_SCRIPT } from './status-script.js';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#222;background:#fafafa}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.4rem 0 .3rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#eee;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.st-ok{color:#176f2c;font-weight:600}.st-err{color:#b00020;font-weight:600}.st-warn{color:#a15c00;font-weight:600}
.act-DIS{color:#a15c00}.act-STP{color:#b00020}.muted{color:#777}.override{font-size:.8em;color:#5a3e99}
#message{min-height:1.2em;margin:.5rem 0}#message.error{color:#b00020}#stale{color:#b00020}
button{margin:0 .1rem .1rem 0;font-size:.85em}input.lbf{width:4em}
.mismatch{color:#b00020;cursor:help}form{display:inline}
[hidden]{display:none!important}
`;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64');
}

/** Only this script and this style may run: a page that shows Tomcat-supplied text must not run any other. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(STATUS_SCRIPT)}'`,
  `style-src 'sha256-${sha256(STYLE)}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface PageConfig {
  /** GET this for the JSON status. */
  statusUrl: string;
  /** 'path': POST `${actionBase}/lb/<lb>/member/<m>/<action>`; 'query': POST `${actionBase}?cmd=action&lb=…`. */
  actionMode: 'path' | 'query';
  actionBase: string;
  /** Whether this server would accept actions at all (admin token configured, not read_only). */
  actionsEnabled: boolean;
  readOnlyReason: string;
  refreshMs: number;
  version: string;
}

/** JSON inside <script type="application/json">: '<' escaped so no text can close the element. */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderStatusPage(cfg: PageConfig, initial: unknown): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>ajplb status</title><style>${STYLE}</style></head>
<body data-ready="0">
<h1>ajplb status</h1>
<div class="muted">version ${escapeHtml(cfg.version)} · updated <span id="generated"></span> <span id="stale" hidden>(refresh failed, showing old data)</span> <span id="draining" hidden>· <b>draining</b></span></div>
<div id="admin">
  <form id="token-form" data-enabled="${cfg.actionsEnabled ? '1' : '0'}"${cfg.actionsEnabled ? '' : ' hidden'}>
    <label>Admin token <input id="admin-token" type="password" autocomplete="off"></label>
    <button id="admin-token-save" type="submit">Enable actions</button>
    <button id="admin-token-clear" type="button" hidden>Forget token</button>
  </form>
  <span id="read-only" class="muted"${cfg.actionsEnabled ? ' hidden' : ''}>Read-only: ${escapeHtml(cfg.readOnlyReason)}</span>
</div>
<div id="message" role="status"></div>
<div id="lbs"></div>
<div id="workers"></div>
<noscript><p>This page needs JavaScript; the same data is at <a href="${escapeHtml(cfg.statusUrl)}">${escapeHtml(cfg.statusUrl)}</a>.</p></noscript>
<script type="application/json" id="ajplb-config">${embed(cfg)}</script>
<script type="application/json" id="ajplb-initial">${embed(initial)}</script>
<script>${STATUS_SCRIPT}</script>
</body></html>
`;
}
