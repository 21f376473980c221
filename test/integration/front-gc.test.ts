// A finished request's objects must die young. When something long-lived keeps them reachable past two
// scavenges (it was a Set of in-flight responses, then one of open connections: V8 leaves old entries in the
// hash tables a churning Set rehashes away from), every request's graph is copied and promoted, and the
// scavenges that do it set the p99 (6-8 ms pauses every ~100 ms under load). Measured on the Node the image
// runs (>= 22), where it showed; V8's own trace says how many bytes each scavenge promoted.

import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { routedHandler } from './front-helpers.js';
import { runCleanups, startBackends, startCli, tempDir, workersFile, writeWorkers, type Cleanup } from './ops-helpers.js';
import { reuseportNode } from './reuseport-node.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

/** A burst this wide first: the collections it grows then churn for a long time without being rebuilt. */
const BURST = 256;
const STEADY = 8;

async function load(pool: Pool, requests: number, lanes: number, keepAlive: boolean): Promise<void> {
  let next = 0;
  const headers = keepAlive ? {} : { connection: 'close' };
  const lane = async (): Promise<void> => {
    while (next < requests) {
      next++;
      const res = await pool.request({ path: '/status/200', method: 'GET', headers });
      await res.body.text();
      expect(res.statusCode).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

/** Bytes promoted to the old generation by the scavenges traced in `trace`, and how many there were. */
function scavenges(trace: string): { count: number; promoted: number } {
  let count = 0;
  let promoted = 0;
  for (const m of trace.matchAll(/gc=s .*?promoted=(\d+)/g)) {
    count++;
    promoted += Number(m[1]);
  }
  return { count, promoted };
}

describe('garbage per request', () => {
  for (const keepAlive of [true, false]) {
    it(`promotes almost nothing of a finished request to the old generation (${keepAlive ? 'keep-alive' : 'a connection per request'})`, async () => {
      const dir = tempDir(cleanups);
      const [backend] = await startBackends(cleanups, [routedHandler('was1')]);
      const workers = join(dir, 'workers.properties');
      writeWorkers(workers, workersFile([['was1', backend!.port, 1]]));
      const cli = await startCli(cleanups, workers, [], { node: reuseportNode(), nodeArgs: ['--trace-gc-nvp'] });
      const pool = new Pool(`http://127.0.0.1:${cli.port}`, { connections: BURST });
      cleanups.push(() => pool.destroy());

      // Start-up objects (config, modules, pools) are promoted once; measure after they have been. The burst
      // grows whatever tracks requests or connections; steady load then churns it.
      await load(pool, 2 * BURST, BURST, keepAlive);
      const from = cli.output().length;
      const requests = 6000;
      await load(pool, requests, STEADY, keepAlive);
      const { count, promoted } = scavenges(cli.output().slice(from));

      expect(count, 'scavenges while measuring').toBeGreaterThanOrEqual(4);
      // Each request promoted ~1,700 bytes (its response, request, sockets and forwarding state) while they were
      // kept in Sets; without them, a few dozen.
      expect(promoted / requests, `bytes promoted per request over ${count} scavenges`).toBeLessThan(300);
    });
  }
});
