import type { IncomingMessage } from 'node:http';
import type { AjpWorkerConfig, LbWorkerConfig, StatusWorkerConfig, VirtualHostConfig, WorkerConfig, WorkersConfig } from '../../../src/config/types.js';
import type { Forwarding } from '../../../src/front/forward.js';
import { buildTargets, type AjpTarget, type LbTarget, type TargetSet } from '../../../src/front/targets.js';
import type { RuntimeView } from '../../../src/observe/snapshot.js';
import { lbConfig, member } from '../balancer/helpers.js';

export { lbConfig, member };

/** Ports in the tests' configs: nothing listens there and no test forwards a request, so nothing connects. */
export const NOBODY_PORT_1 = 1;
export const NOBODY_PORT_2 = 2;

export function statusWorker(name: string, readOnly: boolean): StatusWorkerConfig {
  return { type: 'status', name, defined: { file: 'workers.properties', line: 1 }, readOnly, users: [], mounts: [] };
}

/** lb "lb" over w1 and w2, plus a plain worker "solo" and status workers "jkstatus" (rw) and "jkro" (read-only). */
export function workersConfig(
  over: { w1?: Partial<AjpWorkerConfig>; w2?: Partial<AjpWorkerConfig>; lb?: Partial<LbWorkerConfig> } = {},
  lbMembers: string[] = ['w1', 'w2'],
): WorkersConfig {
  const list: WorkerConfig[] = [
    member('w1', { port: NOBODY_PORT_1, ...over.w1 }),
    member('w2', { port: NOBODY_PORT_2, ...over.w2 }),
    ...lbMembers.filter((n) => n !== 'w1' && n !== 'w2').map((n) => member(n, { port: NOBODY_PORT_2 })),
    member('solo', { port: NOBODY_PORT_1 }),
    lbConfig(lbMembers, { name: 'lb', errorEscalationTimeSec: 0, ...over.lb }),
    statusWorker('jkstatus', false),
    statusWorker('jkro', true),
  ];
  return { list: ['lb', 'solo', 'jkstatus', 'jkro'], maintainSec: 60, workers: new Map(list.map((w) => [w.name, w])) };
}

export class FakeRuntime implements RuntimeView {
  readonly targets: TargetSet;
  readonly config: { vhosts: VirtualHostConfig[] };
  constructor(workers: WorkersConfig = workersConfig(), vhosts: VirtualHostConfig[] = [], previous?: TargetSet, now?: () => number) {
    this.targets = buildTargets(workers, previous, now);
    this.config = { vhosts };
  }

  lb(name = 'lb'): LbTarget {
    const t = this.targets.byName.get(name);
    if (t?.kind !== 'lb') throw new Error(`no lb ${name}`);
    return t;
  }

  worker(name: string): AjpTarget {
    const t = this.targets.byName.get(name);
    if (t?.kind !== 'ajp13') throw new Error(`no worker ${name}`);
    return t;
  }

  close(): void {
    for (const p of this.targets.pools) p.destroy();
  }
}

export function vhost(...names: string[]): VirtualHostConfig {
  return { names, addresses: ['*:80'], mounts: [], defined: { file: 'httpd.conf', line: 1 } };
}

export function fakeReq(over: { host?: string; method?: string; url?: string } = {}): IncomingMessage {
  return {
    headers: { host: over.host ?? 'www.example.com' },
    method: over.method ?? 'GET',
    url: over.url ?? '/app/page?token=secret',
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

/** A finished Forwarding as the daemon hands it over: only the plain fields observe reads. */
export function fakeForwarding(over: Partial<Record<keyof Forwarding, unknown>> & { host?: string } = {}): Forwarding {
  const { host, ...fields } = over;
  return {
    req: fakeReq({ host }),
    res: {},
    shape: { uri: '/app/page', query: undefined, bodyMode: 'none', authority: undefined },
    lb: null,
    worker: null,
    status: 200,
    bytesOut: 100,
    bytesIn: 0,
    attempts: 1,
    route: '',
    outcome: 'ok',
    errorCode: undefined,
    startedAt: performance.now() - 12,
    upstreamMs: 8,
    upstreamStartedAt: 0,
    ...fields,
  } as unknown as Forwarding;
}

/** The value of one sample line, e.g. sample(text, 'ajplb_member_up{lb="lb",member="w1"}'). */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
