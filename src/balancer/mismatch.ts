// Sessions are only sticky when Tomcat's jvmRoute equals a member's route — the most common mod_jk
// misconfiguration. mod_jk never notices; we watch the Set-Cookie session ids members send back.

import { I, MISMATCH_BYTES } from './layout.js';
import type { LbCore } from './core.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether a session route reaches some member: its exact route, or a domain (text before the first '.'). */
function routeKnown(core: LbCore, id: string, start: number): boolean {
  const len = id.length - start;
  const dot = id.indexOf('.', start);
  const domLen = (dot < 0 ? id.length : dot) - start;
  for (let i = 0; i < core.n; i++) {
    const r = core.routes[i]!;
    if (r.length === len && id.startsWith(r, start)) return true;
    const d = core.domains[i]!;
    if (d.length > 0 && d.length === domLen && id.startsWith(d, start)) return true;
  }
  return false;
}

export function mismatchMessage(core: LbCore, m: number, seenRoute: string): string {
  const name = core.names[m]!;
  const want = core.routes[m]!;
  if (seenRoute === '') {
    return `Tomcat behind worker ${name} sets session ids without a jvmRoute, so sessions are not sticky; set <Engine jvmRoute="${want}"> in its server.xml`;
  }
  return `Tomcat behind worker ${name} sets jvmRoute "${seenRoute}"; set <Engine jvmRoute="${want}"> in its server.xml or worker.${name}.route=${seenRoute}`;
}

/**
 * A response from member `m` set this session id. Returns the fix, once per member (across all
 * threads sharing the state) when the id's route leads to no member; null otherwise.
 */
export function observeResponseSession(core: LbCore, m: number, sessionId: string): string | null {
  if (Atomics.load(core.i32, core.shm.mi(m, I.routeMismatch)) !== 0) return null;
  const dot = sessionId.indexOf('.');
  if (dot >= 0 && routeKnown(core, sessionId, dot + 1)) return null;
  if (Atomics.compareExchange(core.i32, core.shm.mi(m, I.routeMismatch), 0, 1) !== 0) return null;
  const route = dot < 0 ? '' : sessionId.slice(dot + 1);
  const slot = core.shm.mismatch.subarray(m * MISMATCH_BYTES, (m + 1) * MISMATCH_BYTES);
  const { written } = encoder.encodeInto(route, slot.subarray(1));
  slot[0] = written;
  return mismatchMessage(core, m, route);
}

/** The message for a member flagged by any thread, or null. */
export function routeMismatchOf(core: LbCore, m: number): string | null {
  if (Atomics.load(core.i32, core.shm.mi(m, I.routeMismatch)) === 0) return null;
  const slot = core.shm.mismatch.subarray(m * MISMATCH_BYTES, (m + 1) * MISMATCH_BYTES);
  const len = slot[0] ?? 0;
  // SharedArrayBuffer views cannot be decoded directly; copy the few bytes out (status path only).
  return mismatchMessage(core, m, decoder.decode(slot.slice(1, 1 + len)));
}
