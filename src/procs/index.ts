// --procs N: several serving processes. The primary (no traffic) and the workers run the same command line;
// node:cluster tells them apart. See primary.ts (admin, signals) and worker.ts (serving, member sync).

import cluster from 'node:cluster';
import type { AppConfig } from '../config/types.js';
import type { ProcsParams } from './params.js';

export { parseProcs, type ProcsParams } from './params.js';

/** True in a worker forked by a --procs primary (it must not print what the primary already printed). */
export function isProcsWorker(): boolean {
  return cluster.isWorker;
}

export async function runProcs(p: ProcsParams, config: AppConfig): Promise<void> {
  if (cluster.isPrimary) {
    const { runPrimary } = await import('./primary.js');
    return runPrimary(p, config);
  }
  const { runWorker } = await import('./worker.js');
  try {
    await runWorker(p, config);
  } catch (err) {
    // The IPC channel would keep a failed worker alive: say why and go, the primary decides what next.
    const error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ajplb worker ${process.pid}: ${error}\n`);
    if (process.connected && process.send !== undefined) process.send({ ajplb: 'failed', error }, undefined, undefined, () => process.exit(2));
    else process.exit(2);
  }
}
