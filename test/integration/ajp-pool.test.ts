import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferBodySource, StreamBodySource } from '../../src/ajp/body.js';
import { PacketSplitter, encodeEndResponse, encodeSendHeaders } from '../../src/ajp/container.js';
import { startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';
import { AjpPool, poolOptions, request, run } from './exchange-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(handler: AjpHandler, maxPacketSize?: number): Promise<AjpServer> {
  const server = await startAjpServer({ handler, ...(maxPacketSize ? { maxPacketSize } : {}) });
  cleanups.push(() => server.close());
  return server;
}

function pool(server: AjpServer, overrides: Parameters<typeof poolOptions>[1] = {}): AjpPool {
  const p = new AjpPool(poolOptions(server.port, overrides));
  cleanups.push(() => p.destroy());
  return p;
}

const echo: AjpHandler = async (req, reply) => {
  const body = await reply.readBody();
  reply.sendHeaders(200, ['Content-Type', 'application/json']);
  reply.write(JSON.stringify({ method: req.method, uri: req.uri, headers: req.headers, length: body.length,
    sha256: createHash('sha256').update(body).digest('hex') }));
  reply.end(true);
};

describe('exchange over a pooled connection (fake backend)', () => {
  it('reuses one connection for sequential requests and adds content-length: 0 to body-less ones', async () => {
    const server = await backend(echo);
    const p = pool(server);
    for (let i = 0; i < 20; i++) {
      const r = await run(p, request({ uri: `/n${i}` }));
      expect(r.error).toBeUndefined();
      const json = JSON.parse(r.body.toString());
      expect(json.uri).toBe(`/n${i}`);
      expect(json.headers).toContain('content-length');
    }
    expect(p.stats.connects).toBe(1);
    expect(server.connections.size).toBe(1);
  });

  it('streams a Content-Length body and a chunked body of 1 MiB, packet by packet', async () => {
    const server = await backend(echo);
    const p = pool(server);
    const data = Buffer.alloc(1024 * 1024, 7);
    const expected = createHash('sha256').update(data).digest('hex');
    for (const mode of ['length', 'chunked'] as const) {
      const stream = new PassThrough();
      const headers = mode === 'length' ? ['Content-Length', String(data.length)] : ['Transfer-Encoding', 'chunked'];
      const pending = run(p, request({ method: 'POST', headers, bodyMode: mode }), new StreamBodySource(stream));
      for (let off = 0; off < data.length; off += 50_000) stream.write(data.subarray(off, off + 50_000));
      stream.end();
      const r = await pending;
      expect(r.error).toBeUndefined();
      expect(JSON.parse(r.body.toString())).toMatchObject({ length: data.length, sha256: expected });
    }
  });

  it('pauses the backend socket when the sink pushes back, and resumes', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    const server = await backend((_, reply) => {
      reply.sendHeaders(200, []);
      reply.write(big);
      reply.end(true);
    });
    const p = pool(server);
    let pushedBack = 0;
    const r = await run(p, request(), null, {
      onBody(_, ex) {
        pushedBack++;
        setImmediate(() => ex.resume());
        return false;
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.body.length).toBe(big.length);
    expect(pushedBack).toBeGreaterThan(10);
  });

  it('returns a connection to the pool unpaused when END arrives in the read that pushed back', async () => {
    const server = await backend((_, reply) => {
      // One writev: body and END reach the client in the same socket read.
      reply.socket.cork();
      reply.sendHeaders(200, []);
      reply.write('last');
      reply.end(true);
      reply.socket.uncork();
    });
    const p = pool(server, { size: 1, replyTimeoutMs: 2000 });
    const first = await run(p, request(), null, { onBody: () => false });
    expect(first.body.toString()).toBe('last');
    const second = await run(p, request());
    expect(second.error).toBeUndefined();
    expect(second.body.toString()).toBe('last');
    expect(p.stats.connects).toBe(1);
  });

  it('replaces a pooled connection the backend closed while idle, without failing the request', async () => {
    const server = await backend(echo);
    const p = pool(server);
    expect((await run(p, request())).error).toBeUndefined();
    // Close the server side of the idle connection; the pool learns it only when it next writes or reads.
    const [socket] = [...server.connections];
    const closed = new Promise((resolve) => socket?.once('close', resolve));
    socket?.destroy();
    await closed;
    const r = await run(p, request({ uri: '/after' }));
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.body.toString()).uri).toBe('/after');
    expect(p.stats.connects).toBe(2);
  });

  it('turns malformed backend output into AJP_PROTOCOL for that request only', async () => {
    let n = 0;
    const server = await backend((req, reply) => {
      if (n++ === 0) {
        reply.socket.write(Buffer.from([0x41, 0x42, 0x00, 0x01, 0x77]));
        return;
      }
      return echo(req, reply);
    });
    const p = pool(server);
    const bad = await run(p, request());
    expect(bad.error?.code).toBe('AJP_PROTOCOL');
    expect(bad.progress?.responded).toBe(false);
    const good = await run(p, request());
    expect(good.error).toBeUndefined();
  });

  it('reports a reply timeout when the backend goes quiet', async () => {
    const server = await backend((_, reply) => reply.sendHeaders(200, []));
    const p = pool(server, { replyTimeoutMs: 100 });
    const r = await run(p, request());
    expect(r.error?.code).toBe('AJP_REPLY_TIMEOUT');
    expect(r.progress?.headersDelivered).toBe(true);
  });

  it('waits for a slot, then fails with a clear acquire timeout', async () => {
    const held: Array<() => void> = [];
    const server = await backend((_, reply) => {
      held.push(() => {
        reply.sendHeaders(204, []);
        reply.end(true);
      });
    });
    const p = pool(server, { size: 1, acquireTimeoutMs: 100 });
    const first = run(p, request());
    const second = await run(p, request());
    expect(second.error?.code).toBe('AJP_ACQUIRE_TIMEOUT');
    expect(second.error?.message).toMatch(/connection_pool_size=1/);
    await expect.poll(() => held.length).toBe(1);
    held[0]?.();
    expect((await first).status).toBe(204);
  });

  it('reports a refused connect after its retries as AJP_CONNECT with nothing sent', async () => {
    const server = await backend(echo);
    const port = server.port;
    await server.close();
    const p = new AjpPool(poolOptions(port));
    const r = await run(p, request(), null, { retries: 3 });
    expect(r.error?.code).toBe('AJP_CONNECT');
    expect(r.progress?.sent).toBe(false);
    expect(p.stats.connectErrors).toBe(3);
  });

  it('CPings after connect and before each request when ping_mode asks', async () => {
    const server = await backend(echo);
    const p = pool(server, { connectPingTimeoutMs: 500, prepostPingTimeoutMs: 500 });
    expect((await run(p, request())).error).toBeUndefined();
    expect((await run(p, request())).error).toBeUndefined();
    expect(p.stats.pingFailures).toBe(0);
  });

  it('fails the CPing of a backend that accepts but never answers', async () => {
    const silent = net.createServer((socket) => socket.resume()); // reads and ignores the CPing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    const port = (silent.address() as net.AddressInfo).port;
    const p = new AjpPool(poolOptions(port, { connectPingTimeoutMs: 200 }));
    cleanups.push(() => p.destroy());
    const r = await run(p, request(), null, { retries: 1 });
    expect(r.error?.code).toBe('AJP_PING');
    expect(p.stats.pingFailures).toBe(1);
    expect(p.stats.open).toBe(0);
  });

  it('reports a refused secret as AJP_SECRET, not as a 403 response', async () => {
    const server = await backend((req, reply) => {
      if (req.secret !== 'right') {
        reply.sendHeaders(403, ['Content-Type', 'text/html']);
        reply.write('<h1>403</h1>');
        reply.end(false);
        return;
      }
      return echo(req, reply);
    });
    const p = pool(server);
    expect((await run(p, request({ secret: 'wrong' }))).error?.code).toBe('AJP_SECRET');
    expect((await run(p, request())).error?.message).toMatch(/no secret was sent/);
    expect((await run(p, request({ secret: 'right' }))).status).toBe(200);
  });

  it('passes an application 403 that keeps the connection through unchanged', async () => {
    const server = await backend((_, reply) => {
      reply.sendHeaders(403, []);
      reply.write('denied');
      reply.end(true);
    });
    const r = await run(pool(server), request());
    expect(r.status).toBe(403);
    expect(r.body.toString()).toBe('denied');
  });

  it('refuses a request too large for one packet without losing the connection', async () => {
    const server = await backend(echo);
    const p = pool(server);
    expect((await run(p, request())).error).toBeUndefined();
    const r = await run(p, request({ headers: ['X-Big', 'x'.repeat(10_000)] }));
    expect(r.error?.code).toBe('AJP_REQUEST_TOO_LARGE');
    expect((await run(p, request())).error).toBeUndefined();
    expect(p.stats.connects).toBe(1);
  });

  it('closes idle connections past connection_pool_timeout, keeping the minimum', async () => {
    const server = await backend(echo);
    const p = pool(server, { idleTimeoutMs: 1000, minSize: 1 });
    await Promise.all([run(p, request()), run(p, request()), run(p, request())]);
    expect(p.stats.open).toBe(3);
    p.maintain(Date.now() + 5000);
    expect(p.stats.open).toBe(1);
  });

  it('works with 64 KiB packets on both ends', async () => {
    const server = await backend(async (req, reply) => {
      const body = await reply.readBody();
      reply.sendHeaders(200, ['X-Size', '200000']);
      reply.write(Buffer.alloc(200_000, 3));
      reply.end(true);
      expect(body.length).toBe(100_000);
    }, 65536);
    const p = pool(server, { maxPacketSize: 65536 });
    const r = await run(p, request({ method: 'PUT', headers: ['Content-Length', '100000'], bodyMode: 'length' }),
      new BufferBodySource(Buffer.alloc(100_000, 9)));
    expect(r.error).toBeUndefined();
    expect(r.body.length).toBe(200_000);
  });

  it('sends no unasked body packet for Content-Length: 0, which Tomcat would take for the next request', async () => {
    // Raw backend: records every packet; Tomcat skips the first body packet when Content-Length is 0.
    const types: Array<number | undefined> = [];
    const raw = net.createServer((socket) => {
      const splitter = new PacketSplitter(8192, (packet) => {
        types.push(packet[4]);
        if (packet[4] === 2) socket.write(Buffer.concat([encodeSendHeaders(204, []), encodeEndResponse(true)]));
      });
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => raw.close(resolve)));
    const p = new AjpPool(poolOptions((raw.address() as net.AddressInfo).port));
    cleanups.push(() => p.destroy());
    const post = request({ method: 'POST', headers: ['Content-Length', '0'], bodyMode: 'length' });
    expect((await run(p, post, new BufferBodySource(Buffer.alloc(0)))).status).toBe(204);
    expect((await run(p, request())).status).toBe(204);
    expect(types).toEqual([2, 2]);
  });
});
