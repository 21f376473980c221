// One lb worker's members: thread-local config (names, routes, domains) plus the shared numbers.
// Everything else in src/balancer/ is functions over this object, so there is no per-request closure.

import type { Activation, AjpWorkerConfig, LbWorkerConfig } from '../config/types.js';
import { BalancerError, H64, HDR_I32, I, MEMBER_I32, SharedLbState, U } from './layout.js';
import { read64, store64 } from './u64.js';

/** Member states, in mod_jk's order (jk_lb_worker.h): usable is `state <= FORCE`. */
export const ST = { IDLE: 0, OK: 1, RECOVER: 2, FORCE: 3, BUSY: 4, ERROR: 5, PROBE: 6 } as const;
export const STATE_TEXT = ['OK/IDLE', 'OK', 'ERR/REC', 'ERR/FRC', 'OK/BUSY', 'ERR', 'ERR/PRB'] as const;
export const ACT = { ACTIVE: 0, DISABLED: 1, STOPPED: 2 } as const;
/** In a per-rule activation override array: keep the member's own activation. */
export const ACT_UNSET = -1;
export const ACTIVATION_TEXT = ['ACT', 'DIS', 'STP'] as const;
export const METHOD = { R: 0, T: 1, B: 2, S: 3, N: 4 } as const;

export function activationCode(a: Activation): number {
  return a === 'disabled' ? ACT.DISABLED : a === 'stopped' ? ACT.STOPPED : ACT.ACTIVE;
}

export interface BalancerOptions {
  /** worker.maintain in seconds; <= 0 turns maintenance off, as in mod_jk. */
  maintainSec: number;
  /** Milliseconds since the epoch (must be > 0). Defaults to Date.now. */
  now?: () => number;
  /** Shared state to attach to (or to initialise when still zeroed); one is allocated when absent. */
  shared?: SharedArrayBuffer;
  byteOffset?: number;
  /** mod_jk's ajp_has_endpoint: may a BUSY member leave BUSY (a pool slot is free)? Default: yes. */
  hasFreeSlot?: (member: number) => boolean;
}

/** Retry policy as data, for the forwarder that does the waiting (mod_jk lb service loop). */
export interface RetryPolicy {
  /** lb `retries`: passes over the members. */
  passes: number;
  /** min(lb_retries, members): members tried per pass. */
  membersPerPass: number;
  /** lb `retry_interval`: ms to wait between passes. */
  intervalMs: number;
}

function gcd(a: number, b: number): number {
  while (b > 0) [a, b] = [b, a % b];
  return a;
}

export class LbCore {
  readonly name: string;
  readonly n: number;
  readonly names: readonly string[];
  readonly routes: readonly string[];
  readonly domains: readonly string[];
  readonly redirects: readonly string[];
  readonly busyLimits: Int32Array;
  readonly recoveryOptions: Int32Array;
  readonly method: number;
  readonly stickySession: boolean;
  readonly stickySessionForce: boolean;
  readonly recoverTimeSec: number;
  readonly errorEscalationTimeSec: number;
  readonly maxReplyTimeouts: number;
  readonly maintainSec: number;
  readonly retry: RetryPolicy;
  readonly shm: SharedLbState;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly now: () => number;
  readonly hasFreeSlot: ((member: number) => boolean) | undefined;
  /** Per-process rotating start of the scan, so ties go round-robin (mod_jk next_offset). */
  nextOffset = 0;
  /** Scratch for forceRecovery: 1 where this call moved the member ERR -> FRC. */
  readonly forced: Uint8Array;

  constructor(lb: LbWorkerConfig, members: readonly AjpWorkerConfig[], opts: BalancerOptions) {
    if (members.length === 0) throw new BalancerError('ERR_LB_NO_MEMBERS', `lb ${lb.name} has no members`);
    this.name = lb.name;
    this.n = members.length;
    this.names = members.map((m) => m.name);
    this.routes = members.map((m) => m.route || m.name);
    // mod_jk validate(): a route with a '.' gives the domain when none is set.
    this.domains = members.map((m, i) => {
      if (m.domain) return m.domain;
      const r = this.routes[i]!;
      const dot = r.indexOf('.');
      return dot > 0 ? r.slice(0, dot) : '';
    });
    this.redirects = members.map((m) => m.redirect);
    for (let i = 0; i < this.n; i++) {
      for (let j = 0; j < i; j++) {
        if (this.routes[i] === this.routes[j]) {
          throw new BalancerError(
            'ERR_LB_DUPLICATE_ROUTE',
            `lb ${lb.name}: members ${this.names[j]} and ${this.names[i]} share the route ${this.routes[i]}`,
          );
        }
      }
    }
    this.busyLimits = Int32Array.from(members, (m) => m.busyLimit);
    this.recoveryOptions = Int32Array.from(members, (m) => m.recoveryOptions);
    this.method = METHOD[lb.method];
    this.stickySession = lb.stickySession;
    this.stickySessionForce = lb.stickySessionForce;
    this.recoverTimeSec = Math.max(1, lb.recoverTimeSec);
    this.errorEscalationTimeSec = lb.errorEscalationTimeSec;
    this.maxReplyTimeouts = lb.maxReplyTimeouts;
    this.maintainSec = opts.maintainSec;
    this.retry = Object.freeze({
      passes: Math.max(1, lb.retries),
      membersPerPass: Math.max(1, Math.min(lb.lbRetries, this.n)),
      intervalMs: Math.max(0, lb.retryIntervalMs),
    });
    this.now = opts.now ?? Date.now;
    this.hasFreeSlot = opts.hasFreeSlot;
    this.forced = new Uint8Array(this.n);
    this.shm = new SharedLbState(this.n, opts.shared, opts.byteOffset ?? 0);
    this.i32 = this.shm.i32;
    this.u32 = this.shm.u32;
    if (this.shm.created) {
      const now = this.now();
      for (let i = 0; i < this.n; i++) {
        const m = members[i]!;
        this.setI(i, I.state, ST.IDLE);
        // mod_jk stops a member whose port is 0.
        this.setI(i, I.activation, m.port === 0 ? ACT.STOPPED : activationCode(m.activation));
        this.setI(i, I.lbfactor, Math.max(1, m.lbfactor));
        this.setI(i, I.distance, m.distance);
        store64(this.u32, this.shm.mu(i, U.lastResetMs), now);
      }
      store64(this.u32, H64.lastMaintainMs * 2, now);
      store64(this.u32, H64.lastResetMs * 2, now);
      this.updateMult();
      this.shm.publish();
    }
  }

  getI(m: number, field: number): number {
    return Atomics.load(this.i32, HDR_I32 + m * MEMBER_I32 + field);
  }

  setI(m: number, field: number, v: number): void {
    Atomics.store(this.i32, HDR_I32 + m * MEMBER_I32 + field, v);
  }

  state(m: number): number {
    return Atomics.load(this.i32, HDR_I32 + m * MEMBER_I32 + I.state);
  }

  setState(m: number, s: number): void {
    Atomics.store(this.i32, HDR_I32 + m * MEMBER_I32 + I.state, s);
  }

  casState(m: number, from: number, to: number): boolean {
    return Atomics.compareExchange(this.i32, HDR_I32 + m * MEMBER_I32 + I.state, from, to) === from;
  }

  activation(m: number): number {
    return Atomics.load(this.i32, HDR_I32 + m * MEMBER_I32 + I.activation);
  }

  /** Index of a u64 member field in `u32`. */
  mu(m: number, field: number): number {
    return this.shm.mu(m, field);
  }

  get64(m: number, field: number): number {
    return read64(this.u32, this.shm.mu(m, field));
  }

  set64(m: number, field: number, v: number): void {
    store64(this.u32, this.shm.mu(m, field), v);
  }


  /** lb_mult = LCM(all lbfactors) / lbfactor (mod_jk update_mult), from the shared lbfactors. */
  updateMult(): void {
    let lcm = 1;
    for (let i = 0; i < this.n; i++) {
      const f = this.getI(i, I.lbfactor);
      lcm = (lcm * f) / gcd(lcm, f);
    }
    for (let i = 0; i < this.n; i++) this.set64(i, U.lbMult, lcm / this.getI(i, I.lbfactor));
  }
}
