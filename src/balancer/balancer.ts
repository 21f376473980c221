// The lb worker as the forwarder and the status page see it. Pure logic over shared typed arrays and
// an injected clock: no I/O, no timers. See layout.ts for the shared-memory layout.

import type { Activation, AjpWorkerConfig, LbWorkerConfig, MountExtensions } from '../config/types.js';
import { ACT_UNSET, ACTIVATION_TEXT, activationCode, type BalancerOptions, LbCore, STATE_TEXT, ST } from './core.js';
import { H, H64, I, U } from './layout.js';
import * as life from './lifecycle.js';
import { observeResponseSession, routeMismatchOf } from './mismatch.js';
import { type AttemptProgress, mayRetry, OUTCOME_KINDS, type Outcome, type TriedMask } from './retry.js';
import { hasSession, pick, type PickRequest, type PickResult } from './selection.js';
import { read64, store64 } from './u64.js';

export interface MemberSnapshot {
  name: string;
  route: string;
  domain: string;
  redirect: string;
  distance: number;
  /** As jkstatus shows it: OK/IDLE, OK, OK/BUSY, ERR, ERR/REC, ERR/PRB, ERR/FRC. */
  state: string;
  activation: 'ACT' | 'DIS' | 'STP';
  lbfactor: number;
  lbMult: number;
  lbValue: number;
  busy: number;
  maxBusy: number;
  /** Attempts sent to this member since the last reset; `electedTotal` never goes back. */
  elected: number;
  electedTotal: number;
  sessions: number;
  sessionsTotal: number;
  errors: number;
  errorsTotal: number;
  clientErrors: number;
  clientErrorsTotal: number;
  /** Decays at maintenance like mod_jk's; `replyTimeoutsTotal` does not. */
  replyTimeouts: number;
  replyTimeoutsTotal: number;
  /** Request bytes read from clients and forwarded here. */
  bytesIn: number;
  bytesInTotal: number;
  /** Response bytes written to clients from here. */
  bytesOut: number;
  bytesOutTotal: number;
  lastError: { kind: Outcome; atMs: number } | null;
  /** The fix for a jvmRoute that matches no member, once seen. */
  routeMismatch: string | null;
  /** Earliest seconds until an ERR member can recover; null unless ERR. */
  timeToRecoverSec: number | null;
  lastResetMs: number;
}

export interface LbSnapshot {
  name: string;
  method: string;
  stickySession: boolean;
  stickySessionForce: boolean;
  busy: number;
  maxBusy: number;
  /** Members ACT and OK or OK/IDLE / neither good nor bad / STP or ERR. */
  good: number;
  degraded: number;
  bad: number;
  timeToMaintainSec: number | null;
  /** When the lb's counters were last reset (start, or a status-page reset of the whole lb). */
  lastResetMs: number;
  members: MemberSnapshot[];
}

const METHOD_TEXT = ['Request', 'Traffic', 'Busyness', 'Sessions', 'Next'] as const;

export class Balancer extends LbCore {
  private readonly result: PickResult = { member: -1, route: '', sticky: false, status: 0, reason: 'no_member' };

  constructor(lb: LbWorkerConfig, members: readonly AjpWorkerConfig[], opts: BalancerOptions) {
    super(lb, members, opts);
  }

  /** The shared buffer, to hand to other threads' Balancers for the same lb. */
  get sharedBuffer(): SharedArrayBuffer | ArrayBuffer {
    return this.shm.buffer;
  }

  indexOf(memberName: string): number {
    return this.names.indexOf(memberName);
  }

  /** Once per mount rule: the rule's active/disabled/stopped lists as a per-member override (or null). */
  compileActivations(ext: MountExtensions): Int8Array | null {
    if (!ext.active && !ext.disabled && !ext.stopped) return null;
    const out = new Int8Array(this.n).fill(ACT_UNSET);
    const apply = (list: string[] | undefined, a: Activation): void => {
      for (const name of list ?? []) {
        const i = this.indexOf(name);
        if (i >= 0) out[i] = activationCode(a);
      }
    };
    apply(ext.active, 'active');
    apply(ext.disabled, 'disabled');
    apply(ext.stopped, 'stopped');
    return out;
  }

  /**
   * Choose a member for one attempt, skipping the members in `tried`. Returns an object reused by
   * every call on this Balancer: read it before the next pick.
   */
  pick(req: PickRequest, tried: TriedMask): PickResult {
    return pick(this, req, tried, this.result);
  }

  /** Whether the request counts as carrying a session (sticky on and an id present). */
  hasSession(req: PickRequest): boolean {
    return hasSession(this, req);
  }

  /** See lifecycle.begin: false = busy_limit reached, the member is BUSY, do not call end. */
  begin(member: number, req: PickRequest): boolean {
    return life.begin(this, member, hasSession(this, req), req.stateless);
  }

  end(member: number, outcome: Outcome, bytesIn = 0, bytesOut = 0): void {
    life.end(this, member, outcome, bytesIn, bytesOut);
  }

  /** The pool had no free slot for this member. */
  markBusy(member: number): void {
    life.markBusy(this, member);
  }

  refreshBusy(): void {
    life.refreshBusy(this);
  }

  mayRetry(member: number, outcome: Outcome, progress: AttemptProgress): boolean {
    return mayRetry(outcome, progress, this.recoveryOptions[member]!);
  }

  /** Request-time forced recovery: all ERR members -> FRC. `forcedMembers` tells which. */
  forceRecoveryAll(): number {
    return life.forceRecoveryAll(this);
  }

  forcedMember(member: number): boolean {
    return this.forced[member] === 1;
  }

  maintain(nowMs: number): boolean {
    return life.maintain(this, nowMs);
  }

  observeResponseSession(member: number, sessionIdFromSetCookie: string): string | null {
    return observeResponseSession(this, member, sessionIdFromSetCookie);
  }

  // Admin actions (status page).

  setActivation(member: number, a: Activation): void {
    this.setI(member, I.activation, activationCode(a));
  }

  setLbfactor(member: number, lbfactor: number): void {
    this.setI(member, I.lbfactor, Math.max(1, Math.floor(lbfactor)));
    this.updateMult();
  }

  resetMember(member: number): void {
    life.resetMember(this, member);
  }

  /** ERR -> REC now (status page "recover"); false when the member is not in ERR. */
  forceRecovery(member: number): boolean {
    return life.recoverMember(this, member);
  }

  /** When the member last failed (ms since the epoch); 0 when no error is on record. */
  lastErrorAt(member: number): number {
    return this.get64(member, U.lastErrorMs);
  }

  /** A peer process saw the member go to ERR at `atMs`: see lifecycle.adoptError. */
  adoptError(member: number, atMs: number): boolean {
    return life.adoptError(this, member, atMs);
  }

  /** jkstatus' reset of a whole lb: its max_busy and reset time (its members are reset one by one). */
  resetLbCounters(): void {
    Atomics.store(this.i32, H.lbMaxBusy, Atomics.load(this.i32, H.lbBusy));
    store64(this.u32, H64.lastResetMs * 2, this.now());
  }

  stateText(member: number): string {
    return STATE_TEXT[this.state(member)] ?? 'unknown';
  }

  snapshot(): LbSnapshot {
    const now = this.now();
    const lastMaintain = read64(this.u32, H64.lastMaintainMs * 2);
    const msMin = this.maintainSec > 0 ? Math.max(0, this.maintainSec - Math.floor((now - lastMaintain) / 1000)) : null;
    const members: MemberSnapshot[] = [];
    let good = 0;
    let bad = 0;
    for (let m = 0; m < this.n; m++) {
      const s = this.state(m);
      const a = this.activation(m);
      if (a === 2 || s === ST.ERROR) bad++;
      else if (a === 0 && (s === ST.OK || s === ST.IDLE)) good++;
      const kind = this.getI(m, I.lastErrorKind);
      const failAt = this.get64(m, U.lastFailureMs);
      let ttr: number | null = null;
      if (s === ST.ERROR) {
        ttr = Math.max(0, this.recoverTimeSec - Math.floor((now - this.get64(m, U.lastErrorMs)) / 1000));
        if (msMin !== null && ttr < msMin) ttr = msMin;
      }
      members.push({
        name: this.names[m]!,
        route: this.routes[m]!,
        domain: this.domains[m]!,
        redirect: this.redirects[m]!,
        distance: this.getI(m, I.distance),
        state: this.stateText(m),
        activation: ACTIVATION_TEXT[a] ?? 'ACT',
        lbfactor: this.getI(m, I.lbfactor),
        lbMult: this.get64(m, U.lbMult),
        lbValue: this.get64(m, U.lbValue),
        busy: this.getI(m, I.busy),
        maxBusy: this.getI(m, I.maxBusy),
        elected: this.get64(m, U.elected),
        electedTotal: this.get64(m, U.electedTotal),
        sessions: this.get64(m, U.sessions),
        sessionsTotal: this.get64(m, U.sessionsTotal),
        errors: this.get64(m, U.errors),
        errorsTotal: this.get64(m, U.errorsTotal),
        clientErrors: this.get64(m, U.clientErrors),
        clientErrorsTotal: this.get64(m, U.clientErrorsTotal),
        replyTimeouts: this.get64(m, U.replyTimeouts),
        replyTimeoutsTotal: this.get64(m, U.replyTimeoutsTotal),
        bytesIn: this.get64(m, U.bytesIn),
        bytesInTotal: this.get64(m, U.bytesInTotal),
        bytesOut: this.get64(m, U.bytesOut),
        bytesOutTotal: this.get64(m, U.bytesOutTotal),
        lastError: kind > 0 && failAt > 0 ? { kind: OUTCOME_KINDS[kind]!, atMs: failAt } : null,
        routeMismatch: routeMismatchOf(this, m),
        timeToRecoverSec: ttr,
        lastResetMs: this.get64(m, U.lastResetMs),
      });
    }
    return {
      name: this.name,
      method: METHOD_TEXT[this.method] ?? 'Request',
      stickySession: this.stickySession,
      stickySessionForce: this.stickySessionForce,
      busy: Atomics.load(this.i32, H.lbBusy),
      maxBusy: Atomics.load(this.i32, H.lbMaxBusy),
      good,
      degraded: this.n - good - bad,
      bad,
      timeToMaintainSec: msMin,
      lastResetMs: read64(this.u32, H64.lastResetMs * 2),
      members,
    };
  }
}
