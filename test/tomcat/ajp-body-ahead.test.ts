// body_ahead against a real Tomcat 10.1: the request body goes one packet ahead of GET_BODY_CHUNK. Tomcat reads
// its socket as a stream, so a packet that is already there is simply read; what must never happen is a packet
// left unread when the servlet stops reading, because Tomcat would parse it as the next request. These tests
// hold both: whole bodies arrive intact on one connection, and a servlet that stops early costs a new
// connection, never a broken request.

import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { StreamBodySource } from '../../src/ajp/body.js';
import { AjpPool, poolOptions, request, run, type ExchangeResult } from '../integration/exchange-helpers.js';
import { describeTomcat, startTomcat, type TomcatHandle } from './harness/index.js';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function upload(pool: AjpPool, data: Buffer, mode: 'length' | 'chunked', queryString?: string): Promise<ExchangeResult> {
  const stream = new PassThrough();
  const lengthHeader = mode === 'length' ? ['Content-Length', String(data.length)] : ['Transfer-Encoding', 'chunked'];
  const pending = run(pool, request({
    method: 'POST', uri: '/upload', queryString, bodyMode: mode,
    headers: ['Host', 'localhost', 'Content-Type', 'application/octet-stream', ...lengthHeader],
  }), new StreamBodySource(stream));
  // Written without waiting for 'drain': a servlet that stops reading never drains the stream.
  for (let off = 0; off < data.length; off += 65536) stream.write(data.subarray(off, off + 65536));
  stream.end();
  return pending;
}

function uploaded(r: ExchangeResult): { bodyLength: number; bodySha256: string } {
  expect(r.error, r.error?.message).toBeUndefined();
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8'));
}

describeTomcat('AJP client against Tomcat 10.1: request body one packet ahead', () => {
  let tomcat: TomcatHandle;

  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'ahead', httpPort: false });
  });
  afterAll(async () => {
    await tomcat?.stop();
  });

  test('10 MiB with Content-Length and chunked arrive intact, all on one connection', async () => {
    const pool = new AjpPool(poolOptions(tomcat.ajpPort, { replyTimeoutMs: 20_000, bodyAhead: true }));
    try {
      const data = randomBytes(10 * 1024 * 1024);
      for (const mode of ['length', 'chunked', 'length'] as const) {
        expect(uploaded(await upload(pool, data, mode)), mode).toMatchObject({ bodyLength: data.length, bodySha256: sha256(data) });
      }
      expect(pool.stats.connects).toBe(1);
    } finally {
      pool.destroy();
    }
  });

  test('a servlet that stops reading early gets its answer through and the next requests a clean connection', async () => {
    const pool = new AjpPool(poolOptions(tomcat.ajpPort, { replyTimeoutMs: 5_000, bodyAhead: true, size: 1 }));
    try {
      const data = randomBytes(1024 * 1024);
      for (const mode of ['length', 'chunked'] as const) {
        const part = uploaded(await upload(pool, data, mode, 'atMost=30000'));
        expect(part.bodyLength, mode).toBeGreaterThanOrEqual(30000);
        expect(part.bodyLength, mode).toBeLessThan(data.length);
        expect(part.bodySha256, mode).toBe(sha256(data.subarray(0, part.bodyLength)));
        // Had the unread packet stayed on the socket, Tomcat would have taken it for this request.
        expect(uploaded(await upload(pool, data.subarray(0, 50_000), 'length')), mode).toMatchObject({
          bodyLength: 50_000, bodySha256: sha256(data.subarray(0, 50_000)),
        });
      }
      // One connection per early stop, plus the one the last clean upload left in the pool.
      expect(pool.stats.connects).toBe(3);
    } finally {
      pool.destroy();
    }
  });
});
