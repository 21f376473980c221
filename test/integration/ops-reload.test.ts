// SIGHUP under load, with the real CLI in a child process: 64 connections of GETs for ~8 s while the workers
// file changes one member's lbfactor and gains a third member. No request may fail, the new member must take
// traffic, the reload must show in /metrics; a file with an unknown attribute is refused and serving goes on.

import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { routedHandler } from './front-helpers.js';
import { getJson, loadPhase, metric, runCleanups, startBackends, startCli, tempDir, workersFile, writeWorkers, type Cleanup } from './ops-helpers.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

const CONNECTIONS = 64;

interface Sample {
  /** When the request was sent and when its answer was complete. */
  at: number;
  end: number;
  route: string;
}

interface LoadResult {
  ok: Sample[];
  failed: string[];
}

/** CONNECTIONS loops of sequential GETs until `until()`; every answer must be a 200 with the backend's JSON. */
async function runLoad(port: number, until: () => boolean, result: LoadResult): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  cleanups.push(() => pool.destroy());
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (!until()) {
      const at = performance.now();
      try {
        const res = await pool.request({ path: '/x', method: 'GET' });
        const body = await res.body.text();
        const route = String(res.headers['x-route']);
        if (res.statusCode === 200 && body.includes(`"route":"${route}"`)) result.ok.push({ at, end: performance.now(), route });
        else result.failed.push(`${res.statusCode} ${route} ${body.slice(0, 80)}`);
      } catch (err) {
        result.failed.push(String(err));
      }
    }
  }));
  await pool.close();
}

/** Routes of the requests sent at or after `from` and answered before `to`. */
function countRoutes(samples: Sample[], from: number, to: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) if (s.at >= from && s.end < to) counts[s.route] = (counts[s.route] ?? 0) + 1;
  return counts;
}

describe('SIGHUP reload under load (CLI child process)', () => {
  it('changes lbfactor and adds a member without failing a request; refuses a bad file and keeps serving', async () => {
    const [b1, b2, b3] = await startBackends(cleanups, [routedHandler('b1'), routedHandler('b2'), routedHandler('b3')]);
    const file = join(tempDir(cleanups), 'workers.properties');
    const before = workersFile([['b1', b1!.port, 1], ['b2', b2!.port, 1]]);
    const after = workersFile([['b1', b1!.port, 3], ['b2', b2!.port, 1], ['b3', b3!.port, 1]]);
    writeWorkers(file, before);
    const cli = await startCli(cleanups, file);
    const admin = `http://127.0.0.1:${cli.admin}`;
    expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="success"}')).toBe(0);

    const started = performance.now();
    let stop = false;
    const result: LoadResult = { ok: [], failed: [] };
    const load = runLoad(cli.port, () => stop, result);
    try {
      await loadPhase(2500);
      expect(b3!.requests).toBe(0);

      writeWorkers(file, after);
      const hupAt = performance.now();
      cli.child.kill('SIGHUP');
      await expect.poll(() => cli.output(), { timeout: 5000, interval: 10 }).toContain('configuration reloaded');
      const reloadedAt = performance.now();
      expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="success"}')).toBe(1);
      expect(await metric(cli.admin, 'ajplb_config_last_reload_success')).toBe(1);
      const members = (await getJson(`${admin}/api/status`)).body.lbs[0].members as Array<{ name: string; lbfactor: number }>;
      expect(members.map((m) => [m.name, m.lbfactor])).toEqual([['b1', 3], ['b2', 1], ['b3', 1]]);

      await loadPhase(2500);
      // An unknown attribute (a typo of lbfactor): mod_jk refuses to start on it, so the reload is refused.
      writeWorkers(file, workersFile([['b1', b1!.port, 3], ['b2', b2!.port, 1], ['b3', b3!.port, 1]], ['worker.b3.lbfactr=2']));
      const badAt = performance.now();
      cli.child.kill('SIGHUP');
      await expect.poll(() => cli.output(), { timeout: 5000, interval: 10 }).toContain('reload refused');
      expect(cli.output()).toContain('unknown attribute');
      expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="failure"}')).toBe(1);
      expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="success"}')).toBe(1);
      expect(await metric(cli.admin, 'ajplb_config_last_reload_success')).toBe(0);

      await loadPhase(Math.max(0, 8000 - (performance.now() - started)));
      stop = true;
      await load;
      const elapsed = performance.now() - started;

      const beforeReload = countRoutes(result.ok, 0, hupAt);
      const betweenReloads = countRoutes(result.ok, reloadedAt, badAt);
      const afterBad = countRoutes(result.ok, badAt, Infinity);
      console.log(`reload under load: ${result.ok.length} ok, ${result.failed.length} failed in ${(elapsed / 1000).toFixed(1)} s; ` +
        `SIGHUP→reloaded ${(reloadedAt - hupAt).toFixed(0)} ms; routes before ${JSON.stringify(beforeReload)}, ` +
        `after ${JSON.stringify(betweenReloads)}, after the refused file ${JSON.stringify(afterBad)}`);

      expect(result.failed).toEqual([]);
      expect(result.ok.length).toBeGreaterThan(5000);
      expect(beforeReload.b3).toBeUndefined();
      expect(betweenReloads.b3).toBeGreaterThan(100);
      // lbfactor 3 against 1: b1 takes about three times b2's share (the balancer may deviate, not reverse it).
      expect(betweenReloads.b1!).toBeGreaterThan(2 * betweenReloads.b2!);
      // The refused file changed nothing: all three members keep serving.
      expect(afterBad.b3).toBeGreaterThan(100);
      expect(Object.keys(afterBad).sort()).toEqual(['b1', 'b2', 'b3']);
    } finally {
      stop = true;
      await load;
    }
  }, 30_000);
});
