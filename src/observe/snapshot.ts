// One picture of every lb, member and pool, read from Balancer.snapshot() and the pools' stats. The status
// page, its JSON API, /readyz and the scrape-time gauges of /metrics all read this, so they cannot disagree.

import type { LbSnapshot, MemberSnapshot } from '../balancer/index.js';
import type { AppConfig } from '../config/types.js';
import type { AjpTarget, LbTarget, TargetSet } from '../front/targets.js';

/** What observe needs of the daemon's Runtime (front/runtime.ts satisfies it structurally). */
export interface RuntimeView {
  readonly targets: TargetSet;
  readonly config: Pick<AppConfig, 'vhosts'> & Partial<Pick<AppConfig, 'mounts'>>;
}

export interface ConnectionsView {
  open: number;
  idle: number;
  inUse: number;
  max: number;
  waiting: number;
}

export interface MemberOverride {
  activation?: 'ACT' | 'DIS' | 'STP';
  lbfactor?: number;
}

export interface MemberView extends MemberSnapshot {
  host: string;
  port: number;
  connections: ConnectionsView;
  /** Activation or lbfactor set from the status page; it outlives reloads until set back. */
  override: MemberOverride | null;
  /** Picked by the balancer now: activation ACT and state not ERR. */
  usable: boolean;
}

export interface LbView extends Omit<LbSnapshot, 'members'> {
  members: MemberView[];
  usableMembers: number;
}

/** An ajp13 worker used directly by a mount (not behind an lb). */
export interface WorkerView {
  name: string;
  host: string;
  port: number;
  connections: ConnectionsView;
}

export interface StatusDoc {
  generatedAt: string;
  version: string;
  draining: boolean;
  lbs: LbView[];
  workers: WorkerView[];
}

/** A member the balancer would pick for a request without a session: what /readyz asks for. */
export function isUsable(m: Pick<MemberSnapshot, 'state' | 'activation'>): boolean {
  return m.activation === 'ACT' && m.state !== 'ERR';
}

export function connectionsOf(t: AjpTarget): ConnectionsView {
  const s = t.pool.stats;
  return { open: s.open, idle: s.idle, inUse: t.pool.busy, max: t.pool.options.size, waiting: s.waiting };
}

export function lbView(lb: LbTarget, override: (lb: string, member: string) => MemberOverride | undefined): LbView {
  const snap = lb.balancer.snapshot();
  let usableMembers = 0;
  const members = snap.members.map((m, i): MemberView => {
    const target = lb.members[i];
    const usable = isUsable(m);
    if (usable) usableMembers++;
    return {
      ...m,
      host: target?.config.host ?? '',
      port: target?.config.port ?? 0,
      connections: target !== undefined ? connectionsOf(target) : { open: 0, idle: 0, inUse: 0, max: 0, waiting: 0 },
      override: override(lb.name, m.name) ?? null,
      usable,
    };
  });
  return { ...snap, members, usableMembers };
}

/** ajp13 workers that are no lb's member: mounts use them directly. */
export function directWorkers(targets: TargetSet): AjpTarget[] {
  const members = new Set<AjpTarget>();
  for (const lb of targets.balancers) for (const m of lb.members) members.add(m);
  const out: AjpTarget[] = [];
  for (const t of targets.byName.values()) {
    if (t.kind === 'ajp13' && !members.has(t)) out.push(t);
  }
  return out;
}

export interface SnapshotSource {
  getRuntime(): RuntimeView;
  isDraining(): boolean;
  version: string;
  override(lb: string, member: string): MemberOverride | undefined;
}

/** The status document plus the live objects it was read from, in the same order (for scrape-time counters). */
export interface Captured {
  doc: StatusDoc;
  balancers: LbTarget[];
  direct: AjpTarget[];
}

export function captureStatus(src: SnapshotSource): Captured {
  const targets = src.getRuntime().targets;
  const balancers = targets.balancers;
  const direct = directWorkers(targets);
  const doc: StatusDoc = {
    generatedAt: new Date().toISOString(),
    version: src.version,
    draining: src.isDraining(),
    lbs: balancers.map((lb) => lbView(lb, src.override)),
    workers: direct.map((t) => ({ name: t.name, host: t.config.host, port: t.config.port, connections: connectionsOf(t) })),
  };
  return { doc, balancers, direct };
}

export function buildStatus(src: SnapshotSource): StatusDoc {
  return captureStatus(src).doc;
}

/**
 * prom-client runs every metric's collect() in one synchronous pass per scrape; this hands them all the same
 * capture instead of one snapshot per metric family. The cache lives only for that synchronous pass.
 */
export class ScrapeSnapshot {
  private cached: Captured | null = null;
  private failed = false;
  constructor(private readonly src: SnapshotSource) {}

  /** null when there is no runtime yet (the daemon is still starting). */
  get(): Captured | null {
    if (this.cached === null && !this.failed) {
      try {
        this.cached = captureStatus(this.src);
      } catch {
        this.failed = true;
      }
      queueMicrotask(() => {
        this.cached = null;
        this.failed = false;
      });
    }
    return this.cached;
  }
}
