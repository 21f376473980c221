// The running daemon: a Runtime (from config), the front listeners, the maintenance tick, reload and drain.
// The CLI and the tests both start ajplb through here, so what the tests prove is what operators run.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Outcome } from './balancer/index.js';
import type { AppConfig } from './config/types.js';
import type { AjpTarget, LbTarget } from './front/targets.js';
import type { Forwarding } from './front/forward.js';
import { sendError } from './front/errors.js';
import { DEFAULT_LIMITS, FrontServer, type FrontHooks, type FrontLimits, type ListenSpec } from './front/server.js';
import { Runtime } from './front/runtime.js';
import { DEFAULT_TUNING, type AjpTuning, type SharedBalancers } from './front/targets.js';

/** What observability plugs in; every method is optional so tests can run bare. */
export interface DaemonObserver {
  onForwardDone?(f: Forwarding): void;
  onAttemptFailed?(f: Forwarding, worker: AjpTarget, outcome: Outcome): void;
  onRouteMismatch?(lb: LbTarget, member: number, fix: string): void;
  onRejected?(req: IncomingMessage, status: number, why: string): void;
  onStatusRequest?(req: IncomingMessage, res: ServerResponse, workerName: string): void;
  onReload?(ok: boolean, error?: unknown): void;
}

export interface DaemonOptions {
  config: AppConfig;
  listen: ListenSpec[];
  limits?: Partial<FrontLimits>;
  observer?: DaemonObserver;
  /** Clock for the balancer; tests inject one. */
  now?: () => number;
  /** --procs threads: the lb state shared by every serving thread, read at start and at each reload. */
  sharedBalancers?: () => SharedBalancers | undefined;
  /** ajplb's own AJP choices (command-line flags); default DEFAULT_TUNING. */
  tuning?: AjpTuning;
}

export class Daemon implements FrontHooks {
  runtime: Runtime;
  readonly front: FrontServer;
  readonly addresses: AddressInfo[] = [];
  private readonly observer: DaemonObserver;
  private readonly now: () => number;
  private readonly shared: () => SharedBalancers | undefined;
  private readonly tuning: AjpTuning;
  private tick: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(opts: DaemonOptions) {
    this.observer = opts.observer ?? {};
    this.now = opts.now ?? Date.now;
    this.shared = opts.sharedBalancers ?? (() => undefined);
    this.tuning = opts.tuning ?? DEFAULT_TUNING;
    this.runtime = Runtime.build(opts.config, undefined, this.now, this.shared(), this.tuning);
    this.front = new FrontServer(this.runtime, this, { ...DEFAULT_LIMITS, ...opts.limits });
  }

  async start(listen: ListenSpec[]): Promise<void> {
    for (const spec of listen) this.addresses.push(await this.front.listen(spec));
    this.scheduleMaintenance();
  }

  /** The maintenance tick runs at worker.maintain, but never less often than every 10 s for pool upkeep. */
  private scheduleMaintenance(): void {
    const sec = this.runtime.config.workers.maintainSec;
    const ms = Math.min(sec > 0 ? sec * 1000 : 10_000, 10_000);
    this.tick = setInterval(() => this.runtime.maintain(this.now()), ms);
    this.tick.unref();
  }

  /** Applies a new, already validated configuration without failing requests in flight. */
  reload(config: AppConfig): void {
    const previous = this.runtime;
    try {
      const next = Runtime.build(config, previous, this.now, this.shared(), this.tuning);
      this.runtime = next;
      this.front.swapRuntime(next);
      previous.retire(next);
      if (this.tick !== null) clearInterval(this.tick);
      this.scheduleMaintenance();
      this.observer.onReload?.(true);
    } catch (err) {
      this.observer.onReload?.(false, err);
      throw err;
    }
  }

  /** Graceful stop: refuse new requests, let running ones finish (bounded), close pools. */
  async stop(drainMs = 10_000): Promise<boolean> {
    if (this.stopping) return true;
    this.stopping = true;
    if (this.tick !== null) clearInterval(this.tick);
    const clean = await this.front.drain(drainMs);
    for (const pool of this.runtime.targets.pools) pool.destroy();
    return clean;
  }

  // FrontHooks

  onForwardDone(f: Forwarding): void {
    this.observer.onForwardDone?.(f);
  }

  onAttemptFailed(f: Forwarding, worker: AjpTarget, outcome: Outcome): void {
    this.observer.onAttemptFailed?.(f, worker, outcome);
  }

  onRejected(req: IncomingMessage, status: number, why: string): void {
    this.observer.onRejected?.(req, status, why);
  }

  onRouteMismatch(lb: LbTarget, member: number, fix: string): void {
    this.observer.onRouteMismatch?.(lb, member, fix);
  }

  onStatusRequest(req: IncomingMessage, res: ServerResponse, workerName: string): void {
    if (this.observer.onStatusRequest) this.observer.onStatusRequest(req, res, workerName);
    else sendError(res, 404);
  }
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const daemon = new Daemon(opts);
  await daemon.start(opts.listen);
  return daemon;
}
