import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/types.js';
import { startDaemon, type Daemon, type DaemonObserver } from '../../src/daemon.js';
import type { FrontLimits } from '../../src/front/server.js';
import { headerOf, startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';

/** `length` bytes where byte i is i mod 251: any byte lost, repeated or moved shows. */
export function patternBytes(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = i % 251;
  return bytes;
}

/** A fake Tomcat: answers /echo-like JSON with its route, sets a routed session cookie on /login. */
export function routedHandler(route: string): AjpHandler {
  return async (req, reply) => {
    if (req.uri === '/protocol-error') {
      reply.socket.write(Buffer.from([0x41, 0x42, 0x00, 0x01, 0x66]));
      return;
    }
    if (req.uri === '/hang') return;
    if (req.uri.startsWith('/pattern/')) {
      const bytes = patternBytes(Number(req.uri.slice(9)));
      reply.sendHeaders(200, ['Content-Length', String(bytes.length)]);
      for (let off = 0; off < bytes.length; off += 64 * 1024) reply.write(bytes.subarray(off, off + 64 * 1024));
      reply.end(true);
      return;
    }
    if (req.uri.startsWith('/status/')) {
      reply.sendHeaders(Number(req.uri.slice(8)), ['X-Route', route]);
      reply.end(true);
      return;
    }
    const body = await reply.readBody();
    const headers = ['Content-Type', 'application/json', 'X-Route', route];
    if (req.uri === '/login') headers.push('Set-Cookie', `JSESSIONID=ABC123.${route}; Path=/`, 'Set-Cookie', 'other=1');
    if (req.uri === '/bad-route') headers.push('Set-Cookie', 'JSESSIONID=XYZ.nosuchroute; Path=/');
    reply.sendHeaders(200, headers);
    reply.write(JSON.stringify({
      route, method: req.method, uri: req.uri, query: req.queryString ?? null, headers: req.headers,
      cookie: headerOf(req, 'cookie') ?? null, serverName: req.serverName, serverPort: req.serverPort, attributes: req.attributes ?? [],
      ajpRoute: req.route ?? null, length: body.length, sha256: createHash('sha256').update(body).digest('hex'),
    }));
    reply.end(true);
  };
}

export interface FrontFixture {
  daemon: Daemon;
  base: string;
  port: number;
  backends: AjpServer[];
  dir: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * Starts `routes.length` fake backends, a workers.properties with one lb over them (plus `extra` lines),
 * and ajplb on an ephemeral loopback port.
 */
export async function startFront(routes: string[], extra = '', opts: { observer?: DaemonObserver; mounts?: string[]; limits?: Partial<FrontLimits> } = {}): Promise<FrontFixture> {
  const backends: AjpServer[] = [];
  for (const r of routes) backends.push(await startAjpServer({ handler: routedHandler(r) }));
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-front-'));
  const lines = ['worker.list=lb', 'worker.lb.type=lb', `worker.lb.balance_workers=${routes.join(',')}`];
  routes.forEach((r, i) => lines.push(`worker.${r}.type=ajp13`, `worker.${r}.host=127.0.0.1`, `worker.${r}.port=${backends[i]?.port}`));
  writeFileSync(join(dir, 'workers.properties'), `${lines.join('\n')}\n${extra}\n`);
  const config: AppConfig = loadConfig({ workersFile: join(dir, 'workers.properties'), mountArgs: opts.mounts ?? ['/*=lb'] });
  const errors = config.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  const daemon = await startDaemon({ config, listen: [{ host: '127.0.0.1', port: 0 }], observer: opts.observer, limits: opts.limits });
  const port = (daemon.addresses[0] as net.AddressInfo).port;
  return {
    daemon, port, base: `http://127.0.0.1:${port}`, backends, dir,
    async close() {
      await daemon.stop(1000);
      for (const b of backends) await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends raw bytes and returns the raw response text (for framing tests undici would refuse to send).
 * `halfClose`: shut down our side after the request, as `printf … | nc -N` does.
 */
export function rawRequest(port: number, text: string, opts: { halfClose?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => resolve(Buffer.concat(parts).toString('latin1')));
    socket.on('error', reject);
    if (opts.halfClose === true) socket.end(text);
    else socket.write(text);
  });
}
