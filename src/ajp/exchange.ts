// One request against one worker: get a connection from its pool, run the exchange, and hide the failures that
// say nothing about the backend's health — a pooled socket that Tomcat had already closed (replaced by another,
// then a fresh one) and a refused connect (retried `retries` times, `retry_interval` apart, as mod_jk does).
// Anything else goes back to the caller, who decides on failover.

import type { BodySource } from './body.js';
import type { AjpConnection, ExchangeProgress, ExchangeSink } from './connection.js';
import type { ForwardRequest } from './encode.js';
import { AjpError } from './errors.js';
import type { AjpPool } from './pool.js';

export interface WorkerRetryPolicy {
  /** Attempts to connect, counting the first (mod_jk worker.retries). */
  retries: number;
  retryIntervalMs: number;
}

const NOT_SENT: ExchangeProgress = Object.freeze({
  sent: false, responded: false, headersDelivered: false, bodyConsumed: false, reused: false,
});

export class WorkerExchange implements ExchangeSink {
  private readonly pool: AjpPool;
  private readonly policy: WorkerRetryPolicy;
  private request: ForwardRequest | null = null;
  private body: BodySource | null = null;
  private sink: ExchangeSink | null = null;
  /** Kept after completion so the batch that completed the exchange can still be closed. */
  private batchSink: ExchangeSink | null = null;
  private conn: AjpConnection | null = null;
  private connectAttempts = 0;
  private staleRetries = 0;
  private aborted = false;

  constructor(pool: AjpPool, policy: WorkerRetryPolicy) {
    this.pool = pool;
    this.policy = policy;
  }

  start(request: ForwardRequest, body: BodySource | null, sink: ExchangeSink): void {
    this.request = request;
    this.body = body;
    this.sink = sink;
    this.batchSink = sink;
    this.connectAttempts = 0;
    this.staleRetries = 0;
    const conn = this.pool.tryAcquire(Date.now());
    if (conn !== null) this.run(conn);
    else this.acquireSlow();
  }

  /** Backpressure released by the client side. */
  resume(): void {
    this.conn?.resumeResponse();
  }

  /** The client is gone: drop the connection (Tomcat may still be writing to it). */
  abort(): void {
    this.aborted = true;
    const conn = this.conn;
    this.conn = null;
    this.sink = null;
    conn?.abort();
  }

  private acquireSlow(): void {
    this.pool.acquire().then(this.onAcquired, this.onAcquireFailed);
  }

  private readonly onAcquired = (conn: AjpConnection): void => {
    if (this.aborted) {
      this.pool.onReusable(conn);
      return;
    }
    this.run(conn);
  };

  private readonly onAcquireFailed = (err: AjpError): void => {
    if (this.aborted) return;
    this.connectAttempts++;
    if (err.code === 'AJP_CONNECT' && this.connectAttempts < this.policy.retries) {
      setTimeout(this.retryAcquire, this.policy.retryIntervalMs);
      return;
    }
    const sink = this.sink;
    this.sink = null;
    sink?.onError(err instanceof AjpError ? err : new AjpError('AJP_CONNECT', String(err)), NOT_SENT);
  };

  private readonly retryAcquire = (): void => {
    if (!this.aborted) this.acquireSlow();
  };

  private run(conn: AjpConnection): void {
    this.conn = conn;
    conn.exchange(this.request as ForwardRequest, this.body, this);
  }

  onHeaders(status: number, reason: string, headers: string[]): void {
    this.sink?.onHeaders(status, reason, headers);
  }

  onBody(data: Buffer): boolean {
    return this.sink === null ? true : this.sink.onBody(data);
  }

  onFlush(): void {
    this.sink?.onFlush();
  }

  onBatchEnd(): void {
    this.batchSink?.onBatchEnd?.();
  }

  chunksReleased(): boolean {
    return this.batchSink?.chunksReleased?.() === true;
  }

  onComplete(): void {
    this.conn = null;
    const sink = this.sink;
    this.sink = null;
    sink?.onComplete();
  }

  onError(err: AjpError, progress: ExchangeProgress): void {
    this.conn = null;
    if (this.aborted) return;
    if (isStale(err, progress, (this.request as ForwardRequest).method) && this.staleRetries <= this.pool.options.size && (this.body === null || this.body.rewind())) {
      // Tomcat closed this idle socket before we used it; the request never reached it, so resend it.
      this.staleRetries++;
      this.acquireSlow();
      return;
    }
    if (err.code === 'AJP_SEND' && !progress.responded && ++this.connectAttempts < this.policy.retries
      && (this.body === null || this.body.rewind())) {
      // The request did not get through (a Tomcat dying as we connected): another attempt, as mod_jk's retries.
      setTimeout(this.retryAcquire, this.policy.retryIntervalMs);
      return;
    }
    const sink = this.sink;
    this.sink = null;
    sink?.onError(err, progress);
  }
}

/**
 * A reused socket that failed with nothing received: almost always closed by Tomcat while idle. A write error
 * proves the request did not get through; a plain close does not (Tomcat may have died while working on it),
 * so that case is replayed only for methods that are safe to repeat.
 */
function isStale(err: AjpError, p: ExchangeProgress, method: string): boolean {
  if (!p.reused || p.responded) return false;
  return err.code === 'AJP_SEND' || (err.code === 'AJP_CLOSED' && IDEMPOTENT.has(method));
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'PROPFIND']);
