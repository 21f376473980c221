// Request bodies one packet ahead of GET_BODY_CHUNK (worker option body_ahead): the bytes arrive intact, the
// packets really go out unasked, and a response that ends with one of them unread never leaves its connection
// in the pool (Tomcat would take that packet for the next request). The same against real Tomcat is in
// test/tomcat/ajp-client-requests.test.ts.

import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamBodySource } from '../../src/ajp/body.js';
import { startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';
import { AjpPool, poolOptions, request, run } from './exchange-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(handler: AjpHandler): Promise<AjpServer> {
  const server = await startAjpServer({ handler });
  cleanups.push(() => server.close());
  return server;
}

function pool(server: AjpServer, bodyAhead: boolean): AjpPool {
  const p = new AjpPool(poolOptions(server.port, { bodyAhead }));
  cleanups.push(() => p.destroy());
  return p;
}

/** Reads at most ?atMost= bytes of the body (all of it without), answers with how many and their digest. */
const reader: AjpHandler = async (req, reply) => {
  const atMost = /atMost=(\d+)/.exec(req.queryString ?? '');
  const body = await reply.readBody(atMost ? Number(atMost[1]) : undefined);
  reply.sendHeaders(200, ['Content-Type', 'application/json']);
  reply.write(JSON.stringify({ length: body.length, sha256: createHash('sha256').update(body).digest('hex') }));
  reply.end(true);
};

const MiB = Buffer.alloc(1024 * 1024);
for (let i = 0; i < MiB.length; i++) MiB[i] = (i * 7) & 0xff;

async function upload(p: AjpPool, mode: 'length' | 'chunked', data: Buffer, query?: string): Promise<{ length: number; sha256: string }> {
  const stream = new PassThrough();
  const headers = mode === 'length' ? ['Content-Length', String(data.length)] : ['Transfer-Encoding', 'chunked'];
  const pending = run(p, request({ method: 'POST', uri: '/upload', queryString: query, headers, bodyMode: mode }), new StreamBodySource(stream));
  for (let off = 0; off < data.length; off += 50_000) stream.write(data.subarray(off, off + 50_000));
  stream.end();
  const r = await pending;
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString());
}

describe('request body one packet ahead (fake backend)', () => {
  for (const bodyAhead of [false, true]) {
    it(`streams 1 MiB bodies intact and keeps the connection, body_ahead ${bodyAhead ? 'on' : 'off'}`, async () => {
      const server = await backend(reader);
      const p = pool(server, bodyAhead);
      const digest = createHash('sha256').update(MiB).digest('hex');
      for (const mode of ['length', 'chunked', 'length'] as const) {
        expect(await upload(p, mode, MiB)).toEqual({ length: MiB.length, sha256: digest });
      }
      expect(p.stats.connects).toBe(1);
      expect(server.unreadBodyPackets).toBe(0);
      // Off: Tomcat's rule, nothing after the first packet comes unasked. On: packets were waiting when asked for.
      if (bodyAhead) expect(server.earlyBodyPackets).toBeGreaterThan(0);
      else expect(server.earlyBodyPackets).toBe(0);
    });
  }

  it('closes the connection, not reuses it, when the application stopped reading with a packet sent ahead', async () => {
    const server = await backend(reader);
    const p = pool(server, true);
    const part = await upload(p, 'length', MiB, 'atMost=30000');
    // Four packets of 8,186 bytes cross 30,000: the servlet took those and answered.
    expect(part.length).toBe(4 * 8186);
    expect(server.unreadBodyPackets).toBe(1);
    const whole = await upload(p, 'length', MiB.subarray(0, 100_000));
    expect(whole.length).toBe(100_000);
    expect(p.stats.connects).toBe(2);
    expect(server.unreadBodyPackets).toBe(1);
  });

  it('leaves nothing unread and keeps the connection without body_ahead, whatever the application reads', async () => {
    const server = await backend(reader);
    const p = pool(server, false);
    expect((await upload(p, 'length', MiB, 'atMost=30000')).length).toBe(4 * 8186);
    expect((await upload(p, 'chunked', MiB, 'atMost=30000')).length).toBeGreaterThanOrEqual(30000);
    expect(p.stats.connects).toBe(1);
    expect(server.unreadBodyPackets).toBe(0);
  });
});
