// The public admin listener of a --procs primary. /metrics adds up every worker's registry; /api/status merges
// every worker's document; an action is taken by one worker (which checks the token) and then repeated in the
// others; everything else (the status page, /livez, /readyz) is one worker's answer, passed through.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { StatusDoc } from '../observe/index.js';
import type { Fleet, Slot } from './fleet.js';
import { actionOfRequest } from './actions.js';
import { readBody } from '../observe/http.js';
import { loopbackRequest, type LoopbackResponse } from './loopback.js';
import { mergeStatus } from './status-merge.js';

/**
 * How families combine across workers where summing would be wrong: the same shared fact seen by each worker
 * (states, settings, build info) is not N times true. Everything else (requests, bytes, busy, connections) sums.
 */
const AGGREGATOR: Record<string, 'max' | 'min'> = {
  ajplb_build_info: 'max',
  ajplb_draining: 'max',
  ajplb_member_up: 'max',
  ajplb_member_lbfactor: 'max',
  ajplb_member_state: 'max',
  ajplb_member_activation: 'max',
  ajplb_member_route_mismatch: 'max',
  ajplb_lb_members: 'max',
  ajplb_lb_usable_members: 'max',
  // Every worker reloads (or is told of a refused reload) together: one reload, not N.
  ajplb_config_reloads_total: 'max',
  ajplb_config_last_reload_success_timestamp_seconds: 'max',
  ajplb_config_last_reload_success: 'min',
};

/**
 * Families read from the balancer's lb state. Threads share that state, so each thread reports the same
 * numbers: only the first thread's rows count, except a direct worker's (lb=""), which each thread has its own.
 */
const FROM_LB_STATE = new Set([
  'ajplb_member_lb_value', 'ajplb_member_busy', 'ajplb_member_max_busy', 'ajplb_member_elected_total',
  'ajplb_member_attempt_errors_total', 'ajplb_member_client_errors_total', 'ajplb_member_reply_timeouts_total',
  'ajplb_member_request_bytes_total', 'ajplb_member_response_bytes_total', 'ajplb_lb_busy', 'ajplb_lb_max_busy',
]);

interface MetricJson {
  name: string;
  aggregator?: string;
  values?: Array<{ labels?: Record<string, unknown> }>;
}

/** Threads: drop the lb-state rows every thread but the first reports, so summing counts them once. */
function dropSharedRepeats(perWorker: MetricJson[][]): void {
  for (const list of perWorker.slice(1)) {
    for (const m of list) {
      if (FROM_LB_STATE.has(m.name) && m.values !== undefined) m.values = m.values.filter((v) => v.labels?.['lb'] === '');
    }
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
  res.end(body);
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function passThrough(res: ServerResponse, r: LoopbackResponse): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers['content-length'] = String(r.body.length);
  res.writeHead(r.status, headers);
  res.end(r.body);
}

export class PrimaryAdmin {
  private readonly own = new Registry();

  constructor(
    private readonly fleet: Fleet,
    private readonly log: Logger,
    private readonly isDraining: () => boolean,
  ) {
    const f = fleet;
    new Gauge({ name: 'ajplb_procs_workers', help: 'Serving processes or threads (--procs) listening now.', registers: [this.own], collect() { this.set(f.ready().length); } });
    new Counter({ name: 'ajplb_procs_worker_restarts_total', help: 'Serving processes or threads that died and were started again.', registers: [this.own], collect() { this.reset(); this.inc(f.restarts); } });
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.route(req, res).catch((err: unknown) => {
      this.log.error({ err }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 502, { error: 'no answer from the serving processes' });
      else res.destroy();
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://admin.invalid').pathname;
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    if (path === '/readyz' && this.isDraining()) return sendJson(res, 503, { ready: false, draining: true });
    if (get && path === '/metrics') return this.metrics(res);
    if (get && path === '/api/status') return this.status(res);
    const slot = this.fleet.ready()[0];
    if (slot === undefined) {
      req.resume();
      return sendJson(res, 503, { error: 'no serving process is ready' });
    }
    const body = get ? undefined : await readBody(req);
    if (body === null) return sendJson(res, 413, { error: 'request body too large' });
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'accept'] as const) if (req.headers[h] !== undefined) headers[h] = String(req.headers[h]);
    const r = await loopbackRequest(slot.adminPort, method, req.url ?? '/', headers, body);
    passThrough(res, r);
    if (method === 'POST' && r.status === 200) await this.repeatAction(req.url ?? '/', r, slot);
  }

  /** One worker took the action (and checked the token): now every other one. */
  private async repeatAction(url: string, r: LoopbackResponse, from: Slot): Promise<void> {
    const a = actionOfRequest(url);
    if (a === null) return;
    let lbfactor: number | undefined;
    try {
      lbfactor = (JSON.parse(r.body.toString('utf8')) as { lbfactor?: number }).lbfactor;
    } catch {
      // not JSON: no value to pass on
    }
    await this.fleet.broadcastAction(a.action === 'lbfactor' ? { ...a, value: lbfactor } : a, from);
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const perWorker = (await this.fleet.metrics()) as MetricJson[][];
    if (this.fleet.mode === 'threads') dropSharedRepeats(perWorker);
    for (const list of perWorker) {
      for (const m of list) {
        const a = AGGREGATOR[m.name];
        if (a !== undefined) m.aggregator = a;
      }
    }
    const merged = Registry.merge([AggregatorRegistry.aggregate(perWorker as Parameters<typeof AggregatorRegistry.aggregate>[0]), this.own]);
    const text = await merged.metrics();
    res.writeHead(200, { 'Content-Type': merged.contentType, 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
    res.end(text);
  }

  private async status(res: ServerResponse): Promise<void> {
    const slots = this.fleet.ready();
    const docs = await Promise.all(slots.map(async (s) => {
      try {
        const r = await loopbackRequest(s.adminPort, 'GET', '/api/status');
        return r.status === 200 ? { pid: s.pid, thread: s.thread, doc: JSON.parse(r.body.toString('utf8')) as StatusDoc & Record<string, unknown> } : null;
      } catch {
        return null;
      }
    }));
    const ok = docs.filter((d): d is NonNullable<typeof d> => d !== null);
    if (ok.length === 0) return sendJson(res, 503, { error: 'starting' });
    sendJson(res, 200, mergeStatus(ok, this.fleet.mode === 'threads'));
  }
}
