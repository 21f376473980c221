// A --procs worker's line to its primary, the same for both kinds of worker: a process forked by
// node:cluster (IPC over process.send) or a worker thread (parentPort), which also receives the shared lb
// state from the primary.

import cluster from 'node:cluster';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import type { SharedBalancers } from '../front/targets.js';
import type { FromWorker } from './messages.js';

/** What a serving thread is started with (worker_threads workerData). */
export interface ThreadStart {
  ajplbProcs: 'thread';
  index: number;
  shared: SharedBalancers;
}

function threadStart(): ThreadStart | undefined {
  if (isMainThread) return undefined;
  const d = workerData as Partial<ThreadStart> | null;
  return d?.ajplbProcs === 'thread' ? (d as ThreadStart) : undefined;
}

const start = threadStart();

/** True in a thread started by a --procs primary. */
export const inProcsThread = start !== undefined;

/** True in a worker of a --procs primary, process or thread (it must not print what the primary printed). */
export function isProcsWorker(): boolean {
  return inProcsThread || cluster.isWorker;
}

/** How this worker names itself to the primary and in logs: its pid, plus its thread id in a thread. */
export const workerLabel = inProcsThread ? { pid: process.pid, thread: threadId } : { pid: process.pid };

/** The lb state shared by every thread, as the primary last sent it (undefined in a cluster worker). */
export let sharedBalancers: SharedBalancers | undefined = start?.shared;

export function setSharedBalancers(next: SharedBalancers): void {
  sharedBalancers = next;
}

export function toPrimary(m: FromWorker, then?: () => void): void {
  if (inProcsThread) {
    parentPort?.postMessage(m);
    then?.();
  } else if (process.connected && process.send !== undefined) {
    process.send(m, undefined, undefined, then);
  } else {
    then?.();
  }
}

export function onPrimaryMessage(handler: (m: unknown) => void): void {
  if (inProcsThread) parentPort?.on('message', handler);
  else process.on('message', handler);
}
