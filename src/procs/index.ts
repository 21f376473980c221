// --procs N: several serving processes or threads. The primary (no traffic) and the workers run the same
// command line; node:cluster or worker_threads tells them apart. See primary.ts (admin, signals), fleet.ts
// (processes or threads) and worker.ts (serving, member sync).

import cluster from 'node:cluster';
import type { AppConfig } from '../config/types.js';
import { inProcsThread, toPrimary } from './parent.js';
import type { ProcsParams } from './params.js';

export { parseProcs, type ProcsParams } from './params.js';
export { isProcsWorker } from './parent.js';

export async function runProcs(p: ProcsParams, config: AppConfig): Promise<void> {
  if (cluster.isPrimary && !inProcsThread) {
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
    toPrimary({ ajplb: 'failed', error }, () => process.exit(2));
  }
}
