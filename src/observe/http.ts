// HTTP for the admin listener (/metrics, /livez, /readyz, /status, /api/…) and for a mod_jk `status` worker
// mounted in the front, which serves the same page and API under its mount.

import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminActions, AdminAuth } from './admin.js';
import { readiness } from './health.js';
import { JkStatus, type JkStatusDeps } from './jkstatus.js';
import { buildStatus, type RuntimeView, type SnapshotSource } from './snapshot.js';
import { renderStatusPage, STATUS_PAGE_CSP, type PageConfig } from './status-page.js';

const MAX_ACTION_BODY = 4096;

/**
 * The admin listener's server. Health probes often send their request and shut down their side at once
 * (`printf … | nc -N`): they get their answer, where Node's default would end the connection unanswered.
 */
export function createAdminServer(handler: RequestListener): Server {
  const server = createServer(handler);
  (server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  return server;
}
const REFRESH_MS = 5000;
const ACTION_PATH = /^\/lb\/([^/]+)\/member\/([^/]+)\/([a-z]+)$/;

export interface HttpDeps {
  registry: Registry;
  getRuntime(): RuntimeView;
  isDraining(): boolean;
  version: string;
  admin: AdminActions;
  auth: AdminAuth;
  logger: Logger;
  onAction?: JkStatusDeps['onAction'];
  directStats?: JkStatusDeps['directStats'];
}

function send(res: ServerResponse, status: number, type: string, body: string, headers?: Record<string, string>): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers?: Record<string, string>): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Reads a request body up to `limit` bytes (admin requests are small); null beyond it or on error. */
export function readBody(req: IncomingMessage, limit = 65_536): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) parts.push(c);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(parts)));
    req.on('error', () => resolve(null));
  });
}

/** The lbfactor value from ?value=, a JSON body {"value": n} or a form body value=n. */
async function readValue(req: IncomingMessage, query: URLSearchParams): Promise<number | undefined> {
  const q = query.get('value');
  const body = await readBody(req, MAX_ACTION_BODY);
  if (q !== null) return Number(q);
  const text = body === null ? '' : body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const v = (JSON.parse(text) as { value?: unknown }).value;
    return v === undefined ? undefined : Number(v);
  } catch {
    const f = new URLSearchParams(text).get('value');
    return f === null ? undefined : Number(f);
  }
}

export class ObserveHttp {
  private readonly snapshotSource: SnapshotSource;
  private readonly jk: JkStatus;

  constructor(private readonly d: HttpDeps) {
    this.jk = new JkStatus({ getRuntime: d.getRuntime, version: d.version, admin: d.admin, auth: d.auth, logger: d.logger, onAction: d.onAction, directStats: d.directStats });
    this.snapshotSource = {
      getRuntime: d.getRuntime, isDraining: d.isDraining, version: d.version, override: d.admin.override,
    };
  }

  /** For http.createServer on the admin listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/')) {
      this.api(req, res, path.slice(4), url.searchParams, false);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/metrics':
        void this.metrics(res);
        return;
      case '/livez':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const r = readiness(this.d.getRuntime, this.d.isDraining);
        sendJson(res, r.ready ? 200 : 503, r);
        return;
      }
      case '/':
        send(res, 302, 'text/plain; charset=utf-8', 'see /status\n', { Location: '/status' });
        return;
      case '/status':
        this.page(res, { statusUrl: '/api/status', actionMode: 'path', actionBase: '/api' }, false);
        return;
      default:
        sendJson(res, 404, { error: 'not found', endpoints: ['/metrics', '/livez', '/readyz', '/status', '/api/status'] });
    }
  };

  /**
   * A `status` worker reached through the front. Its mount may be one exact path (JkMount /jkstatus status),
   * so the page talks to the same URL with query parameters: ?mime=json for the data, POST ?cmd=action&… for
   * actions. /api/… under the mount works too when the mount pattern lets it through. mod_jk's own scripting
   * parameters are answered as mod_jk would (jkstatus.ts).
   */
  statusWorker(req: IncomingMessage, res: ServerResponse, readOnly: boolean): void {
    const url = new URL(req.url ?? '/', 'http://front.invalid');
    const path = url.pathname;
    const q = url.searchParams;
    const api = path.indexOf('/api/');
    if (api >= 0) {
      this.api(req, res, path.slice(api + 4), q, readOnly);
      return;
    }
    const method = req.method ?? 'GET';
    if (method === 'POST' && q.get('cmd') === 'action') {
      void this.action(req, res, q.get('lb') ?? '', q.get('member') ?? '', q.get('action') ?? '', q, readOnly);
      return;
    }
    // mod_jk's own parameters (cmd=list|show|update…, mime=txt|prop|xml), as operators' scripts send them.
    if ((method === 'GET' || method === 'HEAD' || method === 'POST') && this.jk.handle(req, res, q, readOnly)) return;
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD, POST' });
      return;
    }
    if (q.get('mime') === 'json' || (req.headers.accept ?? '').startsWith('application/json')) {
      this.sendStatusJson(res, readOnly);
      return;
    }
    const self = path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path;
    this.page(res, { statusUrl: `${self}?mime=json`, actionMode: 'query', actionBase: self }, readOnly);
  }

  private api(req: IncomingMessage, res: ServerResponse, sub: string, q: URLSearchParams, readOnly: boolean): void {
    const method = req.method ?? 'GET';
    if (sub === '/status') {
      if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      return this.sendStatusJson(res, readOnly);
    }
    const m = ACTION_PATH.exec(sub);
    if (m === null) return sendJson(res, 404, { error: 'not found' });
    if (method !== 'POST') return sendJson(res, 405, { error: 'actions are POST requests' }, { Allow: 'POST' });
    const lb = decode(m[1]!);
    const member = decode(m[2]!);
    if (lb === null || member === null) return sendJson(res, 400, { error: 'bad escape in the path' });
    void this.action(req, res, lb, member, m[3]!, q, readOnly);
  }

  private async action(req: IncomingMessage, res: ServerResponse, lb: string, member: string, action: string, q: URLSearchParams, readOnly: boolean): Promise<void> {
    const auth = this.d.auth.check(req, readOnly);
    if (!auth.ok) {
      req.resume();
      const headers: Record<string, string> = auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="ajplb"' } : {};
      return sendJson(res, auth.status, { error: auth.error }, headers);
    }
    if (!this.d.admin.isAction(action)) {
      req.resume();
      return sendJson(res, 404, { error: `unknown action ${action}` });
    }
    const value = action === 'lbfactor' ? await readValue(req, q) : (req.resume(), undefined);
    const r = this.d.admin.run(lb, member, action, value);
    if (r.status === 200) this.d.logger.info({ lb, member, action, value, remote: req.socket.remoteAddress }, 'status page action');
    sendJson(res, r.status, r.body);
  }

  private sendStatusJson(res: ServerResponse, readOnly: boolean): void {
    let doc: unknown;
    try {
      doc = this.statusJson(readOnly);
    } catch {
      return sendJson(res, 503, { error: 'starting' });
    }
    sendJson(res, 200, doc);
  }

  private statusJson(readOnly: boolean): unknown {
    return {
      ...buildStatus(this.snapshotSource),
      actions: { enabled: this.actionsEnabled(readOnly), reason: this.readOnlyReason(readOnly) },
      overrides: this.d.admin.list(),
    };
  }

  private actionsEnabled(readOnly: boolean): boolean {
    return !readOnly && this.d.auth.enabled;
  }

  private readOnlyReason(readOnly: boolean): string {
    if (readOnly) return 'this status worker has read_only set';
    return this.d.auth.enabled ? '' : 'no admin token configured (start ajplb with --admin-token)';
  }

  private page(res: ServerResponse, urls: Pick<PageConfig, 'statusUrl' | 'actionMode' | 'actionBase'>, readOnly: boolean): void {
    let initial: unknown;
    try {
      initial = this.statusJson(readOnly);
    } catch {
      return sendJson(res, 503, { error: 'starting' });
    }
    const cfg: PageConfig = {
      ...urls,
      actionsEnabled: this.actionsEnabled(readOnly),
      readOnlyReason: this.readOnlyReason(readOnly),
      refreshMs: REFRESH_MS,
      version: this.d.version,
    };
    send(res, 200, 'text/html; charset=utf-8', renderStatusPage(cfg, initial), {
      'Content-Security-Policy': STATUS_PAGE_CSP, 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer',
    });
  }

  private async metrics(res: ServerResponse): Promise<void> {
    try {
      const text = await this.d.registry.metrics();
      send(res, 200, this.d.registry.contentType, text);
    } catch (err) {
      this.d.logger.error({ err }, 'metrics scrape failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'scrape failed\n');
    }
  }
}
