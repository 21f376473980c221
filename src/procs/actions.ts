// Status-page actions as the primary relays them: which front requests were actions, the canonical request
// that repeats one in another worker, and the ones a new or restarted worker must be given again.

import type { MemberAction } from './messages.js';

const ACTION_PATH = /\/api\/lb\/([^/]+)\/member\/([^/]+)\/([a-z]+)$/;
/** Actions whose effect is a setting (replayed to new workers); reset and recover are moments. */
const SETTINGS: Record<string, 'activation' | 'lbfactor'> = { activate: 'activation', disable: 'activation', stop: 'activation', lbfactor: 'lbfactor' };

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * The member action a POST to a status page asks for: `…/api/lb/L/member/M/ACTION` (admin listener, or under
 * a status worker's mount) or `?cmd=action&lb=L&member=M&action=A` (a status worker's page). Null otherwise.
 */
export function actionOfRequest(url: string): MemberAction | null {
  const u = new URL(url, 'http://x.invalid');
  const m = ACTION_PATH.exec(u.pathname);
  if (m !== null) {
    const lb = decode(m[1]!);
    const member = decode(m[2]!);
    return lb === null || member === null ? null : { lb, member, action: m[3]! };
  }
  const q = u.searchParams;
  if (q.get('cmd') !== 'action') return null;
  const lb = q.get('lb');
  const member = q.get('member');
  const action = q.get('action');
  return lb && member && action ? { lb, member, action } : null;
}

/** The admin-listener request that takes `a` (value in the query, so no body is needed). */
export function actionPath(a: MemberAction): string {
  const base = `/api/lb/${encodeURIComponent(a.lb)}/member/${encodeURIComponent(a.member)}/${a.action}`;
  return a.value === undefined ? base : `${base}?value=${a.value}`;
}

/** The last activation and lbfactor action per member, in the order they were taken. */
export class ActionLog {
  private readonly last = new Map<string, MemberAction>();

  record(a: MemberAction): void {
    const kind = SETTINGS[a.action];
    if (kind === undefined) return;
    const key = `${a.lb}\0${a.member}\0${kind}`;
    this.last.delete(key); // re-insert: Map order is replay order
    this.last.set(key, a);
  }

  list(): MemberAction[] {
    return [...this.last.values()];
  }
}
