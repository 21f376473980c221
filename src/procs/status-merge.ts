// /api/status over several processes: one document whose counters are the sums over the workers (each counts
// its own requests) and whose states are the worst any worker holds, plus a short per-process view, so an
// operator can see that a member is ERR (or STP) in every process and not just in one.

import type { StatusDoc } from '../observe/index.js';

type Doc = StatusDoc & Record<string, unknown>;
type Lb = StatusDoc['lbs'][number];
type Member = Lb['members'][number];

export interface ProcStatus {
  pid: number;
  /** --procs threads: the thread's id (all threads share the pid). */
  thread?: number;
  /** Per member; `open` is this worker's own AJP connections (a worker that served has some). */
  lbs: Array<{ name: string; members: Array<{ name: string; state: string; activation: string; lbfactor: number; busy: number; electedTotal: number; open: number }> }>;
}

const SUMMED = [
  'busy', 'elected', 'electedTotal', 'sessions', 'sessionsTotal', 'errors', 'errorsTotal', 'clientErrors', 'clientErrorsTotal',
  'replyTimeouts', 'replyTimeoutsTotal', 'bytesIn', 'bytesInTotal', 'bytesOut', 'bytesOutTotal',
] as const satisfies ReadonlyArray<keyof Member>;
const CONNECTIONS = ['open', 'idle', 'inUse', 'max', 'waiting'] as const;
/** Worst first: the merged state is the first of these any process reports. */
const SEVERITY = ['ERR', 'ERR/PRB', 'ERR/REC', 'ERR/FRC', 'OK/BUSY', 'OK', 'OK/IDLE'];
const ACTIVATION_SEVERITY = ['STP', 'DIS', 'ACT'];

function worst(order: readonly string[], a: string, b: string): string {
  const ia = order.indexOf(a);
  const ib = order.indexOf(b);
  return ib >= 0 && (ia < 0 || ib < ia) ? b : a;
}

function addConnections(into: Member['connections'], from: Member['connections'] | undefined): void {
  if (from === undefined) return;
  for (const k of CONNECTIONS) into[k] += from[k];
}

function mergeMember(into: Member, from: Member, shared: boolean): void {
  if (shared) {
    // Threads attach to one lb state: every one reports the same counters; only connections are their own.
    addConnections(into.connections, from.connections);
    return;
  }
  for (const k of SUMMED) into[k] += from[k];
  into.maxBusy = Math.max(into.maxBusy, from.maxBusy);
  into.state = worst(SEVERITY, into.state, from.state);
  into.activation = worst(ACTIVATION_SEVERITY, into.activation, from.activation) as Member['activation'];
  into.lastError = from.lastError !== null && (into.lastError === null || from.lastError.atMs > into.lastError.atMs) ? from.lastError : into.lastError;
  into.routeMismatch ??= from.routeMismatch;
  addConnections(into.connections, from.connections);
}

/** jkstatus health from the merged states (the workers' own counts describe one process each). */
function recount(lb: Lb): void {
  let good = 0;
  let bad = 0;
  let usable = 0;
  for (const m of lb.members) {
    m.usable = m.activation === 'ACT' && m.state !== 'ERR';
    if (m.usable) usable++;
    if (m.activation === 'STP' || m.state === 'ERR') bad++;
    else if (m.activation === 'ACT' && (m.state === 'OK' || m.state === 'OK/IDLE')) good++;
  }
  lb.good = good;
  lb.bad = bad;
  lb.degraded = lb.members.length - good - bad;
  lb.usableMembers = usable;
}

function procView(pid: number, thread: number | undefined, doc: Doc): ProcStatus {
  return {
    pid,
    ...(thread === undefined ? {} : { thread }),
    lbs: doc.lbs.map((lb) => ({
      name: lb.name,
      members: lb.members.map((m) => ({ name: m.name, state: m.state, activation: m.activation, lbfactor: m.lbfactor, busy: m.busy, electedTotal: m.electedTotal, open: m.connections?.open ?? 0 })),
    })),
  };
}

/**
 * `docs` in a stable worker order; the first one gives everything that is not merged. `shared`: the workers
 * are threads over one lb state (--procs threads), so its counters are not added up.
 */
export function mergeStatus(docs: ReadonlyArray<{ pid: number; thread?: number; doc: Doc }>, shared = false): Doc & { procs: ProcStatus[] } {
  const first = docs[0];
  if (first === undefined) throw new Error('no worker status to merge');
  const merged = structuredClone(first.doc);
  for (const { doc } of docs.slice(1)) {
    merged.draining ||= doc.draining;
    for (const lb of merged.lbs) {
      const other = doc.lbs.find((l) => l.name === lb.name);
      if (other === undefined) continue;
      if (!shared) lb.busy += other.busy;
      lb.maxBusy = Math.max(lb.maxBusy, other.maxBusy);
      for (const m of lb.members) {
        const om = other.members.find((x) => x.name === m.name);
        if (om !== undefined) mergeMember(m, om, shared);
      }
    }
    for (const w of merged.workers) addConnections(w.connections, doc.workers.find((x) => x.name === w.name)?.connections);
  }
  for (const lb of merged.lbs) recount(lb);
  return { ...merged, procs: docs.map((d) => procView(d.pid, d.thread, d.doc)) };
}
