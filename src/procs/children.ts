// The two kinds of --procs worker behind one face for the Fleet: a process forked by node:cluster (Node 20,
// or ports the kernel cannot spread) or a worker thread with its own SO_REUSEPORT listener (Node >= 22.12),
// which shares the lb state with its siblings instead of relaying it.

import cluster from 'node:cluster';
import { Worker } from 'node:worker_threads';
import type { SharedBalancers } from '../front/targets.js';
import type { ThreadStart } from './parent.js';
import type { ToWorker } from './messages.js';
import type { ProcsMode } from './port-sharing.js';

export interface Child {
  /** The process id; a thread also has its thread id (the pid is then the primary's). */
  readonly pid: number;
  readonly thread: number | undefined;
  send(m: ToWorker): void;
  onMessage(handler: (m: unknown) => void): void;
  onExit(handler: (code: number | null, signal: string | null) => void): void;
  /** Drain and exit (SIGTERM to a process, a 'stop' message to a thread). */
  stop(): void;
  /** Now, without draining. */
  kill(): void;
  readonly dead: boolean;
}

class ProcessChild implements Child {
  readonly thread = undefined;
  readonly pid: number;
  private readonly worker: ReturnType<typeof cluster.fork>;

  constructor(index: number) {
    this.worker = cluster.fork({ AJPLB_PROC_INDEX: String(index) });
    this.pid = this.worker.process.pid ?? 0;
  }

  send(m: ToWorker): void {
    if (this.worker.isConnected()) this.worker.send(m);
  }
  onMessage(handler: (m: unknown) => void): void {
    this.worker.on('message', handler);
  }
  onExit(handler: (code: number | null, signal: string | null) => void): void {
    this.worker.once('exit', handler);
  }
  stop(): void {
    if (!this.worker.isDead()) this.worker.process.kill('SIGTERM');
  }
  kill(): void {
    if (!this.worker.isDead()) this.worker.process.kill('SIGKILL');
  }
  get dead(): boolean {
    return this.worker.isDead();
  }
}

class ThreadChild implements Child {
  readonly pid = process.pid;
  readonly thread: number;
  private readonly worker: Worker;
  private exited = false;

  constructor(index: number, shared: SharedBalancers) {
    const data: ThreadStart = { ajplbProcs: 'thread', index, shared };
    // The same command line as the primary's: the thread parses it and finds itself a worker (parent.ts).
    this.worker = new Worker(process.argv[1] as string, { argv: process.argv.slice(2), workerData: data });
    this.thread = this.worker.threadId;
    this.worker.once('exit', () => (this.exited = true));
    // An uncaught error ends the thread ('exit' follows); the Fleet logs the exit and starts another.
    this.worker.on('error', (err) => process.stderr.write(`ajplb worker thread ${this.thread}: ${err.stack ?? String(err)}\n`));
  }

  send(m: ToWorker): void {
    if (!this.exited) this.worker.postMessage(m);
  }
  onMessage(handler: (m: unknown) => void): void {
    this.worker.on('message', handler);
  }
  onExit(handler: (code: number | null, signal: string | null) => void): void {
    this.worker.once('exit', (code) => handler(code, null));
  }
  stop(): void {
    this.send({ ajplb: 'stop' });
  }
  kill(): void {
    if (!this.exited) void this.worker.terminate();
  }
  get dead(): boolean {
    return this.exited;
  }
}

export function startChild(mode: ProcsMode, index: number, shared: () => SharedBalancers): Child {
  return mode === 'threads' ? new ThreadChild(index, shared()) : new ProcessChild(index);
}
