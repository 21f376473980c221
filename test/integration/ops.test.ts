// Operations under load, with the real CLI in a child process so the signals are real: a SIGHUP reload that
// changes lbfactor and adds a member fails no request; a SIGTERM lets every accepted request finish.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';
import { freePort, routedHandler } from './front-helpers.js';

const CLI = join(import.meta.dirname, '../../dist/cli.js');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backends(handlers: AjpHandler[]): Promise<AjpServer[]> {
  const out: AjpServer[] = [];
  for (const h of handlers) {
    const s = await startAjpServer({ handler: h });
    cleanups.push(() => s.close());
    out.push(s);
  }
  return out;
}

function workersFile(members: Array<[string, number, number]>): string {
  const lines = ['worker.list=lb', 'worker.lb.type=lb', `worker.lb.balance_workers=${members.map((m) => m[0]).join(',')}`];
  for (const [name, port, factor] of members) {
    lines.push(`worker.${name}.host=127.0.0.1`, `worker.${name}.port=${port}`, `worker.${name}.lbfactor=${factor}`);
  }
  return `${lines.join('\n')}\n`;
}

interface Running {
  child: ChildProcess;
  port: number;
  admin: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(file: string): Promise<Running> {
  const port = await freePort();
  const admin = await freePort();
  const child = spawn(process.execPath, [CLI, '--workers', file, '--mount', '/*=lb', '--listen', `127.0.0.1:${port}`,
    '--admin', `127.0.0.1:${admin}`, '--access-log', 'off', '--drain-timeout', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await expect.poll(() => out, { timeout: 10_000 }).toContain('admin listening');
  return { child, port, admin, output: () => out, exited };
}

interface LoadResult {
  ok: number;
  failed: string[];
  routes: Map<string, number>;
  after: (t: number) => Set<string>;
}

/** `connections` loops of sequential GETs until `until()`; records route and start time of each success. */
async function load(port: number, connections: number, until: () => boolean, path = '/x'): Promise<LoadResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const result: LoadResult & { log: Array<[number, string]> } = {
    ok: 0, failed: [], routes: new Map(), log: [],
    after(t) {
      return new Set(this.log.filter(([at]) => at > t).map(([, r]) => r));
    },
  };
  await Promise.all(Array.from({ length: connections }, async () => {
    while (!until()) {
      const started = Date.now();
      try {
        const res = await pool.request({ path, method: 'GET' });
        const body = await res.body.text();
        const route = String(res.headers['x-route']);
        if (res.statusCode !== 200 || !body.includes('"route"')) result.failed.push(`${res.statusCode} ${body.slice(0, 60)}`);
        else {
          result.ok++;
          result.routes.set(route, (result.routes.get(route) ?? 0) + 1);
          result.log.push([started, route]);
        }
      } catch (err) {
        result.failed.push(String(err));
      }
    }
  }));
  await pool.close();
  return result;
}

async function metric(admin: number, name: string): Promise<number | undefined> {
  const text = await (await request(`http://127.0.0.1:${admin}/metrics`)).body.text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('operations under load (CLI child process)', () => {
  it('SIGHUP that changes lbfactor and adds a member fails no request; a bad file is refused', async () => {
    const [b1, b2, b3] = await backends([routedHandler('b1'), routedHandler('b2'), routedHandler('b3')]);
    const dir = mkdtempSync(join(tmpdir(), 'ajplb-ops-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'workers.properties');
    writeFileSync(file, workersFile([['b1', b1!.port, 1], ['b2', b2!.port, 1]]));
    const cli = await startCli(file);
    let stop = false;
    let reloadedAt = Infinity;
    const running = load(cli.port, 64, () => stop);
    await expect.poll(() => b1!.requests + b2!.requests, { timeout: 10_000 }).toBeGreaterThan(500);
    writeFileSync(file, workersFile([['b1', b1!.port, 3], ['b2', b2!.port, 1], ['b3', b3!.port, 1]]));
    cli.child.kill('SIGHUP');
    await expect.poll(() => cli.output(), { timeout: 10_000 }).toContain('configuration reloaded');
    reloadedAt = Date.now();
    await expect.poll(() => b3!.requests, { timeout: 10_000 }).toBeGreaterThan(200);
    writeFileSync(file, 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=b1\nworker.b1.bogus=1\n');
    cli.child.kill('SIGHUP');
    await expect.poll(() => cli.output(), { timeout: 10_000 }).toContain('reload refused');
    const b3Before = b3!.requests;
    await expect.poll(() => b3!.requests, { timeout: 10_000 }).toBeGreaterThan(b3Before + 100);
    stop = true;
    const r = await running;
    expect(r.failed).toEqual([]);
    expect(r.ok).toBeGreaterThan(1000);
    expect(r.after(reloadedAt).has('b3')).toBe(true);
    expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="success"}')).toBe(1);
    expect(await metric(cli.admin, 'ajplb_config_reloads_total{result="failure"}')).toBe(1);
    expect(await metric(cli.admin, 'ajplb_config_last_reload_success ')).toBe(0);
  });

  it('SIGTERM lets every accepted request finish, fails readiness first and exits 0', async () => {
    const slow: AjpHandler = (req, reply) => {
      setTimeout(() => void routedHandler('slow')(req, reply), 200);
    };
    const [b1] = await backends([slow]);
    const dir = mkdtempSync(join(tmpdir(), 'ajplb-ops-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'workers.properties');
    writeFileSync(file, workersFile([['b1', b1!.port, 1]]));
    const cli = await startCli(file);
    expect((await request(`http://127.0.0.1:${cli.admin}/readyz`)).statusCode).toBe(200);

    const pool = new Pool(`http://127.0.0.1:${cli.port}`, { connections: 64, pipelining: 1 });
    cleanups.push(() => pool.destroy());
    const inFlight = Array.from({ length: 64 }, () => pool.request({ path: '/x', method: 'GET' })
      .then(async (res) => ({ status: res.statusCode, body: await res.body.text() }))
      .catch((err: unknown) => ({ status: -1, body: String(err) })));
    // Every one of the 64 requests is at the backend (accepted) before the signal.
    await expect.poll(() => b1!.requests, { timeout: 10_000 }).toBe(64);
    cli.child.kill('SIGTERM');
    await expect.poll(async () => {
      try {
        return (await request(`http://127.0.0.1:${cli.admin}/readyz`)).statusCode;
      } catch {
        return -1;
      }
    }, { timeout: 5000, interval: 20 }).toBe(503);
    const results = await Promise.all(inFlight);
    expect(results.filter((r) => r.status !== 200 || !r.body.includes('"route":"slow"'))).toEqual([]);
    expect(await cli.exited).toBe(0);
  });
});
