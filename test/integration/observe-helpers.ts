// An observability object with its admin listener and a stand-in front that hands /jkstatus* to the rw status
// worker and /jkro* to the read-only one, over real HTTP on 127.0.0.1 (ephemeral ports). The runtime's workers
// point at ports nobody listens on; nothing here forwards a request, so nothing connects to them.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createAdminServer } from '../../src/observe/http.js';
import { createObservability, type Observability, type ObservabilityOptions } from '../../src/observe/index.js';
import { FakeRuntime } from '../unit/observe/helpers.js';

export const TOKEN = 'test-admin-token';

export interface Started {
  rt: FakeRuntime;
  obs: Observability;
  base: string;
  front: string;
  draining: { value: boolean };
  servers: http.Server[];
}

async function listen(server: http.Server): Promise<{ server: http.Server; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function start(adminToken?: string, onAdminAction?: ObservabilityOptions['onAdminAction']): Promise<Started> {
  const rt = new FakeRuntime();
  const draining = { value: false };
  const obs = createObservability({
    getRuntime: () => rt, isDraining: () => draining.value, adminToken, version: '0.0.1-test', accessLog: false,
    defaultMetrics: false, stdout: { write: () => true }, onAdminAction,
  });
  const admin = await listen(createAdminServer(obs.adminHandler));
  // Stands in for the front: /jkstatus* goes to the rw status worker, /jkro* to the read-only one.
  const front = await listen(http.createServer((req, res) => {
    const name = (req.url ?? '').startsWith('/jkro') ? 'jkro' : 'jkstatus';
    obs.observer.onStatusRequest!(req, res, name);
  }));
  return { rt, obs, base: admin.url, front: front.url, draining, servers: [admin.server, front.server] };
}

export async function stop(s: Started | undefined): Promise<void> {
  if (s === undefined) return;
  for (const server of s.servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  s.rt.close();
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { headers });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

