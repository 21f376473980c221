// The live objects a mount can point at, built once per configuration load: an ajp13 worker (its pool and
// settings), an lb worker (its balancer and the member workers), or a status worker. The forwarder only ever
// sees these, never raw configuration.

import { AjpPool, type PoolOptions } from '../ajp/pool.js';
import { Balancer } from '../balancer/index.js';
import { normalizePacketSize } from '../ajp/constants.js';
import type { AjpWorkerConfig, LbWorkerConfig, StatusWorkerConfig, WorkersConfig } from '../config/types.js';

export interface AjpTarget {
  kind: 'ajp13';
  name: string;
  config: AjpWorkerConfig;
  pool: AjpPool;
  /** Status codes as configured, split by sign (mod_jk fail_on_status). */
  failHard: ReadonlySet<number>;
  failSoft: ReadonlySet<number>;
}

export interface LbTarget {
  kind: 'lb';
  name: string;
  config: LbWorkerConfig;
  balancer: Balancer;
  members: AjpTarget[];
}

export interface StatusTarget {
  kind: 'status';
  name: string;
  config: StatusWorkerConfig;
}

export type Target = AjpTarget | LbTarget | StatusTarget;

/**
 * Where mod_jk's "0 = off" defaults hurt (a dead host stalls every request for the kernel's connect timeout; a
 * connection a firewall dropped while idle fails the first request after a quiet night), ajplb uses these
 * unless the worker sets the directive. Documented in the README; each is overridden by its mod_jk directive.
 */
export const SAFE_DEFAULTS = {
  /** socket_connect_timeout */
  connectTimeoutMs: 5000,
  /** CPing a connection idle this long before reusing it (connection_ping_interval / ping_mode I). */
  idlePingIntervalMs: 30_000,
  /** connection_pool_timeout: close connections idle this long (Tomcat's own idle close never hits a request). */
  idleTimeoutMs: 300_000,
} as const;

/** ajplb's own AJP choices, which workers.properties has no words for (command-line flags). */
export interface AjpTuning {
  /** --body-ahead: request body one packet ahead of GET_BODY_CHUNK (src/ajp/body-pump.ts). */
  bodyAhead: boolean;
}

export const DEFAULT_TUNING: AjpTuning = { bodyAhead: true };

export function poolOptionsFor(w: AjpWorkerConfig, tuning: AjpTuning = DEFAULT_TUNING): PoolOptions {
  const ping = w.pingMode;
  const pingConfigured = ping.connect || ping.prepost || ping.interval;
  return {
    host: w.host,
    port: w.port,
    localAddress: w.source || undefined,
    maxPacketSize: normalizePacketSize(w.maxPacketSize),
    bodyAhead: tuning.bodyAhead,
    keepAlive: w.socketKeepalive,
    connectTimeoutMs: w.socketConnectTimeoutMs > 0 ? w.socketConnectTimeoutMs : SAFE_DEFAULTS.connectTimeoutMs,
    replyTimeoutMs: w.replyTimeoutMs,
    socketTimeoutMs: w.socketTimeoutMs,
    size: w.connectionPoolSize,
    minSize: w.connectionPoolMinSize,
    idleTimeoutMs: w.connectionPoolTimeoutSec > 0 ? w.connectionPoolTimeoutSec * 1000 : SAFE_DEFAULTS.idleTimeoutMs,
    acquireTimeoutMs: w.connectionAcquireTimeoutMs,
    connectPingTimeoutMs: ping.connect ? w.connectTimeoutMs : 0,
    prepostPingTimeoutMs: ping.prepost ? w.prepostTimeoutMs : 0,
    idlePingIntervalMs: ping.interval ? w.connectionPingIntervalSec * 1000 : pingConfigured ? 0 : SAFE_DEFAULTS.idlePingIntervalMs,
    pingTimeoutMs: w.pingTimeoutMs,
  };
}

function ajpTarget(w: AjpWorkerConfig, tuning: AjpTuning, existing?: AjpTarget): AjpTarget {
  const failHard = new Set<number>();
  const failSoft = new Set<number>();
  for (const code of w.failOnStatus) (code < 0 ? failSoft : failHard).add(Math.abs(code));
  // A reload keeps the pool (and its warm connections) when the worker's connection settings are unchanged.
  const options = poolOptionsFor(w, tuning);
  const pool = existing !== undefined && samePool(existing.pool.options, options) ? existing.pool : new AjpPool(options);
  return { kind: 'ajp13', name: w.name, config: w, pool, failHard, failSoft };
}

function sameMembers(a: readonly AjpTarget[], b: readonly AjpTarget[]): boolean {
  return a.length === b.length && a.every((m, i) => m.name === b[i]?.name);
}

/** What the new file changes wins over the carried state; what it leaves alone keeps its live value. */
function applyConfigChanges(balancer: Balancer, before: readonly AjpTarget[], after: readonly AjpTarget[]): void {
  after.forEach((m, i) => {
    const old = before[i]?.config;
    if (old === undefined) return;
    if (old.lbfactor !== m.config.lbfactor) balancer.setLbfactor(i, m.config.lbfactor);
    if (old.activation !== m.config.activation) balancer.setActivation(i, m.config.activation);
  });
}

function samePool(a: PoolOptions, b: PoolOptions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface TargetSet {
  byName: Map<string, Target>;
  pools: AjpPool[];
  balancers: LbTarget[];
}

/**
 * Builds every worker in worker.list (and the ajp13 members of lbs). `previous` lets a reload keep pools and
 * balancer state of unchanged workers.
 */
/** Per lb worker name, the shared memory every serving thread's balancer attaches to (--procs threads). */
export type SharedBalancers = Readonly<Record<string, SharedArrayBuffer>>;

export function buildTargets(workers: WorkersConfig, previous?: TargetSet, now: () => number = Date.now, shared?: SharedBalancers,
  tuning: AjpTuning = DEFAULT_TUNING): TargetSet {
  const byName = new Map<string, Target>();
  const ajp = (name: string): AjpTarget | undefined => {
    const have = byName.get(name);
    if (have?.kind === 'ajp13') return have;
    const w = workers.workers.get(name);
    if (w?.type !== 'ajp13') return undefined;
    const prev = previous?.byName.get(name);
    const t = ajpTarget(w, tuning, prev?.kind === 'ajp13' ? prev : undefined);
    byName.set(name, t);
    return t;
  };
  const balancers: LbTarget[] = [];
  for (const w of workers.workers.values()) {
    if (w.type === 'ajp13') continue;
    if (w.type === 'status') {
      byName.set(w.name, { kind: 'status', name: w.name, config: w });
      continue;
    }
    const members = w.members.map(ajp).filter((m): m is AjpTarget => m !== undefined);
    const prev = previous?.byName.get(w.name);
    const carried = prev?.kind === 'lb' && sameMembers(prev.members, members) ? prev : undefined;
    const balancer = new Balancer(w, members.map((m) => m.config), {
      maintainSec: workers.maintainSec,
      now,
      // Same members: attach to the running state, so errors, lb values and status-page changes survive.
      // Otherwise, with --procs threads, the state the primary set up for every thread.
      shared: (carried?.balancer.sharedBuffer as SharedArrayBuffer | undefined) ?? shared?.[w.name],
      hasFreeSlot: (i) => {
        const pool = members[i]?.pool;
        return pool === undefined || pool.busy < pool.options.size;
      },
    });
    if (carried !== undefined) applyConfigChanges(balancer, carried.members, members);
    const t: LbTarget = { kind: 'lb', name: w.name, config: w, balancer, members };
    byName.set(w.name, t);
    balancers.push(t);
  }
  for (const w of workers.workers.values()) if (w.type === 'ajp13') ajp(w.name);
  const pools = [...byName.values()].filter((t): t is AjpTarget => t.kind === 'ajp13').map((t) => t.pool);
  return { byName, pools, balancers };
}
