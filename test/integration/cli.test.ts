// The CLI as operators run it: the built dist/cli.js in a child process (`npm test` builds first).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';
import { loopbackCopy, type LoopbackCopy } from '../support/loopback-config.js';
import { freePort, routedHandler } from './front-helpers.js';

/** Request-body bytes in one packet of the default 8 KiB AJP packet size. */
const BODY_PACKET_DATA = 8192 - 6;

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const SEED002 = join(ROOT, 'test/unit/config/fixtures/seed002');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('ajplb CLI', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does)');
  });

  it('prints its version and help', async () => {
    expect((await cli(['--version'])).stdout).toMatch(/^ajplb \d+\.\d+\.\d+/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--workers FILE');
  });

  it('--check names file:line, the directive and a did-you-mean, and exits 1', async () => {
    const file = tempFile('workers.properties', 'worker.list=w1\nworker.w1.type=ajp13\nworker.w1.prot=8009\n');
    const r = await cli(['--workers', file, '--check', '--no-probe']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:3`);
    expect(r.stdout).toContain('worker.w1.prot');
    expect(r.stdout).toMatch(/did you mean 'port'/);
  });

  it("--check on seed 002's files reports the port typo as a worker that does not answer a CPing", async () => {
    // Every AJP port the seed names gets a live fake backend on loopback, except 8111 (the typo).
    const live = new Map<number, AjpServer>();
    for (const p of [8009, 8010, 8011]) live.set(p, await startAjpServer({ handler: routedHandler(String(p)) }));
    cleanups.push(async () => {
      for (const s of live.values()) await s.close();
    });
    const dead = await freePort();
    const copy: LoopbackCopy = loopbackCopy(SEED002, (_w, _h, port) => live.get(port)?.port ?? dead);
    cleanups.push(() => copy.remove());
    const r = await cli(['--httpd-conf', join(copy.dir, 'conf/httpd.conf'), '--path-map', `/data2/apache=${copy.dir}`, '--check']);
    expect(r.stdout).toMatch(/worker pls2 \(127\.0\.0\.1:\d+\) does not answer a CPing/);
    expect(r.stdout).toMatch(/worker pls1 \(127\.0\.0\.1:\d+\) answers CPing/);
    expect(r.stdout).toContain('balanced_workers');
    expect(r.code).toBe(0);
  });

  it('--dump prints the effective configuration with defaults filled in', async () => {
    const file = tempFile('workers.properties', 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balanced_workers=w1\nworker.w1.port=8019\n');
    const r = await cli(['--workers', file, '--dump']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/worker\.w1\.port=8019/);
    expect(r.stdout).toMatch(/worker\.w1\.ping_timeout=10000/);
    expect(r.stdout).toMatch(/worker\.lb\.balance_workers=w1/);
  });

  it('serves, refuses an invalid reload keeping the old config, and drains on SIGTERM', async () => {
    const { port, file, child, output } = await serving([]);
    const get = async () => (await request(`http://127.0.0.1:${port}/x`)).statusCode;
    expect(await get()).toBe(200);
    writeFileSync(file, 'worker.list=w1\nworker.w1.bogus=1\n');
    child.kill('SIGHUP');
    await expect.poll(output, { timeout: 10_000 }).toContain('reload refused');
    expect(await get()).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('--keep-alive-timeout closes a client connection idle that long (the 5 s default would not yet)', async () => {
    const { port } = await serving(['--keep-alive-timeout', '1']);
    // A connection that sends nothing: what is under test is the flag reaching the front's idle sweep.
    const socket = createConnection({ host: '127.0.0.1', port });
    cleanups.push(() => socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    const connectedAt = Date.now();
    // The sweep runs every second and compares with its own clock: closed between 1 and 3 s after connecting.
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - connectedAt).toBeLessThan(3500);
  });

  it('--keep-alive-timeout refuses what is not a positive number of seconds', async () => {
    for (const bad of ['0', '-1', 'soon']) {
      const r = await cli([`--keep-alive-timeout=${bad}`, '--workers', '/nonexistent']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--keep-alive-timeout: expected a positive number of seconds');
    }
    expect((await cli(['--help'])).stdout).toContain('--keep-alive-timeout SEC');
  });

  it('--body-ahead: on by default (packets wait for Tomcat), off sends only what was asked for, as mod_jk', async () => {
    const body = Buffer.alloc(512 * 1024, 1);
    // On: after Tomcat's first GET_BODY_CHUNK the third packet comes without being asked for. The backend waits
    // for it before asking again, so what is seen does not depend on how fast either side runs.
    const ahead = await serving([], async (_req, reply) => {
      const asked = await reply.readBody(1 + BODY_PACKET_DATA);
      const unasked = await reply.unaskedBodyPacket();
      reply.sendHeaders(200, ['Content-Type', 'application/json']);
      reply.write(JSON.stringify({ asked: asked.length, unasked: unasked.length }));
      reply.end(false);
    });
    const small = body.subarray(0, 64 * 1024);
    const res = await request(`http://127.0.0.1:${ahead.port}/upload`, { method: 'POST', body: small });
    expect(await res.body.json()).toEqual({ asked: 2 * BODY_PACKET_DATA, unasked: BODY_PACKET_DATA });
    expect(ahead.backend.earlyBodyPackets).toBe(1);

    const { port, backend } = await serving(['--body-ahead', 'off']);
    const whole = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body });
    expect(JSON.parse(await whole.body.text()).length).toBe(body.length);
    expect(backend.earlyBodyPackets).toBe(0);
    const r = await cli(['--body-ahead', 'yes', '--workers', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--body-ahead: expected on or off, got "yes"');
  });

  it('--check warns, with file:line and the fix, about an IP vhost no listener is on; --strict refuses it', async () => {
    const conf = tempFile('httpd.conf', ['Listen 127.0.0.1:8080', 'JkWorkerProperty worker.list=w', '<VirtualHost 10.0.0.1:8080>', 'ServerName a', 'JkMount /* w', '</VirtualHost>', ''].join('\n'));
    const r = await cli(['--httpd-conf', conf, '--check', '--no-probe']);
    expect(r.stdout).toContain(`${conf}:3: warning: <VirtualHost>: no listener is on 10.0.0.1:8080 (ajplb listens on 127.0.0.1:8080): this vhost never matches`);
    expect(r.stdout).toContain('--listen 0.0.0.0:8080');
    expect(r.code).toBe(0);
    expect((await cli(['--httpd-conf', conf, '--check', '--no-probe', '--listen', '0.0.0.0:8080'])).stdout).not.toContain('no listener');
    expect((await cli(['--httpd-conf', conf, '--check', '--no-probe', '--strict'])).code).toBe(1);
  });

  it('--httpd-conf with IP-based vhosts: the local address a connection arrives on picks the vhost, as in httpd', async () => {
    // One port on three loopback addresses: 127.0.0.1 and 127.0.0.2 are named by vhosts, 127.0.0.3 only by `*`.
    const backends = new Map<string, AjpServer>();
    for (const route of ['one', 'two', 'star']) backends.set(route, await startAjpServer({ handler: routedHandler(route) }));
    cleanups.push(async () => {
      for (const b of backends.values()) await b.close();
    });
    const port = await freePort();
    const workers = [...backends].flatMap(([route, b]) => [`JkWorkerProperty worker.${route}.host=127.0.0.1`, `JkWorkerProperty worker.${route}.port=${b.port}`]);
    const vhost = (address: string, name: string, worker: string) => [`<VirtualHost ${address}>`, `ServerName ${name}`, `JkMount /* ${worker}`, '</VirtualHost>'];
    const conf = tempFile('httpd.conf', [
      `Listen 127.0.0.1:${port}`, `Listen 127.0.0.2:${port}`, `Listen 127.0.0.3:${port}`,
      'JkWorkerProperty worker.list=one,two,star', ...workers,
      ...vhost(`*:${port}`, 'star.example', 'star'),
      ...vhost(`127.0.0.1:${port}`, 'one.example', 'one'),
      ...vhost('127.0.0.2', 'two.example', 'two'),
      '',
    ].join('\n'));
    const child = spawn(process.execPath, [CLI, '--httpd-conf', conf, '--admin', 'off', '--access-log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    await expect.poll(() => text.split('"listening"').length - 1, { timeout: 10_000 }).toBe(3);
    const route = async (address: string, host: string) =>
      (await request(`http://${address}:${port}/x`, { headers: { host } })).headers['x-route'];
    // The Host header chooses only among the vhosts of the address: star.example on 127.0.0.1 is `one`'s.
    expect(await route('127.0.0.1', 'star.example')).toBe('one');
    expect(await route('127.0.0.2', 'one.example')).toBe('two');
    expect(await route('127.0.0.3', 'one.example')).toBe('star');
  });
});

/** ajplb serving one fake backend (worker w1) on a free port, with `extra` flags; killed after the test. */
async function serving(extra: string[], handler: AjpHandler = routedHandler('w1')): Promise<{ port: number; file: string; child: ChildProcess; output: () => string; backend: AjpServer }> {
  const backend = await startAjpServer({ handler });
  cleanups.push(() => backend.close());
  const port = await freePort();
  const file = tempFile('workers.properties', `worker.list=w1\nworker.w1.host=127.0.0.1\nworker.w1.port=${backend.port}\n`);
  const args = [CLI, '--workers', file, '--listen', `127.0.0.1:${port}`, '--admin', 'off', '--access-log', 'off', ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const output = (): string => text;
  await expect.poll(output, { timeout: 10_000 }).toContain('listening');
  return { port, file, child, output, backend };
}
