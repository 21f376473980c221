// The IPC between the --procs primary and its workers. Every message carries `ajplb` as its kind, so it can
// never be mistaken for Node's own cluster messages.

import type { AddressInfo } from 'node:net';
import type { SharedBalancers } from '../front/targets.js';

/** A member state change one process saw, for the others to adopt (threads share it anyway; processes cannot). */
export interface MemberEvent {
  lb: string;
  member: string;
  /** 'err': went to ERR at atMs. 'ok': answered a request again at atMs after being ERR. */
  state: 'err' | 'ok';
  atMs: number;
}

/** A status-page action taken in one process, to be taken in every process. */
export interface MemberAction {
  lb: string;
  member: string;
  action: string;
  /** lbfactor only. */
  value?: number;
}

export type FromWorker =
  | { ajplb: 'admin-port'; port: number }
  | { ajplb: 'ready'; addresses: AddressInfo[] }
  | { ajplb: 'failed'; error: string }
  | { ajplb: 'member-state'; events: MemberEvent[] }
  | { ajplb: 'action'; action: MemberAction }
  | { ajplb: 'metrics'; id: number; metrics: unknown[] }
  | { ajplb: 'reloaded'; ok: boolean; error?: string };

export type ToWorker =
  /** Replays are done: start listening. */
  | { ajplb: 'go' }
  | { ajplb: 'member-state'; events: MemberEvent[] }
  | { ajplb: 'metrics-req'; id: number }
  /** `shared`: threads only, the lb state for the new configuration (see shared-state.ts). */
  | { ajplb: 'reload'; shared?: SharedBalancers }
  /** Threads only (a thread gets no signals): drain and exit, as SIGTERM does to a process. */
  | { ajplb: 'stop' }
  /** SIGUSR1 reached the primary: reopen the access log file. */
  | { ajplb: 'reopen-logs' }
  /** The primary refused a reload (invalid file): counted in every worker's reload metrics. */
  | { ajplb: 'reload-refused'; error: string };

export function isMessage<T extends { ajplb: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { ajplb?: unknown }).ajplb === 'string';
}
