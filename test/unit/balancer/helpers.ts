import type { AjpWorkerConfig, LbWorkerConfig } from '../../../src/config/types.js';
import { Balancer, type BalancerOptions, type PickRequest } from '../../../src/balancer/index.js';

export const T0 = 1_700_000_000_000;

export function member(name: string, over: Partial<AjpWorkerConfig> = {}): AjpWorkerConfig {
  return {
    type: 'ajp13',
    name,
    defined: { file: 'workers.properties', line: 1 },
    host: '127.0.0.1',
    port: 8009,
    source: '',
    preferIpv6: false,
    secret: undefined,
    socketTimeoutMs: 0,
    socketConnectTimeoutMs: 0,
    socketKeepalive: false,
    socketBuffer: 0,
    connectionPoolSize: 10,
    connectionPoolMinSize: 5,
    connectionPoolTimeoutSec: 0,
    connectionAcquireTimeoutMs: 200,
    pingMode: { connect: false, prepost: false, interval: false },
    pingTimeoutMs: 10000,
    connectTimeoutMs: 0,
    prepostTimeoutMs: 0,
    connectionPingIntervalSec: 0,
    replyTimeoutMs: 0,
    retries: 2,
    retryIntervalMs: 100,
    recoveryOptions: 0,
    failOnStatus: [],
    busyLimit: 0,
    maxPacketSize: 8192,
    lbfactor: 1,
    activation: 'active',
    route: name,
    domain: '',
    redirect: '',
    distance: 0,
    mounts: [],
    ...over,
  };
}

export function lbConfig(members: string[], over: Partial<LbWorkerConfig> = {}): LbWorkerConfig {
  return {
    type: 'lb',
    name: 'lb',
    defined: { file: 'workers.properties', line: 1 },
    members,
    stickySession: true,
    stickySessionForce: false,
    method: 'R',
    lock: 'O',
    retries: 2,
    lbRetries: 2,
    retryIntervalMs: 100,
    recoverTimeSec: 60,
    errorEscalationTimeSec: 30,
    maxReplyTimeouts: 0,
    sessionCookie: 'JSESSIONID',
    sessionPath: ';jsessionid',
    setSessionCookie: false,
    sessionCookiePath: '/',
    secret: undefined,
    mounts: [],
    ...over,
  };
}

export class Clock {
  t = T0;
  now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export function makeLb(
  members: AjpWorkerConfig[],
  lb: Partial<LbWorkerConfig> = {},
  opts: Partial<BalancerOptions> & { clock?: Clock } = {},
): { lb: Balancer; clock: Clock } {
  const clock = opts.clock ?? new Clock();
  const b = new Balancer(lbConfig(members.map((m) => m.name), lb), members, { maintainSec: 60, now: clock.now, ...opts });
  return { lb: b, clock };
}

export function req(sessionIds: string[] | null = null, over: Partial<PickRequest> = {}): PickRequest {
  return { sessionIds, stateless: false, stickyIgnore: false, activations: null, ...over };
}

/** One complete attempt on whatever pick chooses; returns the member index. */
export function serve(lb: Balancer, r: PickRequest, bytesOut = 0): number {
  const m = lb.pick(r, 0).member;
  if (m < 0) return m;
  if (lb.begin(m, r)) lb.end(m, 'ok', 0, bytesOut);
  return m;
}

export function stateOf(lb: Balancer, name: string): string {
  return lb.stateText(lb.indexOf(name));
}
