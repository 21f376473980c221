// Metrics bumped once per finished request. Their cells (cells.ts) are looked up once per (lb, member) target
// object and kept in WeakMaps, so a request costs a few additions: no label objects, strings or hashing.
// Everything that is state (member state, busy, pool connections…) is read at scrape time: see collect.ts.

import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { CounterCell as C, CounterFamily, HistogramCell as H, HistogramFamily } from './cells.js';
import type { Forwarding } from '../front/forward.js';
import type { AjpTarget, LbTarget } from '../front/targets.js';
import type { VhostLabeler } from './vhost-label.js';

/** OpenTelemetry's advice for http.server.request.duration, plus 30 s and 60 s for slow applications. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

/** Index = status / 100; 'none' when no status reached the client (aborted before headers). */
export const CODE_CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function codeClassIndex(status: number): number {
  const c = (status / 100) | 0;
  return c >= 1 && c <= 5 ? c : 0;
}

/** Forwarding outcomes as the `kind` label of ajplb_member_errors_total. */
export const ERROR_KIND: Readonly<Record<string, string>> = {
  client_error: 'client_abort',
  connect_error: 'connect',
  send_error: 'send',
  recv_error: 'recv',
  protocol_error: 'protocol',
  reply_timeout: 'timeout',
  status_fail: 'status',
  status_failover: 'status',
  busy: 'busy',
  no_member: 'no_member',
};

/** A direct worker's request counts; they only grow (/metrics reads them as counters). */
export interface DirectCounts {
  /** Response bytes written to clients. */
  bytes: number;
  /** Request body bytes read from clients. */
  bytesIn: number;
  used: number;
  errors: number;
  clientErrors: number;
  replyTimeouts: number;
}

/** What jkstatus shows of a worker used without an lb (lb members keep theirs in the balancer). */
export interface DirectWorkerStats extends DirectCounts {
  /** The counts at jkstatus' last reset, which it subtracts; null before any. */
  atReset: DirectCounts | null;
  /** Start, or the last jkstatus reset. */
  sinceMs: number;
}

export function resetDirectStats(d: DirectWorkerStats, nowMs: number): void {
  d.atReset = { bytes: d.bytes, bytesIn: d.bytesIn, used: d.used, errors: d.errors, clientErrors: d.clientErrors, replyTimeouts: d.replyTimeouts };
  d.sinceMs = nowMs;
}

interface MemberChildren {
  requests: Array<C | undefined>;
  errors: Map<string, C>;
  upstream: H;
  failovers: C | undefined;
  /** Counts of a worker used without an lb (lb members have theirs in the balancer). */
  direct: DirectWorkerStats | undefined;
}

interface LbChildren {
  requests: Array<C | undefined>;
  retries: C;
  noMember: C;
}

interface VhostChildren {
  requests: Array<C | undefined>;
  duration: H;
}

/** Stands for "no lb" as the outer key of the children cache. */
const DIRECT: object = {};

export class RequestMetrics {
  readonly httpRequests: CounterFamily;
  readonly httpDuration: HistogramFamily;
  readonly httpRejected: CounterFamily;
  readonly memberRequests: CounterFamily;
  readonly memberErrors: CounterFamily;
  readonly memberUpstream: HistogramFamily;
  readonly memberFailovers: CounterFamily;
  readonly lbRequests: CounterFamily;
  readonly lbRetries: CounterFamily;
  readonly lbNoMember: CounterFamily;
  readonly reloads: Counter<'result'>;
  readonly lastReloadSuccess: Gauge;
  readonly lastReloadTime: Gauge;

  private readonly members = new WeakMap<object, WeakMap<AjpTarget, MemberChildren>>();
  private readonly lbs = new WeakMap<LbTarget, LbChildren>();
  private readonly vhosts = new Map<string, VhostChildren>();
  /** Direct workers' counts by worker name, read by the scrape-time byte counter and jkstatus. */
  readonly directStats = new Map<string, DirectWorkerStats>();

  constructor(registry: Registry, private readonly vhostOf: VhostLabeler) {
    const registers = [registry];
    this.httpRequests = new CounterFamily('ajplb_http_requests_total', 'Client requests answered, by virtual host and status class (none = aborted before a status was sent).', ['vhost', 'code_class'], registry);
    this.httpDuration = new HistogramFamily('ajplb_http_request_duration_seconds', 'Time from request received to response finished (or failed), by virtual host.', ['vhost'], LATENCY_BUCKETS, registry);
    this.httpRejected = new CounterFamily('ajplb_http_rejected_total', 'Requests the front answered itself without forwarding (bad request, no mount, draining…), by status code.', ['code'], registry);
    this.memberRequests = new CounterFamily('ajplb_member_requests_total', 'Requests whose final attempt went to this member, by status class; lb is empty for a worker mounted directly.', ['lb', 'member', 'code_class'], registry);
    this.memberErrors = new CounterFamily('ajplb_member_errors_total', 'Requests that ended in an error on this member, by kind (connect, send, recv, timeout, protocol, status, busy, client_abort).', ['lb', 'member', 'kind'], registry);
    this.memberUpstream = new HistogramFamily('ajplb_member_upstream_duration_seconds', 'AJP round trip of the final attempt: request sent to end of response.', ['lb', 'member'], LATENCY_BUCKETS, registry);
    this.memberFailovers = new CounterFamily('ajplb_member_failovers_total', 'Requests this member answered after an attempt on a member failed.', ['lb', 'member'], registry);
    this.lbRequests = new CounterFamily('ajplb_lb_requests_total', 'Requests routed to this lb worker, by status class.', ['lb', 'code_class'], registry);
    this.lbRetries = new CounterFamily('ajplb_lb_retries_total', 'Attempts beyond the first one (retries and failovers) made by this lb worker.', ['lb'], registry);
    this.lbNoMember = new CounterFamily('ajplb_lb_no_member_total', 'Requests this lb worker could not send to any member.', ['lb'], registry);
    this.reloads = new Counter({ name: 'ajplb_config_reloads_total', help: 'Configuration reloads, by result.', labelNames: ['result'], registers });
    this.lastReloadSuccess = new Gauge({ name: 'ajplb_config_last_reload_success', help: '1 when the last configuration load succeeded, else 0.', registers });
    this.lastReloadTime = new Gauge({ name: 'ajplb_config_last_reload_success_timestamp_seconds', help: 'When the running configuration was loaded (Unix time).', registers });
    this.reloads.labels('success').inc(0);
    this.reloads.labels('failure').inc(0);
    this.lastReloadSuccess.set(1);
    this.lastReloadTime.set(Date.now() / 1000);
  }

  /** The hot path: once per forwarded request. */
  forwardDone(f: Forwarding, durationSec: number, vhost: string): void {
    const cls = codeClassIndex(f.status);
    const v = this.vhostChildren(vhost);
    (v.requests[cls] ??= this.httpRequests.labels(vhost, CODE_CLASSES[cls]!)).inc();
    v.duration.observe(durationSec);
    const lb = f.lb;
    if (lb !== null) {
      const l = this.lbChildren(lb);
      (l.requests[cls] ??= this.lbRequests.labels(lb.name, CODE_CLASSES[cls]!)).inc();
      if (f.attempts > 1) l.retries.inc(f.attempts - 1);
      if (f.outcome === 'no_member') l.noMember.inc();
    }
    const worker = f.worker;
    if (worker === null) return;
    const m = this.memberChildren(lb, worker);
    (m.requests[cls] ??= this.memberRequests.labels(lb?.name ?? '', worker.name, CODE_CLASSES[cls]!)).inc();
    if (f.attempts > 0) m.upstream.observe(f.upstreamMs / 1000);
    if (f.clientAborted) {
      // Failed attempts are counted as they happen (attemptFailed); a client abort never is one.
      this.countError(m, lb, worker, 'client_error');
    } else if (f.outcome === 'ok' && lb !== null && f.attempts > 1) {
      (m.failovers ??= this.memberFailovers.labels(lb.name, worker.name)).inc();
    }
    const d = m.direct;
    if (d !== undefined) {
      d.used += f.attempts;
      d.bytes += f.bytesOut;
      d.bytesIn += f.bytesIn;
    }
  }

  /** Every failed attempt, including those the request recovered from by failing over. */
  attemptFailed(f: Forwarding, worker: AjpTarget, outcome: string): void {
    this.countError(this.memberChildren(f.lb, worker), f.lb, worker, outcome);
  }

  private countError(m: MemberChildren, lb: LbTarget | null, worker: AjpTarget, outcome: string): void {
    const d = m.direct;
    if (d !== undefined) {
      if (outcome === 'client_error') d.clientErrors++;
      else d.errors++;
      if (outcome === 'reply_timeout') d.replyTimeouts++;
    }
    const kind = ERROR_KIND[outcome] ?? outcome;
    let c = m.errors.get(kind);
    if (c === undefined) m.errors.set(kind, (c = this.memberErrors.labels(lb?.name ?? '', worker.name, kind)));
    c.inc();
  }

  rejected(req: IncomingMessage, status: number): void {
    const vhost = this.vhostOf.label(req.headers.host);
    const cls = codeClassIndex(status);
    (this.vhostChildren(vhost).requests[cls] ??= this.httpRequests.labels(vhost, CODE_CLASSES[cls]!)).inc();
    this.httpRejected.labels(String(status)).inc();
  }

  reload(ok: boolean): void {
    this.reloads.labels(ok ? 'success' : 'failure').inc();
    this.lastReloadSuccess.set(ok ? 1 : 0);
    if (ok) this.lastReloadTime.set(Date.now() / 1000);
  }

  private vhostChildren(vhost: string): VhostChildren {
    let v = this.vhosts.get(vhost);
    if (v === undefined) {
      v = { requests: [], duration: this.httpDuration.labels(vhost) };
      this.vhosts.set(vhost, v);
    }
    return v;
  }

  private lbChildren(lb: LbTarget): LbChildren {
    let l = this.lbs.get(lb);
    if (l === undefined) {
      l = { requests: [], retries: this.lbRetries.labels(lb.name), noMember: this.lbNoMember.labels(lb.name) };
      this.lbs.set(lb, l);
    }
    return l;
  }

  private memberChildren(lb: LbTarget | null, worker: AjpTarget): MemberChildren {
    const outer = lb ?? DIRECT;
    let byWorker = this.members.get(outer);
    if (byWorker === undefined) this.members.set(outer, (byWorker = new WeakMap()));
    let m = byWorker.get(worker);
    if (m === undefined) {
      let direct: DirectWorkerStats | undefined;
      if (lb === null) {
        direct = this.directStats.get(worker.name);
        if (direct === undefined) {
          direct = { bytes: 0, bytesIn: 0, used: 0, errors: 0, clientErrors: 0, replyTimeouts: 0, atReset: null, sinceMs: Date.now() };
          this.directStats.set(worker.name, direct);
        }
      }
      m = { requests: [], errors: new Map(), upstream: this.memberUpstream.labels(lb?.name ?? '', worker.name), failovers: undefined, direct };
      byWorker.set(worker, m);
    }
    return m;
  }
}
