// The AJP client's connection handling against a real Tomcat 10.1: keep-alive, CPing, the connector secret,
// 64 KiB packets, reply timeouts and a backend that dies under an idle pooled connection.

import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { AjpConnection } from '../../src/ajp/connection.js';
import { ResponseDecoder, type ResponseHandler } from '../../src/ajp/decode.js';
import { encodeForwardRequest, type ForwardRequest } from '../../src/ajp/encode.js';
import { AjpPool, poolOptions, request, run, type ExchangeResult } from '../integration/exchange-helpers.js';
import { describeTomcat, patternBytes, startTomcat, type TomcatHandle } from './harness/index.js';

function json(r: ExchangeResult): Record<string, unknown> {
  expect(r.error, r.error?.message).toBeUndefined();
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
}

const pools: AjpPool[] = [];
function newPool(port: number, overrides: Parameters<typeof poolOptions>[1] = {}): AjpPool {
  const pool = new AjpPool(poolOptions(port, { replyTimeoutMs: 20_000, ...overrides }));
  pools.push(pool);
  return pool;
}
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => {
  for (const pool of pools.splice(0)) pool.destroy();
});

describeTomcat('AJP client against Tomcat 10.1: connections', () => {
  let tomcat: TomcatHandle;
  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'conn', httpPort: false });
  });
  afterAll(async () => {
    await tomcat?.stop();
  });

  test('one TCP connection carries 1000 sequential requests', async () => {
    const pool = newPool(tomcat.ajpPort);
    for (let i = 0; i < 1000; i++) {
      const r = await run(pool, request({ uri: '/status', queryString: 'code=200' }));
      if (r.status !== 200 || r.body.toString() !== 'status 200 body\n') {
        expect.fail(`request ${i}: ${r.error?.code ?? r.status} ${r.error?.message ?? r.body.toString()}`);
      }
    }
    expect(json(await run(pool, request({ uri: '/echo', queryString: 'last=1' }))).queryString).toBe('last=1');
    expect(pool.stats).toMatchObject({ connects: 1, open: 1, idle: 1, connectErrors: 0 });
  });

  test('CPing/CPong on an idle pooled connection, which then serves the next request', async () => {
    const pool = newPool(tomcat.ajpPort);
    json(await run(pool, request({ uri: '/echo' })));
    const conn = pool.tryAcquire(Date.now());
    expect(conn).not.toBeNull();
    for (let i = 0; i < 3; i++) await (conn as AjpConnection).pingAsync(2000);
    expect(conn?.idle).toBe(true);
    pool.onReusable(conn as AjpConnection);
    json(await run(pool, request({ uri: '/echo' })));
    expect(pool.stats.connects).toBe(1);
  });

  test('ping_mode C+P: a CPing after connect and before every request, all on one connection', async () => {
    const ping = vi.spyOn(AjpConnection.prototype, 'ping');
    const pool = newPool(tomcat.ajpPort, { connectPingTimeoutMs: 2000, prepostPingTimeoutMs: 2000 });
    for (let i = 0; i < 20; i++) json(await run(pool, request({ uri: '/echo', queryString: `i=${i}` })));
    // One after connect, then one before each request that found the connection idle in the pool.
    expect(ping).toHaveBeenCalledTimes(20);
    expect(pool.stats).toMatchObject({ connects: 1, pingFailures: 0 });
  });

  test('reply timeout: /slow?ms=3000 with replyTimeoutMs 500 fails as AJP_REPLY_TIMEOUT; the pool goes on', async () => {
    const pool = newPool(tomcat.ajpPort, { replyTimeoutMs: 500 });
    json(await run(pool, request({ uri: '/echo' })));
    const started = Date.now();
    const slow = await run(pool, request({ uri: '/slow', queryString: 'ms=3000' }));
    const took = Date.now() - started;
    expect(slow.error?.code).toBe('AJP_REPLY_TIMEOUT');
    expect(slow.progress).toMatchObject({ sent: true, responded: false, headersDelivered: false });
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2500);
    // The timed-out socket is gone (Tomcat would still answer on it); the next request gets a new one.
    expect(pool.stats.open).toBe(0);
    expect(json(await run(pool, request({ uri: '/slow', queryString: 'ms=10' }))).slept).toBe(10);
    expect(pool.stats.connects).toBe(2);
  });

  test('Tomcat killed under an idle pooled connection: a clean AJP_CONNECT, then works after restart', async () => {
    const escaped: unknown[] = [];
    const record = (err: unknown): void => {
      escaped.push(err);
    };
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const pool = newPool(tomcat.ajpPort);
      json(await run(pool, request({ uri: '/echo' })));
      expect(pool.stats.idle).toBe(1);
      await tomcat.kill('SIGKILL');

      const dead = await run(pool, request({ uri: '/echo' }), null, { retries: 3 });
      expect(dead.error?.code).toBe('AJP_CONNECT');
      expect(dead.error?.message).toMatch(/ECONNREFUSED/);
      expect(dead.progress?.sent).toBe(false);
      expect(dead.status).toBeUndefined();
      expect(pool.stats).toMatchObject({ open: 0, idle: 0 });
      // 3 attempts in all; one may be a send that failed on a connection accepted as Tomcat died.
      expect(pool.stats.connectErrors).toBeGreaterThanOrEqual(2);

      await tomcat.restart();
      expect(json(await run(pool, request({ uri: '/echo', queryString: 'after=restart' }))).queryString).toBe('after=restart');
      expect(pool.stats.open).toBe(1);
      // Let any late socket event surface before judging.
      await new Promise((resolve) => setImmediate(resolve));
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
  }, 60_000);
});

describeTomcat('AJP client against Tomcat 10.1: connector secret', () => {
  const SECRET = 'open-sesame-7f3a';
  let tomcat: TomcatHandle;
  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'secret', httpPort: false, secret: SECRET });
  });
  afterAll(async () => {
    await tomcat?.stop();
  });

  test('right secret: 200; wrong: AJP_SECRET; missing: AJP_SECRET saying none was sent', async () => {
    const pool = newPool(tomcat.ajpPort);
    expect(json(await run(pool, request({ uri: '/echo', secret: SECRET }))).method).toBe('GET');

    const wrong = await run(pool, request({ uri: '/echo', secret: 'guess' }));
    expect(wrong.error?.code).toBe('AJP_SECRET');
    expect(wrong.error?.message).toMatch(/does not match/);
    expect(wrong.status).toBeUndefined();

    const missing = await run(pool, request({ uri: '/echo' }));
    expect(missing.error?.code).toBe('AJP_SECRET');
    expect(missing.error?.message).toMatch(/no secret was sent/);
    expect(missing.status).toBeUndefined();

    // Tomcat closed the refused connections; a right request still works on a new one.
    expect(json(await run(pool, request({ uri: '/echo', secret: SECRET }))).method).toBe('GET');
    expect(pool.stats.connects).toBe(3);
  });
});

/** Sends one forward request on a fresh socket and returns the response bytes up to END_RESPONSE. */
async function rawExchange(port: number, req: ForwardRequest, packetSize: number): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const out = Buffer.alloc(packetSize);
    socket.write(out.subarray(0, encodeForwardRequest(req, out)));
    const parts: Buffer[] = [];
    return await new Promise<Buffer>((resolve, reject) => {
      const decoder = new ResponseDecoder(packetSize, handler({ onEnd: () => resolve(Buffer.concat(parts)) }));
      socket.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        const err = decoder.execute(chunk);
        if (err !== undefined) reject(err);
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before END_RESPONSE')));
    });
  } finally {
    socket.destroy();
  }
}

function handler(overrides: Partial<ResponseHandler>): ResponseHandler {
  return { onHeaders() {}, onBody() {}, onFlush() {}, onEnd() {}, onGetBodyChunk() {}, onCPong() {}, ...overrides };
}

describeTomcat('AJP client against Tomcat 10.1: packetSize 65536 on both ends', () => {
  let tomcat: TomcatHandle;
  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'big', httpPort: false, packetSize: 65536 });
  });
  afterAll(async () => {
    await tomcat?.stop();
  });

  test('response chunks larger than 60000 bytes are decoded whole', async () => {
    const size = 200_000;
    const expected = createHash('sha256').update(patternBytes(size)).digest('hex');
    const req = request({ uri: '/bytes', queryString: `size=${size}&chunk=65536` });

    // The wire as Tomcat sends it, decoded in one piece: each onBody call is then exactly one SEND_BODY_CHUNK.
    const wire = await rawExchange(tomcat.ajpPort, req, 65536);
    const chunks: number[] = [];
    expect(new ResponseDecoder(65536, handler({ onBody: (d) => void chunks.push(d.length) })).execute(wire)).toBeUndefined();
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(size);
    expect(Math.max(...chunks)).toBeGreaterThan(60_000);

    // Through the pool: far fewer body callbacks than 8 KiB packets (8184 bytes each) would need.
    const pool = newPool(tomcat.ajpPort, { maxPacketSize: 65536 });
    let calls = 0;
    let largest = 0;
    const r = await run(pool, req, null, {
      onBody(data) {
        calls++;
        largest = Math.max(largest, data.length);
        return true;
      },
    });
    expect(r.error).toBeUndefined();
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(expected);
    expect(calls).toBeLessThan(Math.ceil(size / 8184));
    expect(largest).toBeGreaterThan(8184);

    // A client still at 8 KiB cannot take these packets, and says so.
    const small = await run(newPool(tomcat.ajpPort), req);
    expect(small.error?.code).toBe('AJP_PROTOCOL');
    expect(small.error?.message).toMatch(/exceeds max_packet_size/);
  });

  test('a request with 30 KiB of headers works at 65536 and is refused up front at 8192', async () => {
    const headers = ['Host', 'localhost'];
    for (let i = 0; i < 30; i++) headers.push(`X-Big-${i}`, `${i}:${'h'.repeat(1024)}`);
    const req = request({ uri: '/echo', headers });
    const echo = json(await run(newPool(tomcat.ajpPort, { maxPacketSize: 65536 }), req)) as { headers: Record<string, string[]> };
    for (let i = 0; i < 30; i++) expect(echo.headers[`X-Big-${i}`]).toEqual([`${i}:${'h'.repeat(1024)}`]);

    const small = await run(newPool(tomcat.ajpPort), req);
    expect(small.error?.code).toBe('AJP_REQUEST_TOO_LARGE');
    expect(small.progress?.sent).toBe(false);
  });
});
