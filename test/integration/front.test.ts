import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { patternBytes, rawRequest, startFront, type FrontFixture } from './front-helpers.js';

let fx: FrontFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(`${(fx as FrontFixture).base}${path}`, { method: method as 'GET', headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('front server over fake backends', () => {
  it('balances across members and keeps a session on its route', async () => {
    fx = await startFront(['b1', 'b2']);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(String((await get('/x')).json().route));
    expect([...seen].sort()).toEqual(['b1', 'b2']);
    for (let i = 0; i < 10; i++) {
      const r = await get('/x', { cookie: 'JSESSIONID=ABC.b2' });
      expect(r.json().route).toBe('b2');
      expect(r.json().ajpRoute).toBe('b2');
    }
  });

  it('passes repeated Set-Cookie apart, query strings and mod_jk attributes', async () => {
    fx = await startFront(['b1']);
    const r = await get('/login?a=1&b=%C3%A9', { host: 'a-site.com:8080' });
    expect(r.headers['set-cookie']).toEqual(['JSESSIONID=ABC123.b1; Path=/', 'other=1']);
    const j = r.json();
    expect(j.query).toBe('a=1&b=%C3%A9');
    expect(j.serverName).toBe('a-site.com');
    expect(j.serverPort).toBe(8080);
    expect(j.attributes).toEqual(expect.arrayContaining(['AJP_REMOTE_PORT', 'AJP_LOCAL_ADDR', '127.0.0.1', 'JK_LB_ACTIVATION', 'ACT']));
    // No Host at all (HTTP/1.0): the listener's address as server name and, as httpd tells mod_jk, the scheme's
    // default port rather than the one it listens on.
    const raw = await rawRequest(fx.port, 'GET /echo HTTP/1.0\r\n\r\n');
    const bare = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { serverName: string; serverPort: number; attributes: string[] };
    expect([bare.serverName, bare.serverPort]).toEqual(['127.0.0.1', 80]);
    expect(bare.attributes[bare.attributes.indexOf('AJP_LOCAL_ADDR') + 1]).toBe('127.0.0.1');
  });

  it('answers a client that shuts down its side after the request (printf | nc -N), as httpd does', async () => {
    fx = await startFront(['b1']);
    const old = await rawRequest(fx.port, 'GET /echo HTTP/1.0\r\n\r\n', { halfClose: true });
    expect(old).toMatch(/^HTTP\/1\.1 200 [^]*"route":"b1"/);
    // Chunked (the backend sets no length): the JSON is read where it stands.
    const post = await rawRequest(fx.port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', { halfClose: true });
    expect(post).toMatch(/^HTTP\/1\.1 200 [^]*"length":5,/);
    const two = await rawRequest(fx.port, 'GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/202 HTTP/1.1\r\nHost: x\r\n\r\n', { halfClose: true });
    expect([...two.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1])).toEqual(['204', '202']);
    // The body ends before its Content-Length: the request cannot be whole.
    expect(await rawRequest(fx.port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello', { halfClose: true })).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers requests pipelined before a malformed one first, then refuses it: 501 for an unknown method', async () => {
    fx = await startFront(['b1']);
    const statuses = (raw: string) => [...raw.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]);
    const good = 'GET /status/202 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/203 HTTP/1.1\r\nHost: x\r\n\r\n';
    // rawRequest resolves when ajplb closes the connection, which it does after the refusal.
    expect(statuses(await rawRequest(fx.port, `${good}GARBAGE\r\n\r\n`))).toEqual(['202', '203', '400']);
    expect(statuses(await rawRequest(fx.port, `${good}GARBAGE\r\n\r\n`, { halfClose: true }))).toEqual(['202', '203', '400']);
    // A method httpd would forward (a token) that Node's parser does not know: what Tomcat answers it.
    expect(statuses(await rawRequest(fx.port, `${good}FROB /x HTTP/1.1\r\nHost: x\r\n\r\n`))).toEqual(['202', '203', '501']);
    expect(statuses(await rawRequest(fx.port, 'FROB /x HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual(['501']);
    expect(statuses(await rawRequest(fx.port, '\x16\x03\x01\x02\x00 hello\r\n\r\n'))).toEqual(['400']);
  });

  it('streams a 5 MiB upload to the backend and back the hash', async () => {
    fx = await startFront(['b1']);
    const data = Buffer.alloc(5 * 1024 * 1024, 42);
    const res = await request(`${fx.base}/upload`, { method: 'POST', body: Readable.from([data.subarray(0, 1e6), data.subarray(1e6)]) });
    const j = (await res.body.json()) as Record<string, unknown>;
    expect(j.length).toBe(data.length);
    expect(j.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('streams large downloads intact to a fast and a slow reader at once (reused AJP read buffers)', async () => {
    fx = await startFront(['b1']);
    const size = 8 * 1024 * 1024;
    const expected = createHash('sha256').update(patternBytes(size)).digest('hex');
    const fast = (async () => {
      const res = await request(`${(fx as FrontFixture).base}/pattern/${size}`);
      return createHash('sha256').update(Buffer.from(await res.body.arrayBuffer())).digest('hex');
    })();
    // The slow reader takes one chunk per event-loop turn, so ajplb's writes to it back up and it must keep
    // the AJP bytes it could not write yet out of the buffer the next read goes into.
    const slow = new Promise<string>((resolve, reject) => {
      const socket = net.connect((fx as FrontFixture).port, '127.0.0.1');
      const parts: Buffer[] = [];
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        parts.push(chunk);
        socket.pause();
        setImmediate(() => socket.resume());
      });
      socket.on('end', () => {
        const all = Buffer.concat(parts);
        resolve(createHash('sha256').update(all.subarray(all.indexOf('\r\n\r\n') + 4)).digest('hex'));
      });
      socket.write(`GET /pattern/${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    expect(await fast).toBe(expected);
    expect(await slow).toBe(expected);
  });

  it('fails over when a member is gone, with no failed request', async () => {
    fx = await startFront(['b1', 'b2']);
    await fx.backends[0]?.close();
    for (let i = 0; i < 10; i++) {
      const r = await get('/x', { cookie: 'JSESSIONID=ABC.b1' });
      expect(r.status).toBe(200);
      expect(r.json().route).toBe('b2');
    }
  });

  it('answers 503 when no member is usable, 502 on a protocol error, 504 on a reply timeout', async () => {
    fx = await startFront(['b1'], 'worker.b1.reply_timeout=300\nworker.lb.retries=1');
    expect((await get('/protocol-error')).status).toBe(502);
    expect((await get('/hang')).status).toBe(504);
    expect((await get('/x')).status).toBe(200);
    await fx.backends[0]?.close();
    const r = await get('/x');
    expect(r.status).toBe(503);
    expect(r.text).toContain('503');
  });

  it('refuses malformed requests with the right 4xx and keeps serving', async () => {
    fx = await startFront(['b1']);
    const both = await rawRequest(fx.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(both).toMatch(/^HTTP\/1\.1 400/);
    const dup = await rawRequest(fx.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd');
    expect(dup).toMatch(/^HTTP\/1\.1 400/);
    // Raw bytes: an HTTP client would resolve the dot segments before sending.
    expect(await rawRequest(fx.port, 'GET /a/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest(fx.port, 'GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await get(`/${'a'.repeat(9000)}`)).status).toBe(414);
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i++) many[`x-h${i}`] = 'v';
    expect((await get('/x', many)).status).toBe(431);
    expect((await get('/x')).status).toBe(200);
  });

  it('treats +fail_on_status as a failed member and moves the request on', async () => {
    fx = await startFront(['b1', 'b2'], 'worker.b1.fail_on_status=500');
    for (let i = 0; i < 6; i++) {
      const r = await get('/status/500', { cookie: 'JSESSIONID=Q.b1' });
      // b1 answers 500 and is dropped; b2's 500 is not in its own fail_on_status, so it is passed on.
      expect(r.headers['x-route']).toBe('b2');
    }
  });

  it('warns once per member, with the fix, when Tomcat sets a jvmRoute no member has', async () => {
    const warnings: string[] = [];
    fx = await startFront(['b1'], '', { observer: { onRouteMismatch: (_lb, _m, fix) => warnings.push(fix) } });
    for (let i = 0; i < 3; i++) expect((await get('/bad-route')).status).toBe(200);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/nosuchroute/);
    expect(warnings[0]).toMatch(/jvmRoute="b1"|route=nosuchroute/);
    const snap = fx.daemon.runtime.targets.balancers[0]?.balancer.snapshot();
    expect(snap?.members[0]?.routeMismatch).toMatch(/nosuchroute/);
  });

  it('closes a keep-alive connection idle past the limit after answering on it', async () => {
    fx = await startFront(['b1'], '', { limits: { keepAliveTimeoutMs: 300 } });
    const started = Date.now();
    // rawRequest resolves when the server ends the connection: only the idle sweep does that here.
    const answer = await rawRequest(fx.port, 'GET /echo HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).not.toMatch(/connection: close/i);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('answers 413 to a body over the limit, declared or chunked, and keeps serving', async () => {
    fx = await startFront(['b1'], '', { limits: { maxBodyBytes: 1000 } });
    const declared = await request(`${fx.base}/upload`, { method: 'POST', body: Buffer.alloc(2000) });
    expect(declared.statusCode).toBe(413);
    await declared.body.dump();
    const chunked = await request(`${fx.base}/upload`, { method: 'POST', body: Readable.from([Buffer.alloc(600), Buffer.alloc(600)]) });
    expect(chunked.statusCode).toBe(413);
    await chunked.body.dump();
    const small = await request(`${fx.base}/upload`, { method: 'POST', body: Buffer.alloc(900) });
    expect(((await small.body.json()) as { length: number }).length).toBe(900);
  });
});
