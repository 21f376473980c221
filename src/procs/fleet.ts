// The primary's workers (processes or threads, see children.ts): starting them (and replacing the ones that
// die), the start-up handshake that gives a new worker the member errors and status-page actions the others
// already have, and the message fan-out.

import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { SharedBalancers } from '../front/targets.js';
import { ActionLog, actionPath } from './actions.js';
import { startChild, type Child } from './children.js';
import type { ProcsMode } from './port-sharing.js';
import { loopbackRequest } from './loopback.js';
import { isMessage, type FromWorker, type MemberAction, type MemberEvent, type ToWorker } from './messages.js';

export interface Slot {
  readonly index: number;
  worker: Child;
  pid: number;
  /** Threads only: the thread id (every thread has the primary's pid). */
  thread: number | undefined;
  /** The worker's private admin port, 0 until it told us. */
  adminPort: number;
  ready: boolean;
  forkedAt: number;
}

/** How logs name a worker: its pid, and its thread id when it is a thread. */
function who(slot: Slot): { worker: number; thread?: number } {
  return slot.thread === undefined ? { worker: slot.pid } : { worker: slot.pid, thread: slot.thread };
}

/** A worker that dies this soon after its fork is re-forked after a pause, so a crash loop does not spin. */
const QUICK_DEATH_MS = 2000;
const METRICS_TIMEOUT_MS = 3000;

export class Fleet {
  readonly slots: Slot[] = [];
  restarts = 0;
  addresses: AddressInfo[] = [];
  private stopping = false;
  private readonly actions = new ActionLog();
  /** Latest event per member, so a new worker starts with the members the others hold in ERR. */
  private readonly memberState = new Map<string, MemberEvent>();
  private nextMetricsId = 1;
  private readonly metricsWaiters = new Map<number, (metrics: unknown[]) => void>();
  private startup: { resolve(): void; reject(err: Error): void } | null = null;
  private exitedAll: (() => void) | null = null;

  constructor(
    readonly size: number,
    private readonly log: Logger,
    private readonly adminToken: string | undefined,
    readonly mode: ProcsMode = 'processes',
    /** Threads: the current shared lb state, handed to each thread at its start. */
    private readonly shared: () => SharedBalancers = () => ({}),
  ) {}

  /** Forks every worker; resolves when all listen, rejects when one dies or fails first. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.startup = { resolve, reject };
      for (let i = 0; i < this.size; i++) this.slots.push(this.fork(i));
    });
  }

  ready(): Slot[] {
    return this.slots.filter((s) => s.ready);
  }

  /** Every ready worker's registry.getMetricsAsJSON(); a worker that does not answer in time is left out. */
  async metrics(): Promise<unknown[][]> {
    const asks = this.ready().map((s) => new Promise<unknown[] | null>((resolve) => {
      const id = this.nextMetricsId++;
      const timer = setTimeout(() => {
        this.metricsWaiters.delete(id);
        resolve(null);
      }, METRICS_TIMEOUT_MS);
      this.metricsWaiters.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.send(s, { ajplb: 'metrics-req', id });
    }));
    return (await Promise.all(asks)).filter((m): m is unknown[] => m !== null);
  }

  /** Takes `a` in every worker but the one it came from, and remembers it for workers started later. */
  async broadcastAction(a: MemberAction, except: Slot | undefined): Promise<void> {
    this.actions.record(a);
    await Promise.all(this.ready().filter((s) => s !== except).map((s) => this.applyAction(s, a)));
  }

  sendAll(m: ToWorker): void {
    for (const s of this.slots) this.send(s, m);
  }

  /** SIGTERM to every worker; resolves when all have exited. Dead workers are not replaced any more. */
  stop(): Promise<void> {
    this.stopping = true;
    const done = new Promise<void>((resolve) => (this.exitedAll = resolve));
    for (const s of this.slots) s.worker.stop();
    this.checkAllExited();
    return done;
  }

  /** Last resort after the drain timeout: SIGKILL the workers still running. */
  kill(): void {
    this.stopping = true;
    for (const s of this.slots) s.worker.kill();
  }

  private fork(index: number): Slot {
    const worker = startChild(this.mode, index, this.shared);
    const slot: Slot = { index, worker, pid: worker.pid, thread: worker.thread, adminPort: 0, ready: false, forkedAt: Date.now() };
    worker.onMessage((m: unknown) => {
      if (isMessage<FromWorker>(m)) void this.onMessage(slot, m);
    });
    worker.onExit((code, signal) => this.onExit(slot, worker, code, signal));
    return slot;
  }

  private async onMessage(slot: Slot, m: FromWorker): Promise<void> {
    switch (m.ajplb) {
      case 'admin-port': {
        slot.adminPort = m.port;
        // Before it listens: the members the others hold in ERR, and the status-page actions taken so far.
        const errs = [...this.memberState.values()].filter((e) => e.state === 'err');
        if (errs.length > 0) this.send(slot, { ajplb: 'member-state', events: errs });
        for (const a of this.actions.list()) await this.applyAction(slot, a);
        this.send(slot, { ajplb: 'go' });
        return;
      }
      case 'ready':
        slot.ready = true;
        if (this.addresses.length === 0) this.addresses = m.addresses;
        if (this.startup !== null && this.slots.length === this.size && this.slots.every((s) => s.ready)) {
          this.startup.resolve();
          this.startup = null;
        }
        return;
      case 'failed':
        this.log.error({ ...who(slot), error: m.error }, 'worker failed to start');
        return;
      case 'member-state':
        for (const e of m.events) this.memberState.set(`${e.lb}\0${e.member}`, e);
        for (const s of this.slots) if (s !== slot) this.send(s, m);
        return;
      case 'action':
        await this.broadcastAction(m.action, slot);
        return;
      case 'metrics':
        this.metricsWaiters.get(m.id)?.(m.metrics);
        this.metricsWaiters.delete(m.id);
        return;
      case 'reloaded':
        if (!m.ok) this.log.error({ ...who(slot), error: m.error }, 'worker refused the reload');
        return;
    }
  }

  private async applyAction(slot: Slot, a: MemberAction): Promise<void> {
    if (slot.adminPort === 0 || this.adminToken === undefined) return;
    try {
      const r = await loopbackRequest(slot.adminPort, 'POST', actionPath(a), { authorization: `Bearer ${this.adminToken}` });
      // 409: "recover" on a member this worker does not hold in ERR; nothing to do.
      if (r.status !== 200 && r.status !== 409) this.log.warn({ ...who(slot), ...a, status: r.status }, 'worker refused a status-page action');
    } catch (err) {
      this.log.warn({ ...who(slot), ...a, err }, 'could not pass a status-page action to a worker');
    }
  }

  private onExit(slot: Slot, worker: Child, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.ready = false;
    if (this.stopping) {
      this.checkAllExited();
      return;
    }
    if (this.startup !== null) {
      this.startup.reject(new Error(`worker ${slot.thread === undefined ? slot.pid : `thread ${slot.thread}`} exited during start-up (code ${code}, signal ${signal})`));
      this.startup = null;
      return;
    }
    this.log.error({ ...who(slot), code, signal }, 'worker died; starting another');
    this.restarts++;
    const refork = (): void => {
      if (this.stopping) return;
      const next = this.fork(slot.index);
      this.slots[this.slots.indexOf(slot)] = next;
    };
    if (Date.now() - slot.forkedAt < QUICK_DEATH_MS) setTimeout(refork, QUICK_DEATH_MS).unref();
    else refork();
  }

  private checkAllExited(): void {
    if (this.exitedAll !== null && this.slots.every((s) => s.worker.dead)) this.exitedAll();
  }

  private send(slot: Slot, m: ToWorker): void {
    slot.worker.send(m);
  }
}
