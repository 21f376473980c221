// One HTTP request forwarded to a worker: an lb's member chosen by the balancer (with failover while nothing
// of the response has reached the client), or a plain ajp13 worker. This object is the exchange's sink, so a
// request costs one of these and no closures.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamBodySource, type BodySource } from '../ajp/body.js';
import type { ExchangeProgress, ExchangeSink } from '../ajp/connection.js';
import type { AjpError } from '../ajp/errors.js';
import { WorkerExchange } from '../ajp/exchange.js';
import { LbRequest, sessionIdsFrom, type AttemptProgress, type Outcome, type PickRequest } from '../balancer/index.js';
import type { MountExtensions } from '../config/types.js';
import { buildForwardRequest, type ClientRequestShape } from './request-map.js';
import { sendError } from './errors.js';
import type { AjpTarget, LbTarget } from './targets.js';

/** Told once per finished request (metrics, access log), and of every failed attempt (failovers included). */
export interface ForwardObserver {
  onForwardDone(f: Forwarding): void;
  onAttemptFailed?(f: Forwarding, worker: AjpTarget, outcome: Outcome): void;
  /** A member's Tomcat sets session ids whose route no member has (once per member); `fix` says what to change. */
  onRouteMismatch?(lb: LbTarget, member: number, fix: string): void;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'PROPFIND']);
const kForwarding = Symbol('ajplb.forwarding');

export class Forwarding implements ExchangeSink {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly shape: ClientRequestShape;
  readonly lb: LbTarget | null;
  /** The worker of the current (finally: last) attempt. */
  worker: AjpTarget | null;
  readonly startedAt: number;
  upstreamStartedAt = 0;
  upstreamMs = 0;
  status = 0;
  bytesOut = 0;
  attempts = 0;
  route = '';
  outcome: Outcome | 'no_member' = 'ok';
  errorCode: string | undefined;
  /** The client went away before the response was complete. */
  clientAborted = false;
  private readonly body: StreamBodySource | null;
  private readonly lbRequest: LbRequest | null;
  private readonly pickRequest: PickRequest | null;
  private readonly exchange: WorkerExchange | null;
  private currentExchange: WorkerExchange | null = null;
  private readonly observer: ForwardObserver;
  private held: { status: number; outcome: Outcome } | null = null;
  private finished = false;
  private corked = false;
  /** Content-Length Tomcat declared, or -1. */
  private contentLength = -1;

  constructor(
    req: IncomingMessage, res: ServerResponse, shape: ClientRequestShape, target: LbTarget | AjpTarget,
    ext: MountExtensions, observer: ForwardObserver, maxBodyBytes = 0,
  ) {
    this.req = req;
    this.res = res;
    this.shape = shape;
    this.observer = observer;
    this.startedAt = performance.now();
    this.body = shape.bodyMode === 'none' ? null : new StreamBodySource(req, maxBodyBytes);
    (res as unknown as Record<symbol, Forwarding>)[kForwarding] = this;
    res.on('drain', onResponseDrain);
    res.on('close', onResponseClose);
    if (target.kind === 'lb') {
      this.lb = target;
      this.worker = null;
      const cfg = target.config;
      const stickyIgnore = ext.stickyIgnore === true || !cfg.stickySession;
      this.pickRequest = {
        sessionIds: stickyIgnore ? null : sessionIdsFrom(shape.uri, req.headers.cookie, ext.sessionPath ?? cfg.sessionPath, ext.sessionCookie ?? cfg.sessionCookie),
        stateless: ext.stateless === true,
        stickyIgnore,
        activations: null,
      };
      this.lbRequest = new LbRequest(target.balancer, this.pickRequest);
      this.exchange = null;
    } else {
      this.lb = null;
      this.worker = target;
      this.pickRequest = null;
      this.lbRequest = null;
      this.exchange = new WorkerExchange(target.pool, target.config);
    }
  }

  start(): void {
    if (this.lbRequest === null) {
      this.attempt(this.worker as AjpTarget, this.exchange as WorkerExchange, '');
      return;
    }
    this.step();
  }

  /** Advances the lb state machine until an attempt is running or the request is answered. */
  private step(): void {
    const r = this.lbRequest as LbRequest;
    const lb = this.lb as LbTarget;
    for (;;) {
      const step = r.next();
      if (step === 'try') {
        const member = lb.members[r.member] as AjpTarget;
        if (member.pool.busy >= member.pool.options.size && member.pool.options.acquireTimeoutMs <= 0) {
          r.noSlot();
          continue;
        }
        if (!r.begin()) continue;
        this.attempt(member, new WorkerExchange(member.pool, member.config), r.route);
        return;
      }
      if (step === 'wait') {
        setTimeout(resumeStep, r.waitMs, this);
        return;
      }
      this.fail(r.status || 503, r.lastOutcome ?? 'no_member');
      return;
    }
  }

  /** Re-entered from a timer after retry_interval. */
  continueAfterWait(): void {
    if (!this.finished) this.step();
  }

  private attempt(worker: AjpTarget, exchange: WorkerExchange, route: string): void {
    this.worker = worker;
    this.route = route;
    this.attempts++;
    this.currentExchange = exchange;
    this.upstreamStartedAt = performance.now();
    const secret = worker.config.secret ?? this.lb?.config.secret;
    const fr = buildForwardRequest(this.req, { shape: this.shape, route, secret, activation: activationText(worker) });
    exchange.start(fr, this.body, this);
  }

  // ExchangeSink

  onHeaders(status: number, reason: string, headers: string[]): void {
    const worker = this.worker as AjpTarget;
    if (worker.failHard.has(status) || worker.failSoft.has(status)) {
      // mod_jk drops such a response and treats the member as failed (+code) or just moves on (-code).
      this.held = { status, outcome: worker.failHard.has(status) ? 'status_fail' : 'status_failover' };
      this.currentExchange?.abort();
      this.attemptFailed(this.held.outcome, true, false, 'AJP_STATUS');
      return;
    }
    if (this.lb !== null) this.watchSessions(headers);
    // Tomcat keeps the Content-Length of a body it then drops; a client would wait for those bytes. httpd strips it,
    // and the Content-Type of a body that is not there, from both.
    if (status === 204 || status === 304) headers = withoutBodyHeaders(headers);
    this.contentLength = declaredLength(headers);
    this.cork();
    try {
      this.res.writeHead(status, reason, headers);
    } catch {
      // Node refuses header bytes HTTP does not allow; passing them on would be worse than a 502.
      this.currentExchange?.abort();
      this.attemptFailed('protocol_error', true, false, 'AJP_BAD_HEADER');
      return;
    }
    this.status = status;
  }

  onBody(data: Buffer): boolean {
    this.bytesOut += data.length;
    this.cork();
    return this.res.write(data);
  }

  /** Headers, body and end from one backend read go to the client in one write. */
  private cork(): void {
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
    }
  }

  onBatchEnd(): void {
    if (this.corked) {
      this.corked = false;
      this.res.uncork();
    }
  }

  /** Nothing is left queued in Node for the client: every body byte handed over is in the kernel. */
  chunksReleased(): boolean {
    return this.res.writableLength === 0;
  }

  onFlush(): void {
    if (!this.res.headersSent) this.res.flushHeaders();
  }

  onComplete(): void {
    this.upstreamMs = performance.now() - this.upstreamStartedAt;
    this.currentExchange = null;
    this.lbRequest?.end('ok', NO_PROGRESS, this.bytesIn, this.bytesOut);
    this.res.end();
    this.done('ok');
  }

  onError(err: AjpError, progress: ExchangeProgress): void {
    this.upstreamMs = performance.now() - this.upstreamStartedAt;
    this.currentExchange = null;
    if (this.held !== null) return;
    this.attemptFailed(outcomeOf(err, progress), progress.sent, progress.headersDelivered, err.code, progress.bodyConsumed);
  }

  /** Request body bytes read from the client so far. */
  get bytesIn(): number {
    return this.body === null ? 0 : this.body.bytesRead;
  }

  private attemptFailed(outcome: Outcome, sent: boolean, headersSent: boolean, code: string, bodyConsumed = false): void {
    this.errorCode = code;
    this.observer.onAttemptFailed?.(this, this.worker as AjpTarget, outcome);
    const method = this.req.method ?? 'GET';
    // Safer than mod_jk's default: a request that may have changed state in Tomcat is not sent again.
    const replayable = !bodyConsumed && (this.body === null || this.body.rewind())
      && (!sent || IDEMPOTENT.has(method) || (this.worker as AjpTarget).config.recoveryOptions !== 0 || outcome.startsWith('status_'));
    if (this.lbRequest !== null) {
      const progress: AttemptProgress = { sent, headersSent, method, bodyReplayable: replayable };
      this.lbRequest.end(outcome, progress, this.bytesIn, this.bytesOut);
      this.held = null;
      if (headersSent) {
        this.abortClient(outcome);
        return;
      }
      this.step();
      return;
    }
    if (headersSent) {
      this.abortClient(outcome);
      return;
    }
    this.fail(this.body?.tooLarge ? 413 : statusFor(outcome), outcome);
  }

  private fail(status: number, outcome: Outcome | 'no_member'): void {
    if (this.body?.tooLarge) status = 413;
    this.status = status;
    sendError(this.res, status);
    this.done(outcome);
  }

  /** Headers are out: the only honest signal left is to cut the response short. */
  private abortClient(outcome: Outcome): void {
    if (this.contentLength >= 0 && this.bytesOut === this.contentLength) {
      // The client already has every byte it was promised (Tomcat died before its END_RESPONSE): finish the
      // response normally rather than break a connection the client may reuse.
      this.res.end();
    } else {
      this.res.destroy();
    }
    this.done(outcome);
  }

  private done(outcome: Outcome | 'no_member'): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome = outcome;
    this.observer.onForwardDone(this);
  }

  /** The client went away before the response was complete. */
  clientClosed(): void {
    if (this.finished) return;
    const ex = this.currentExchange;
    this.currentExchange = null;
    ex?.abort();
    if (ex !== null) this.lbRequest?.end('client_error', NO_PROGRESS, this.bytesIn, this.bytesOut);
    this.clientAborted = true;
    this.done('client_error');
  }

  drained(): void {
    this.currentExchange?.resume();
  }

  private watchSessions(headers: string[]): void {
    const lb = this.lb as LbTarget;
    const cookie = lb.config.sessionCookie;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length !== 10 || name.toLowerCase() !== 'set-cookie') continue;
      const value = headers[i + 1] as string;
      if (!value.startsWith(cookie) || value.charCodeAt(cookie.length) !== 61 /* = */) continue;
      const end = value.indexOf(';');
      const id = value.slice(cookie.length + 1, end < 0 ? undefined : end);
      const member = (this.lbRequest as LbRequest).member;
      const fix = lb.balancer.observeResponseSession(member, id);
      if (fix !== null) this.observer.onRouteMismatch?.(lb, member, fix);
    }
  }
}

const NO_PROGRESS: AttemptProgress = { sent: true, headersSent: true, method: 'GET', bodyReplayable: false };

function declaredLength(headers: string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      const n = Number(headers[i + 1]);
      return Number.isInteger(n) && n >= 0 ? n : -1;
    }
  }
  return -1;
}

function withoutBodyHeaders(headers: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'content-type') {
      out.push(headers[i] as string, headers[i + 1] as string);
    }
  }
  return out;
}

function resumeStep(f: Forwarding): void {
  f.continueAfterWait();
}

function onResponseDrain(this: ServerResponse): void {
  (this as unknown as Record<symbol, Forwarding>)[kForwarding]?.drained();
}

function onResponseClose(this: ServerResponse): void {
  if (!this.writableFinished) (this as unknown as Record<symbol, Forwarding>)[kForwarding]?.clientClosed();
}

function activationText(worker: AjpTarget): string {
  const a = worker.config.activation;
  return a === 'disabled' ? 'DIS' : a === 'stopped' ? 'STP' : 'ACT';
}

export function outcomeOf(err: AjpError, progress: ExchangeProgress): Outcome {
  switch (err.code) {
    case 'AJP_CONNECT':
    case 'AJP_PING':
      return 'connect_error';
    case 'AJP_SEND':
      return 'send_error';
    case 'AJP_CLOSED':
      return progress.sent ? 'recv_error' : 'send_error';
    case 'AJP_REPLY_TIMEOUT':
    case 'AJP_SOCKET_TIMEOUT':
      return 'reply_timeout';
    case 'AJP_PROTOCOL':
    case 'AJP_SECRET':
      return 'protocol_error';
    case 'AJP_ACQUIRE_TIMEOUT':
      return 'busy';
    case 'AJP_REQUEST_TOO_LARGE':
    case 'AJP_CLIENT':
      return 'client_error';
  }
}

function statusFor(outcome: Outcome): number {
  switch (outcome) {
    case 'client_error': return 400;
    case 'reply_timeout': return 504;
    case 'recv_error': case 'protocol_error': return 502;
    default: return 503;
  }
}
