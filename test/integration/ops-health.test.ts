// /livez and /readyz as probes read them (status code only): liveness never depends on backends; readiness
// needs a usable member in every lb, whether members are lost to failures (ERR) or stopped by an operator.
// ajplb runs in-process, wired as src/cli.ts wires it.

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createObservability } from '../../src/observe/index.js';
import { startFront, type FrontFixture } from './front-helpers.js';
import { runCleanups, type Cleanup } from './ops-helpers.js';

const TOKEN = 'health-token';
const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

async function start(): Promise<{ fx: FrontFixture; admin: string }> {
  let fx: FrontFixture | undefined;
  const obs = createObservability({
    getRuntime: () => {
      if (fx === undefined) throw new Error('not started');
      return fx.daemon.runtime;
    },
    isDraining: () => false, adminToken: TOKEN, version: 'test', accessLog: false, logLevel: 'silent', defaultMetrics: false,
  });
  fx = await startFront(['b1', 'b2'], '', { observer: obs.observer });
  const started = fx;
  cleanups.push(() => started.close());
  const server = http.createServer(obs.adminHandler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return { fx, admin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function probe(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

async function act(admin: string, member: string, action: string): Promise<void> {
  const res = await request(`${admin}/api/lb/lb/member/${member}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

describe('health endpoints', () => {
  it('/livez and /readyz answer 200 with a usable member', async () => {
    const { admin } = await start();
    expect(await probe(`${admin}/livez`)).toEqual({ status: 200, body: 'ok\n' });
    const ready = await probe(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true });
  });

  it('/readyz fails when every member is in ERR, /livez does not', async () => {
    const { fx, admin } = await start();
    for (const b of fx.backends) await b.close();
    // Requests find the backends gone; the balancer puts both members in ERR and answers 503 itself.
    const statuses: number[] = [];
    await expect.poll(async () => {
      const res = await request(`${fx.base}/x`);
      statuses.push(res.statusCode);
      await res.body.dump();
      return (await probe(`${admin}/readyz`)).status;
    }, { timeout: 10_000, interval: 20 }).toBe(503);
    expect(statuses.every((s) => s >= 500)).toBe(true);
    console.log(`health: both backends closed; /readyz 503 after ${statuses.length} request(s) through the front (${statuses.join(', ')})`);
    const ready = await probe(`${admin}/readyz`);
    expect(JSON.parse(ready.body)).toEqual({ ready: false, reason: 'no usable member', lbs: ['lb'] });
    const members = (await (await request(`${admin}/api/status`)).body.json() as { lbs: Array<{ members: Array<{ state: string }> }> }).lbs[0]!.members;
    expect(members.map((m) => m.state)).toEqual(['ERR', 'ERR']);
    expect((await probe(`${admin}/livez`)).status).toBe(200);
  });

  it('/readyz follows operators stopping and activating members', async () => {
    const { admin } = await start();
    await act(admin, 'b1', 'stop');
    expect((await probe(`${admin}/readyz`)).status).toBe(200);
    await act(admin, 'b2', 'disable');
    const down = await probe(`${admin}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ ready: false, reason: 'no usable member', lbs: ['lb'] });
    expect((await probe(`${admin}/livez`)).status).toBe(200);
    await act(admin, 'b2', 'activate');
    expect((await probe(`${admin}/readyz`)).status).toBe(200);
  });
});
