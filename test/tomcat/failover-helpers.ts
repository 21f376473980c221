// What the failover tests share: ajplb started in-process over a workers.properties naming a real Tomcat
// cluster (lb over was1/was2, routes = jvmRoutes), a per-request record of what the forwarder did, and a
// closed-loop load generator on an undici Pool. Observability is wired as the CLI wires it, so the tests can
// read the Prometheus counters an operator would watch.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import type { MemberSnapshot } from '../../src/balancer/index.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import type { Forwarding } from '../../src/front/forward.js';
import { createObservability } from '../../src/observe/index.js';
import type { TomcatHandle } from './harness/index.js';

/** One finished forward as the daemon's observer saw it. */
export interface ForwardRecord {
  /** Date.now() at the end; `ms` is the whole request as ajplb handled it. */
  endedAt: number;
  ms: number;
  attempts: number;
  status: number;
  outcome: string;
  errorCode: string | undefined;
  member: string;
}

export interface Ajplb {
  daemon: Daemon;
  base: string;
  forwards: ForwardRecord[];
  /** Every failed attempt (failovers included): Date.now(), member, outcome. */
  failedAttempts: { at: number; member: string; outcome: string }[];
  members(): MemberSnapshot[];
  member(name: string): MemberSnapshot;
  /**
   * Resolves once ajplb has finished every request it received. A client holding a whole Content-Length body
   * can be done before ajplb has read Tomcat's END_RESPONSE and accounted the request.
   */
  settled(): Promise<void>;
  /** Sum of a counter's samples whose labels include `labels`. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/**
 * ajplb over `nodes` (named by their jvmRoute): `lbLines` go under worker.lb, `memberLines` under every member
 * (both without the `worker.<name>.` prefix), `globalLines` as they are.
 */
export async function startAjplb(
  nodes: TomcatHandle[],
  opts: { globalLines?: string[]; lbLines?: string[]; memberLines?: string[] } = {},
): Promise<Ajplb> {
  const names = nodes.map((n) => n.jvmRoute as string);
  const lines = [...(opts.globalLines ?? []), 'worker.list=lb', 'worker.lb.type=lb', `worker.lb.balance_workers=${names.join(',')}`];
  for (const l of opts.lbLines ?? []) lines.push(`worker.lb.${l}`);
  nodes.forEach((node, i) => {
    const name = names[i] as string;
    lines.push(`worker.${name}.type=ajp13`, `worker.${name}.host=127.0.0.1`, `worker.${name}.port=${node.ajpPort}`);
    for (const l of opts.memberLines ?? []) lines.push(`worker.${name}.${l}`);
  });
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-failover-'));
  const file = join(dir, 'workers.properties');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const config = loadConfig({ workersFile: file, mountArgs: ['/*=lb'] });
  const errors = config.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  const forwards: ForwardRecord[] = [];
  const failedAttempts: Ajplb['failedAttempts'] = [];
  let started: Daemon | undefined;
  const obs = createObservability({
    getRuntime: () => (started as Daemon).runtime, isDraining: () => false, version: 'test', logLevel: 'silent', defaultMetrics: false,
  });
  const daemon = await startDaemon({
    config,
    listen: [{ host: '127.0.0.1', port: 0 }],
    observer: {
      ...obs.observer,
      onAttemptFailed(f, worker, outcome) {
        obs.observer.onAttemptFailed?.(f, worker, outcome);
        failedAttempts.push({ at: Date.now(), member: worker.name, outcome });
      },
      onForwardDone(f: Forwarding) {
        obs.observer.onForwardDone?.(f);
        forwards.push({
          endedAt: Date.now(), ms: performance.now() - f.startedAt, attempts: f.attempts, status: f.status,
          outcome: f.outcome, errorCode: f.errorCode, member: f.worker?.name ?? '',
        });
      },
    },
  });
  started = daemon;
  const port = (daemon.addresses[0] as AddressInfo).port;
  const members = (): MemberSnapshot[] => (daemon.runtime.targets.balancers[0]?.balancer.snapshot().members ?? []);
  return {
    daemon, base: `http://127.0.0.1:${port}`, forwards, failedAttempts, members,
    member(name) {
      const m = members().find((s) => s.name === name);
      if (m === undefined) throw new Error(`no member ${name}`);
      return m;
    },
    settled: () => until(() => daemon.front.inFlight === 0, 10_000, () => `ajplb still has ${daemon.front.inFlight} request(s) in flight`),
    async counter(name, labels = {}) {
      const metric = obs.registry.getSingleMetric(name);
      if (metric === undefined) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      return values
        .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
        .reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      await daemon.stop(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  failures: string[];
  byRoute: Record<string, number>;
  maxMs: number;
  /** Requests that took longer than `slowMs`, with when they started (ms after load start) and how long. */
  slow: { at: number; ms: number; route: string }[];
}

/**
 * `connections` closed loops of GET `path` through ajplb for `durationMs`; `at` runs actions at given offsets
 * (ms after start) while the load runs. A request fails on any status but 200 or any error.
 */
export async function runLoad(
  base: string,
  opts: { path: string; connections: number; durationMs: number; slowMs: number; at?: [number, () => void | Promise<void>][] },
): Promise<LoadResult> {
  const pool = new Pool(base, { connections: opts.connections, pipelining: 1 });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, failures: [], byRoute: {}, maxMs: 0, slow: [] };
  const start = Date.now();
  const end = start + opts.durationMs;
  const fail = (why: string): void => {
    result.failed++;
    if (result.failures.length < 10) result.failures.push(`${Date.now() - start} ms: ${why}`);
  };
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = Date.now();
      result.sent++;
      let route = '';
      try {
        const res = await pool.request({ path: opts.path, method: 'GET' });
        route = String(res.headers['x-route'] ?? '');
        const body = await res.body.text();
        if (res.statusCode !== 200) fail(`status ${res.statusCode} ${body.slice(0, 200)}`);
        else result.ok++;
      } catch (err) {
        fail(`error ${(err as Error).message}`);
      }
      const ms = Date.now() - t0;
      result.byRoute[route] = (result.byRoute[route] ?? 0) + 1;
      if (ms > result.maxMs) result.maxMs = ms;
      if (ms >= opts.slowMs) result.slow.push({ at: t0 - start, ms, route });
    }
  };
  const actions = (opts.at ?? []).map(async ([offset, action]) => {
    await new Promise((resolve) => setTimeout(resolve, offset));
    await action();
  });
  try {
    await Promise.all([...Array.from({ length: opts.connections }, loop), ...actions]);
  } finally {
    await pool.close();
  }
  return result;
}

/** Samples each member's state every `everyMs` until stopped; `seen(name)` lists [ms since start, state]. */
export function watchStates(ajplb: Ajplb, everyMs = 20): { startedAt: number; stop(): void; seen(name: string): [number, string][] } {
  const start = Date.now();
  const log = new Map<string, [number, string][]>();
  const sample = (): void => {
    for (const m of ajplb.members()) {
      const entries = log.get(m.name) ?? [];
      if (entries.at(-1)?.[1] !== m.state) entries.push([Date.now() - start, m.state]);
      log.set(m.name, entries);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    startedAt: start,
    stop() {
      clearInterval(timer);
      sample();
    },
    seen: (name) => log.get(name) ?? [],
  };
}

/** Polls `condition` (50 ms apart) until true; throws `why()` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
