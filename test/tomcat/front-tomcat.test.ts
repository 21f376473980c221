// ajplb's front in front of a real Tomcat: what the servlet sees through HTTP and HTTPS listeners (isSecure,
// the TLS attributes, the client certificate), the request mapping both ways, and streamed bodies.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { describeTomcat, startTomcat, type TomcatHandle } from './harness/index.js';

function selfSigned(dir: string, cn: string): { cert: Buffer; key: Buffer } {
  const key = join(dir, `${cn}.key`);
  const cert = join(dir, `${cn}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

describeTomcat('front over a real Tomcat', () => {
  let tomcat: TomcatHandle;
  let daemon: Daemon;
  let dir: string;
  let http = '';
  let https = '';
  let client: { cert: Buffer; key: Buffer };

  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'was1', httpPort: false });
    dir = mkdtempSync(join(tmpdir(), 'ajplb-tls-'));
    const server = selfSigned(dir, 'localhost');
    client = selfSigned(dir, 'client');
    const config = loadConfig({ workerProperties: ['worker.list=was1', 'worker.was1.host=127.0.0.1', `worker.was1.port=${tomcat.ajpPort}`] });
    daemon = await startDaemon({
      config,
      listen: [{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0, tls: { ...server, requestCert: true } }],
    });
    http = `http://127.0.0.1:${(daemon.addresses[0] as AddressInfo).port}`;
    https = `https://127.0.0.1:${(daemon.addresses[1] as AddressInfo).port}`;
  });

  afterAll(async () => {
    await daemon?.stop(1000);
    await tomcat?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('maps an HTTP request faithfully: method, URI, query, repeated headers, addresses', async () => {
    const res = await request(`${http}/echo?x=%C3%A9&param=x`, {
      method: 'PATCH', headers: ['X-Multi', 'a', 'X-Multi', 'b', 'Host', 'a-site.com'],
    });
    const j = (await res.body.json()) as Record<string, any>;
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-route']).toBe('was1');
    expect(j.method).toBe('PATCH');
    expect(j.requestURI).toBe('/echo');
    expect(j.paramValue).toBe('é');
    // One field, as httpd merges a repeated request header before mod_jk forwards it.
    expect(j.headers['X-Multi'] ?? j.headers['x-multi']).toEqual(['a, b']);
    expect(j.serverName).toBe('a-site.com');
    expect(j.serverPort).toBe(80);
    expect(j.remoteAddr).toBe('127.0.0.1');
    expect(j.isSecure).toBe(false);
  });

  it('makes request.isSecure() true behind an HTTPS listener and forwards cipher, key size and client cert', async () => {
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false, cert: client.cert, key: client.key } });
    try {
      const res = await request(`${https}/echo`, { dispatcher });
      const j = (await res.body.json()) as Record<string, any>;
      expect(j.isSecure).toBe(true);
      expect(j.scheme).toBe('https');
      expect(j.attributes['jakarta.servlet.request.cipher_suite']).toMatch(/^TLS_/);
      expect(Number(j.attributes['jakarta.servlet.request.key_size'])).toBeGreaterThanOrEqual(128);
      expect(j.certificates).toEqual(['CN=client']);
    } finally {
      await dispatcher.close();
    }
  });

  it('streams a 20 MiB upload and a 20 MiB download through to Tomcat', async () => {
    const size = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 5);
    const hash = createHash('sha256');
    for (let i = 0; i < 20; i++) hash.update(chunk);
    const up = await request(`${http}/upload`, { method: 'PUT', body: Readable.from(Array.from({ length: 20 }, () => chunk)) });
    const uj = (await up.body.json()) as Record<string, unknown>;
    expect(uj.bodyLength).toBe(size);
    expect(uj.bodySha256).toBe(hash.digest('hex'));
    const down = await request(`${http}/bytes?size=${size}`);
    let got = 0;
    let ok = true;
    for await (const part of down.body) {
      const buf = part as Buffer;
      for (let k = 0; k < buf.length; k += 4099) if (buf[k] !== (((got + k) * 31 + 7) & 0xff)) ok = false;
      got += buf.length;
    }
    expect(got).toBe(size);
    expect(ok).toBe(true);
  });

  it('passes 204 and 304 without bodies and keeps repeated Set-Cookie apart', async () => {
    for (const code of [204, 304]) {
      const res = await request(`${http}/status?code=${code}`);
      expect(res.statusCode).toBe(code);
      expect(await res.body.text()).toBe('');
    }
    const res = await request(`${http}/cookies?n=3`);
    await res.body.dump();
    expect(res.headers['set-cookie']).toEqual(['c1=v1; Path=/', 'c2=v2; Path=/', 'c3=v3; Path=/']);
  });
});
