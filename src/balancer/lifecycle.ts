// What happens to a member's shared state around an attempt, at maintenance and from the status page
// (mod_jk jk_lb_worker.c service / maintain_workers / recover_workers, jk_status.c reset / recover).

import { H, H64, I, MISMATCH_BYTES, U } from './layout.js';
import { LbCore, METHOD, ST } from './core.js';
import { OUTCOME_KINDS, type Outcome } from './retry.js';
import { add64, maxI32, read64, store64, sub64 } from './u64.js';

function busyIndex(core: LbCore, m: number): number {
  return core.shm.mi(m, I.busy);
}

function wholeSecondsSince(now: number, thenMs: number): number {
  return Math.floor((now - thenMs) / 1000);
}

/**
 * The request is about to go to member `m` (a pool slot is held). Returns false when busy_limit is
 * reached: the member is then BUSY, nothing was counted as in flight, and no `end` must follow.
 */
export function begin(core: LbCore, m: number, sessionful: boolean, stateless: boolean): boolean {
  add64(core.u32, core.mu(m, U.elected), 1);
  add64(core.u32, core.mu(m, U.electedTotal), 1);
  const bi = busyIndex(core, m);
  const busy = Atomics.add(core.i32, bi, 1) + 1;
  const limit = core.busyLimits[m]!;
  if (limit > 0 && busy > limit) {
    Atomics.sub(core.i32, bi, 1);
    core.setState(m, ST.BUSY);
    recordFailure(core, m, 'busy', core.now());
    return false;
  }
  maxI32(core.i32, core.shm.mi(m, I.maxBusy), busy);
  maxI32(core.i32, H.lbMaxBusy, Atomics.add(core.i32, H.lbBusy, 1) + 1);
  const counted = !sessionful && !stateless;
  const method = core.method;
  if (method === METHOD.R || method === METHOD.B || (counted && (method === METHOD.S || method === METHOD.N))) {
    add64(core.u32, core.mu(m, U.lbValue), read64(core.u32, core.mu(m, U.lbMult)));
  }
  if (counted) {
    add64(core.u32, core.mu(m, U.sessions), 1);
    add64(core.u32, core.mu(m, U.sessionsTotal), 1);
  }
  return true;
}

function recordFailure(core: LbCore, m: number, outcome: Outcome, now: number): void {
  core.setI(m, I.lastErrorKind, OUTCOME_KINDS.indexOf(outcome));
  core.set64(m, U.lastFailureMs, now);
}

function countError(core: LbCore, m: number): void {
  add64(core.u32, core.mu(m, U.errors), 1);
  add64(core.u32, core.mu(m, U.errorsTotal), 1);
}

function clearErrorTimes(core: LbCore, m: number): void {
  core.set64(m, U.firstErrorMs, 0);
  core.set64(m, U.lastErrorMs, 0);
}

function globalError(core: LbCore, m: number, now: number): void {
  countError(core, m);
  core.setState(m, ST.ERROR);
  core.set64(m, U.firstErrorMs, now);
  core.set64(m, U.lastErrorMs, now);
}

/** The attempt started by `begin` finished with `outcome`; bytes are request/response body bytes. */
export function end(core: LbCore, m: number, outcome: Outcome, bytesIn: number, bytesOut: number): void {
  Atomics.sub(core.i32, H.lbBusy, 1);
  const busyLeft = Atomics.sub(core.i32, busyIndex(core, m), 1) - 1;
  add64(core.u32, core.mu(m, U.bytesIn), bytesIn);
  add64(core.u32, core.mu(m, U.bytesInTotal), bytesIn);
  add64(core.u32, core.mu(m, U.bytesOut), bytesOut);
  add64(core.u32, core.mu(m, U.bytesOutTotal), bytesOut);
  const mult = read64(core.u32, core.mu(m, U.lbMult));
  if (core.method === METHOD.T) add64(core.u32, core.mu(m, U.lbValue), (bytesIn + bytesOut) * mult);
  else if (core.method === METHOD.B) sub64(core.u32, core.mu(m, U.lbValue), mult);
  // Having run a request, the member is OK unless it is in global error; the outcome refines it.
  if (core.state(m) !== ST.ERROR) core.setState(m, ST.OK);
  const now = core.now();
  switch (outcome) {
    case 'ok':
      core.setState(m, ST.OK);
      clearErrorTimes(core, m);
      return;
    case 'client_error':
      core.setState(m, ST.OK);
      clearErrorTimes(core, m);
      add64(core.u32, core.mu(m, U.clientErrors), 1);
      add64(core.u32, core.mu(m, U.clientErrorsTotal), 1);
      return;
    case 'status_failover':
      core.setState(m, ST.OK);
      clearErrorTimes(core, m);
      break;
    case 'protocol_error':
      break; // keeps its global state; only this request avoids it
    case 'busy':
      core.setState(m, ST.BUSY);
      break;
    case 'status_fail':
      globalError(core, m, now);
      break;
    case 'reply_timeout':
      add64(core.u32, core.mu(m, U.replyTimeoutsTotal), 1);
      add64(core.u32, core.mu(m, U.replyTimeouts), 1);
      if (core.get64(m, U.replyTimeouts) > core.maxReplyTimeouts) globalError(core, m, now);
      break;
    default: {
      // connect/send/recv: a local error escalates to global when nothing else is in flight on the
      // member, escalation is off, or the first local error is error_escalation_time old.
      countError(core, m);
      const first = core.get64(m, U.firstErrorMs);
      const esc = core.errorEscalationTimeSec;
      if (busyLeft <= 0 || esc === 0 || (first > 0 && wholeSecondsSince(now, first) >= esc)) {
        core.setState(m, ST.ERROR);
      }
      if (first === 0) core.set64(m, U.firstErrorMs, now);
      core.set64(m, U.lastErrorMs, now);
    }
  }
  recordFailure(core, m, outcome, now);
}

/** No pool slot for member `m` (mod_jk: get_endpoint failed): BUSY unless in error. */
export function markBusy(core: LbCore, m: number): void {
  if (core.state(m) !== ST.ERROR) core.setState(m, ST.BUSY);
  recordFailure(core, m, 'busy', core.now());
}

/** At the start of a request or pass: BUSY members with room again go back to OK. */
export function refreshBusy(core: LbCore): void {
  for (let m = 0; m < core.n; m++) {
    if (core.state(m) !== ST.BUSY) continue;
    const limit = core.busyLimits[m]!;
    if (limit > 0 && Atomics.load(core.i32, busyIndex(core, m)) >= limit) continue;
    if (core.hasFreeSlot !== undefined && !core.hasFreeSlot(m)) continue;
    core.casState(m, ST.BUSY, ST.OK);
  }
}

/** Every member in ERR goes to FRC (mod_jk force_recovery); `core.forced` marks which. */
export function forceRecoveryAll(core: LbCore): number {
  let forced = 0;
  for (let m = 0; m < core.n; m++) {
    core.forced[m] = 0;
    if (core.casState(m, ST.ERROR, ST.FORCE)) {
      core.set64(m, U.replyTimeouts, 0);
      core.forced[m] = 1;
      forced++;
    }
  }
  return forced;
}

function decay(core: LbCore, exponent: number): number {
  let curmax = 0;
  const divisor = 2 ** Math.min(exponent, 64);
  for (let m = 0; m < core.n; m++) {
    if (core.method !== METHOD.B) {
      const p = core.mu(m, U.lbValue);
      if (core.method !== METHOD.N && exponent > 0) store64(core.u32, p, Math.floor(read64(core.u32, p) / divisor));
      curmax = Math.max(curmax, read64(core.u32, p));
    }
    if (exponent > 0) core.set64(m, U.replyTimeouts, Math.floor(core.get64(m, U.replyTimeouts) / divisor));
  }
  if (core.method === METHOD.N) {
    let curmin = -1;
    for (let m = 0; m < core.n; m++) {
      if (core.state(m) <= ST.FORCE && core.activation(m) === 0) {
        const v = core.get64(m, U.lbValue);
        if (curmin < 0 || v < curmin) curmin = v;
      }
    }
    if (curmin > 0) for (let m = 0; m < core.n; m++) core.set64(m, U.lbValue, Math.max(0, core.get64(m, U.lbValue) - curmin));
  }
  return curmax;
}

/** mod_jk recover_workers: returns how many members are not in error. */
function recover(core: LbCore, curmax: number, now: number): number {
  let nonError = 0;
  for (let m = 0; m < core.n; m++) {
    const s = core.state(m);
    const first = core.get64(m, U.firstErrorMs);
    if (s === ST.ERROR) {
      if (wholeSecondsSince(now, core.get64(m, U.lastErrorMs)) > core.recoverTimeSec) {
        if (core.method !== METHOD.B) core.set64(m, U.lbValue, curmax);
        core.set64(m, U.replyTimeouts, 0);
        core.setState(m, ST.RECOVER);
        nonError++;
      }
    } else if (first > 0 && wholeSecondsSince(now, first) >= core.errorEscalationTimeSec && s !== ST.RECOVER) {
      core.setState(m, ST.ERROR);
    } else {
      nonError++;
      if (s === ST.OK && core.get64(m, U.electedTotal) === core.get64(m, U.electedSnapshot)) core.setState(m, ST.IDLE);
    }
    core.set64(m, U.electedSnapshot, core.get64(m, U.electedTotal));
  }
  return nonError;
}

/** Tolerance for timers firing a little early, so a cycle is not skipped (mod_jk works in whole seconds). */
const MAINTAIN_SLACK_MS = 1000;

/**
 * Global maintenance, at most once per worker.maintain across every runtime sharing the state.
 * Returns whether this call did it.
 */
export function maintain(core: LbCore, now: number): boolean {
  if (core.maintainSec <= 0) return false;
  if (Atomics.compareExchange(core.i32, H.maintainLock, 0, 1) !== 0) return false;
  try {
    const last = read64(core.u32, H64.lastMaintainMs * 2);
    if (now - last < core.maintainSec * 1000 - MAINTAIN_SLACK_MS) return false;
    store64(core.u32, H64.lastMaintainMs * 2, now);
    const exponent = Math.floor(wholeSecondsSince(now, last) / core.maintainSec);
    const curmax = decay(core, exponent);
    if (recover(core, curmax, now) === 0) forceRecoveryAll(core);
    return true;
  } finally {
    Atomics.store(core.i32, H.maintainLock, 0);
  }
}

/**
 * Another process serving the same lb saw member `m` go to ERR at `atMs` (with --procs there is no shared
 * memory, so this is how "down for one is down for all" travels). The member is ERR here from that time and
 * recovers on this process's own recover_time timeline. No error is counted: the failed attempt was not ours.
 * A failure we already know of (ERR with a later or equal time) changes nothing. Returns whether the state
 * changed to ERR.
 */
export function adoptError(core: LbCore, m: number, atMs: number): boolean {
  const last = core.get64(m, U.lastErrorMs);
  if (core.state(m) === ST.ERROR) {
    if (atMs > last) core.set64(m, U.lastErrorMs, atMs);
    return false;
  }
  if (last >= atMs) return false;
  core.setState(m, ST.ERROR);
  if (core.get64(m, U.firstErrorMs) === 0) core.set64(m, U.firstErrorMs, atMs);
  core.set64(m, U.lastErrorMs, atMs);
  return true;
}

/** Status page "recover": ERR -> REC with lb_value at the current maximum. */
export function recoverMember(core: LbCore, m: number): boolean {
  if (core.state(m) !== ST.ERROR) return false;
  if (core.method !== METHOD.B) {
    let curmax = 0;
    for (let i = 0; i < core.n; i++) curmax = Math.max(curmax, core.get64(i, U.lbValue));
    core.set64(m, U.lbValue, curmax);
  }
  core.set64(m, U.replyTimeouts, 0);
  return core.casState(m, ST.ERROR, ST.RECOVER);
}

/** Status page "reset": back to IDLE, error state and resettable counters cleared; totals kept. */
export function resetMember(core: LbCore, m: number): void {
  core.setState(m, ST.IDLE);
  core.set64(m, U.electedSnapshot, core.get64(m, U.electedTotal));
  for (const f of [U.sessions, U.firstErrorMs, U.lastErrorMs, U.errors, U.lbValue, U.elected, U.clientErrors, U.replyTimeouts, U.bytesIn, U.bytesOut]) {
    core.set64(m, f, 0);
  }
  core.setI(m, I.maxBusy, 0);
  core.setI(m, I.routeMismatch, 0);
  core.shm.mismatch[m * MISMATCH_BYTES] = 0;
  core.set64(m, U.lastResetMs, core.now());
}
