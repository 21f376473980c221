import { describe } from 'vitest';
import { tomcatAvailable } from './env.js';
import { freePorts, pollUntil } from './net.js';
import { startTomcat } from './tomcat.js';
import type { TomcatHandle, TomcatOptions } from './types.js';

export { tomcatAvailable } from './env.js';
export { cping } from './net.js';
export { startTomcat } from './tomcat.js';
export type { TomcatHandle, TomcatOptions } from './types.js';
export { patternByte, patternBytes } from './webapp.js';

/**
 * n Tomcats replicating sessions (DeltaManager, static membership on 127.0.0.1). Nodes start one after the
 * other: a node joining a running cluster pulls its sessions, so each start sees the previous nodes up. Resolves
 * once every node's catalina.out has logged "Replication member added" for all the others.
 */
export async function startCluster(
  n: number,
  opts: Partial<TomcatOptions> & { routes?: string[]; syncReplication?: boolean } = {},
): Promise<TomcatHandle[]> {
  // Fixed AJP/HTTP ports cannot be shared by n nodes: each node gets free ones (httpPort: false still holds).
  const { routes, syncReplication, ajpPort: _ajpPort, httpPort, ...rest } = opts;
  const common: TomcatOptions = { ...rest, httpPort: httpPort === false ? false : undefined };
  const receiverPorts = await freePorts(n);
  const nodes: TomcatHandle[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const peers = receiverPorts
        .map((port, j) => ({ port, uniqueIndex: j + 1 }))
        .filter((peer) => peer.uniqueIndex !== i + 1);
      nodes.push(await startTomcat({
        ...common,
        jvmRoute: routes?.[i] ?? `was${i + 1}`,
        cluster: { receiverPort: receiverPorts[i] as number, peers, uniqueIndex: i + 1, syncReplication },
      }));
    }
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    for (const node of nodes) {
      await pollUntil(
        async () => ((await node.log()).match(/Replication member added/g)?.length ?? 0) >= n - 1,
        deadline,
        async () => `cluster node ${node.jvmRoute} never saw its ${n - 1} peer(s); catalina.out:\n${(await node.log()).split('\n').slice(-60).join('\n')}`,
      );
    }
    return nodes;
  } catch (err) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw err;
  }
}

let warned = false;

function pickDescribe(): typeof describe {
  const available = tomcatAvailable();
  if (available.ok || process.env['CI'] === 'true') return describe;
  if (!warned) {
    warned = true;
    console.warn(`[tomcat harness] skipping real-Tomcat tests: ${available.reason}`);
  }
  return describe.skip as unknown as typeof describe;
}

/** describe when Tomcat is installed or CI=true (so a missing Tomcat fails in CI), else describe.skip. */
export const describeTomcat: typeof describe = pickDescribe();
