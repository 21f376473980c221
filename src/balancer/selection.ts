// Choosing a member for one attempt: mod_jk get_most_suitable_worker and its helpers
// (jk_lb_worker.c), over live shared state plus the request's own failed members (`tried`).
// Nothing here allocates: routes inside session ids are compared in place.

import { HDR_I32, I, MEMBER_I32, U } from './layout.js';
import { ACT, ACT_UNSET, type LbCore, ST } from './core.js';
import { isTried, type TriedMask } from './retry.js';
import { read64 } from './u64.js';

/** What the forwarder knows about a request before picking. Build once per request. */
export interface PickRequest {
  /** From sessionIdsFrom(); ignored when the lb is not sticky or stickyIgnore is set. */
  sessionIds: readonly string[] | null;
  /** Mount extension `stateless`: lb_value is not consulted and S/N do not count the request. */
  stateless: boolean;
  /** Mount extension `sticky_ignore`. */
  stickyIgnore: boolean;
  /** Per-member activation override from the mount (Balancer.compileActivations), or null. */
  activations: Int8Array | null;
}

export type PickReason = 'member' | 'no_member' | 'sticky_force';

/** Reused by each Balancer: read it before the next pick. */
export interface PickResult {
  /** Member index, -1 when none is usable now. */
  member: number;
  /** The AJP route attribute: the member's route, or its domain when chosen through the domain. */
  route: string;
  /** The session's route led here (no Set-Cookie for set_session_cookie). */
  sticky: boolean;
  /** 503 when member is -1 (mod_jk JK_HTTP_SERVER_BUSY), else 0. */
  status: number;
  reason: PickReason;
}

export function hasSession(core: LbCore, req: PickRequest): boolean {
  return core.stickySession && !req.stickyIgnore && req.sessionIds !== null && req.sessionIds.length > 0;
}

function act(core: LbCore, m: number, req: PickRequest): number {
  const o = req.activations === null ? ACT_UNSET : (req.activations[m] ?? ACT_UNSET);
  return o === ACT_UNSET ? core.activation(m) : o;
}

function localState(core: LbCore, m: number, tried: TriedMask): number {
  return isTried(tried, m) ? ST.ERROR : Atomics.load(core.i32, HDR_I32 + m * MEMBER_I32 + I.state);
}

function usable(core: LbCore, m: number, req: PickRequest, tried: TriedMask): boolean {
  return localState(core, m, tried) <= ST.FORCE && act(core, m, req) === ACT.ACTIVE;
}

function usableSticky(core: LbCore, m: number, req: PickRequest, tried: TriedMask): boolean {
  return localState(core, m, tried) <= ST.FORCE && act(core, m, req) !== ACT.STOPPED;
}

function distance(core: LbCore, m: number): number {
  return Atomics.load(core.i32, HDR_I32 + m * MEMBER_I32 + I.distance);
}

function lbValue(core: LbCore, m: number): number {
  return read64(core.u32, core.mu(m, U.lbValue));
}

/** Member whose route equals s[start, end), regardless of state (mod_jk find_by_session). */
function findByRoute(core: LbCore, s: string, start: number, end: number): number {
  const len = end - start;
  for (let i = 0; i < core.n; i++) {
    const r = core.routes[i]!;
    if (r.length === len && s.startsWith(r, start)) return i;
  }
  return -1;
}

/** Best usable member of the domain named by s[start, first '.' or end) (mod_jk find_best_bydomain). */
function findBestByDomain(core: LbCore, s: string, start: number, end: number, req: PickRequest, tried: TriedMask): number {
  const dot = s.indexOf('.', start);
  const len = (dot < 0 || dot > end ? end : dot) - start;
  let cand = -1;
  let d = 0;
  let curmin = 0;
  for (let i = 0; i < core.n; i++) {
    const dom = core.domains[i]!;
    if (dom.length === 0 || dom.length !== len || !s.startsWith(dom, start)) continue;
    if (!usable(core, i, req, tried)) continue;
    const di = distance(core, i);
    const v = lbValue(core, i);
    if (cand < 0 || di < d || (v < curmin && di === d)) {
      cand = i;
      curmin = v;
      d = di;
    }
  }
  return cand;
}

/** Lowest distance, then strictly lowest lb_value, scanning from the rotating offset. */
function findBestByValue(core: LbCore, req: PickRequest, tried: TriedMask): number {
  const n = core.n;
  const offset = core.nextOffset;
  let cand = -1;
  let d = 0;
  let curmin = 0;
  for (let j = offset; j < n + offset; j++) {
    const i = j % n;
    if (!usable(core, i, req, tried)) continue;
    const di = distance(core, i);
    if (cand < 0 || di < d) {
      cand = i;
      d = di;
      curmin = req.stateless ? 0 : lbValue(core, i);
      core.nextOffset = i + 1;
    } else if (!req.stateless && di === d) {
      const v = lbValue(core, i);
      if (v < curmin) {
        cand = i;
        curmin = v;
        core.nextOffset = i + 1;
      }
    }
  }
  return cand;
}

/** mod_jk find_bysession_route: exact route, else domain; redirect or domain when it is down. */
function findBySessionRoute(
  core: LbCore,
  s: string,
  start: number,
  end: number,
  req: PickRequest,
  tried: TriedMask,
  out: PickResult,
): number {
  let usesDomain = false;
  let route: string | null = null;
  let cand = findByRoute(core, s, start, end);
  if (cand < 0) {
    usesDomain = true;
    cand = findBestByDomain(core, s, start, end, req, tried);
  } else {
    out.sticky = true;
  }
  if (cand < 0) return -1;
  if (usesDomain) route = core.domains[cand]!;
  if (!usableSticky(core, cand, req, tried)) {
    out.sticky = false;
    const redirect = core.redirects[cand]!;
    const domain = core.domains[cand]!;
    if (core.stickySessionForce) {
      cand = -1;
    } else if (redirect.length > 0) {
      cand = findByRoute(core, redirect, 0, redirect.length);
      route = null;
    } else if (domain.length > 0 && !usesDomain) {
      cand = findBestByDomain(core, domain, 0, domain.length, req, tried);
      route = cand >= 0 ? domain : null;
    }
    if (cand >= 0 && !usableSticky(core, cand, req, tried)) cand = -1;
  }
  if (cand >= 0) out.route = route ?? core.routes[cand]!;
  return cand;
}

/** No member usable: the first member with a redirect names the target (hot standby, may be DISABLED). */
function findFailover(core: LbCore, req: PickRequest, tried: TriedMask, out: PickResult): number {
  for (let i = 0; i < core.n; i++) {
    const r = core.redirects[i]!;
    if (r.length === 0) continue;
    const rc = findBySessionRoute(core, r, 0, r.length, req, tried, out);
    out.sticky = false;
    return rc;
  }
  return -1;
}

function choose(core: LbCore, m: number, out: PickResult): PickResult {
  out.member = m;
  if (out.route === '') out.route = core.routes[m]!;
  out.status = 0;
  out.reason = 'member';
  // The first request to a recovering member probes it; others keep away until it answers.
  core.casState(m, ST.RECOVER, ST.PROBE);
  return out;
}

function none(out: PickResult, reason: PickReason): PickResult {
  out.member = -1;
  out.route = '';
  out.sticky = false;
  out.status = 503;
  out.reason = reason;
  return out;
}

export function pick(core: LbCore, req: PickRequest, tried: TriedMask, out: PickResult): PickResult {
  out.sticky = false;
  out.route = '';
  if (core.n === 1) {
    const a = act(core, 0, req);
    if (localState(core, 0, tried) > ST.FORCE || a === ACT.STOPPED) return none(out, 'no_member');
    if (a !== ACT.DISABLED) {
      out.sticky = true;
      return choose(core, 0, out);
    }
  }
  if (hasSession(core, req)) {
    const ids = req.sessionIds!;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const dot = id.indexOf('.');
      if (dot < 0) continue;
      out.sticky = false;
      out.route = '';
      const rc = findBySessionRoute(core, id, dot + 1, id.length, req, tried, out);
      if (rc >= 0) return choose(core, rc, out);
    }
    if (core.stickySessionForce) return none(out, 'sticky_force');
  }
  out.sticky = false;
  out.route = '';
  let rc = findBestByValue(core, req, tried);
  if (rc < 0) rc = findFailover(core, req, tried, out);
  if (rc < 0) return none(out, 'no_member');
  return choose(core, rc, out);
}
