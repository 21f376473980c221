// Status-page actions on lb members, who may take them, and the overrides that make activation and lbfactor
// changes outlive a configuration reload (mod_jk forgets them; operators who stopped a node for maintenance
// do not expect a reload to bring it back).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Activation, AjpWorkerConfig } from '../config/types.js';
import type { LbTarget } from '../front/targets.js';
import type { MemberOverride, RuntimeView } from './snapshot.js';

export const MEMBER_ACTIONS = ['activate', 'disable', 'stop', 'reset', 'recover', 'lbfactor'] as const;
export type MemberAction = (typeof MEMBER_ACTIONS)[number];

export interface ActionResult {
  status: number;
  body: Record<string, unknown>;
}

const TO_ACTIVATION: Record<'activate' | 'disable' | 'stop', { config: Activation; text: 'ACT' | 'DIS' | 'STP' }> = {
  activate: { config: 'active', text: 'ACT' },
  disable: { config: 'disabled', text: 'DIS' },
  stop: { config: 'stopped', text: 'STP' },
};

function configuredActivation(c: AjpWorkerConfig): 'ACT' | 'DIS' | 'STP' {
  if (c.port === 0 || c.activation === 'stopped') return 'STP';
  return c.activation === 'disabled' ? 'DIS' : 'ACT';
}

function key(lb: string, member: string): string {
  return `${lb}\0${member}`;
}

export class AdminActions {
  private readonly overrides = new Map<string, MemberOverride>();

  constructor(private readonly getRuntime: () => RuntimeView) {}

  readonly override = (lb: string, member: string): MemberOverride | undefined => this.overrides.get(key(lb, member));

  list(): Array<{ lb: string; member: string } & MemberOverride> {
    return [...this.overrides].map(([k, o]) => {
      const [lb = '', member = ''] = k.split('\0');
      return { lb, member, ...o };
    });
  }

  isAction(s: string): s is MemberAction {
    return (MEMBER_ACTIONS as readonly string[]).includes(s);
  }

  run(lbName: string, memberName: string, action: MemberAction, value?: number): ActionResult {
    const lb = this.getRuntime().targets.balancers.find((b) => b.name === lbName);
    if (lb === undefined) return { status: 404, body: { error: `no lb worker named ${lbName}` } };
    const i = lb.balancer.indexOf(memberName);
    const target = lb.members[i];
    if (i < 0 || target === undefined) return { status: 404, body: { error: `lb ${lbName} has no member ${memberName}` } };
    switch (action) {
      case 'activate':
      case 'disable':
      case 'stop': {
        const a = TO_ACTIVATION[action];
        lb.balancer.setActivation(i, a.config);
        this.remember(lbName, memberName, { activation: a.text }, configuredActivation(target.config) === a.text);
        break;
      }
      case 'lbfactor': {
        if (value === undefined || !Number.isInteger(value) || value < 1 || value > 100_000) {
          return { status: 400, body: { error: 'lbfactor needs an integer value from 1 to 100000' } };
        }
        lb.balancer.setLbfactor(i, value);
        this.remember(lbName, memberName, { lbfactor: value }, Math.max(1, target.config.lbfactor) === value);
        break;
      }
      case 'reset':
        lb.balancer.resetMember(i);
        break;
      case 'recover':
        if (!lb.balancer.forceRecovery(i)) return { status: 409, body: { error: `member ${memberName} is not in ERR`, state: lb.balancer.stateText(i) } };
        break;
    }
    const m = lb.balancer.snapshot().members[i];
    return { status: 200, body: { ok: true, lb: lbName, member: memberName, action, state: m?.state, activation: m?.activation, lbfactor: m?.lbfactor } };
  }

  /** Records one field of an override; setting it back to what the configuration says forgets it. */
  private remember(lb: string, member: string, change: MemberOverride, equalsConfig: boolean): void {
    const k = key(lb, member);
    const o: MemberOverride = { ...this.overrides.get(k) };
    if (change.activation !== undefined) {
      if (equalsConfig) delete o.activation;
      else o.activation = change.activation;
    }
    if (change.lbfactor !== undefined) {
      if (equalsConfig) delete o.lbfactor;
      else o.lbfactor = change.lbfactor;
    }
    if (o.activation === undefined && o.lbfactor === undefined) this.overrides.delete(k);
    else this.overrides.set(k, o);
  }

  /** After every (re)load: put the status-page changes back on the new runtime's balancers. */
  applyOverrides(runtime: RuntimeView): void {
    if (this.overrides.size === 0) return;
    for (const lb of runtime.targets.balancers) this.applyTo(lb);
  }

  private applyTo(lb: LbTarget): void {
    lb.members.forEach((_, i) => {
      const o = this.overrides.get(key(lb.name, lb.balancer.names[i] ?? ''));
      if (o === undefined) return;
      if (o.activation !== undefined) {
        lb.balancer.setActivation(i, o.activation === 'STP' ? 'stopped' : o.activation === 'DIS' ? 'disabled' : 'active');
      }
      if (o.lbfactor !== undefined) lb.balancer.setLbfactor(i, o.lbfactor);
    });
  }
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; error: string };

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Actions need a configured admin token, presented as `Authorization: Bearer <token>`. Without a configured
 * token, or on a read_only status worker, everything is read-only (403). A header, unlike a cookie, is never
 * sent by a browser on its own, so another site cannot make a visitor's browser take actions.
 */
export class AdminAuth {
  private readonly want: Buffer | null;

  constructor(token: string | undefined) {
    this.want = token !== undefined && token !== '' ? digest(token) : null;
  }

  get enabled(): boolean {
    return this.want !== null;
  }

  check(req: IncomingMessage, readOnly = false): AuthResult {
    if (readOnly) return { ok: false, status: 403, error: 'read-only: this status worker has read_only set' };
    if (this.want === null) return { ok: false, status: 403, error: 'read-only: start ajplb with --admin-token to allow actions' };
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m === null) return { ok: false, status: 401, error: 'missing bearer token' };
    if (!timingSafeEqual(digest(m[1]!), this.want)) return { ok: false, status: 401, error: 'wrong admin token' };
    return { ok: true };
  }
}
