// The AJP client (src/ajp: AjpPool + WorkerExchange) against a real Tomcat 10.1, no HTTP front: what Tomcat's
// servlet sees of methods, query strings, headers, bodies and request attributes, and what we make of its
// responses. /echo answers with JSON describing the request as the servlet API reports it.

import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BufferBodySource, StreamBodySource } from '../../src/ajp/body.js';
import type { ExchangeSink } from '../../src/ajp/connection.js';
import type { ForwardRequest } from '../../src/ajp/encode.js';
import type { AjpError } from '../../src/ajp/errors.js';
import { WorkerExchange } from '../../src/ajp/exchange.js';
import { AjpPool, poolOptions, request, run, type ExchangeResult } from '../integration/exchange-helpers.js';
import { describeTomcat, patternBytes, startTomcat, type TomcatHandle } from './harness/index.js';

interface Echo {
  method: string;
  requestURI: string;
  queryString: string | null;
  protocol: string;
  headers: Record<string, string[]>;
  remoteAddr: string;
  remoteHost: string;
  remotePort: number;
  localAddr: string;
  localName: string;
  localPort: number;
  serverName: string;
  serverPort: number;
  scheme: string;
  isSecure: boolean;
  contentLength: number;
  attributes: Record<string, string>;
  param?: string | null;
  paramValue?: string | null;
  bodyLength: number;
  bodySha256: string;
}

function echoOf(r: ExchangeResult): Echo {
  expect(r.error, r.error?.message).toBeUndefined();
  expect(r.status).toBe(200);
  return JSON.parse(r.body.toString('utf8')) as Echo;
}

/** Header values by lower-cased name: AJP keeps the client's spelling, Tomcat's map keeps AJP's. */
function headerMap(echo: Echo): Map<string, string[]> {
  return new Map(Object.entries(echo.headers).map(([name, values]) => [name.toLowerCase(), values]));
}

/** Response header values of one name, in order. */
function responseHeaders(r: ExchangeResult, name: string): string[] {
  const out: string[] = [];
  const h = r.headers ?? [];
  for (let i = 0; i + 1 < h.length; i += 2) if ((h[i] as string).toLowerCase() === name.toLowerCase()) out.push(h[i + 1] as string);
  return out;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `data` into `stream` as a client would, 64 KiB at a time and honouring backpressure. */
async function pump(stream: PassThrough, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += 65536) {
    if (!stream.write(data.subarray(off, off + 65536))) await once(stream, 'drain');
  }
  stream.end();
}

const EMPTY_SHA256 = sha256('');

describeTomcat('AJP client against Tomcat 10.1: requests and responses', () => {
  let tomcat: TomcatHandle;
  let pool: AjpPool;

  beforeAll(async () => {
    tomcat = await startTomcat({ jvmRoute: 'req', httpPort: false });
    pool = new AjpPool(poolOptions(tomcat.ajpPort, { replyTimeoutMs: 20_000 }));
  });
  afterAll(async () => {
    pool?.destroy();
    await tomcat?.stop();
  });

  test('GET, POST, PUT, DELETE, OPTIONS, PATCH (stored method), PROPFIND and LOCK reach the servlet as sent', async () => {
    const payload = Buffer.from('{"hello":"tomcat"}');
    for (const method of ['GET', 'DELETE', 'OPTIONS', 'PROPFIND', 'LOCK']) {
      const echo = echoOf(await run(pool, request({ method, uri: '/echo' })));
      expect(echo).toMatchObject({ method, requestURI: '/echo', protocol: 'HTTP/1.1', bodyLength: 0 });
    }
    for (const method of ['POST', 'PUT', 'PATCH']) {
      const r = await run(pool, request({
        method, uri: '/echo', bodyMode: 'length',
        headers: ['Host', 'localhost', 'Content-Type', 'application/json', 'Content-Length', String(payload.length)],
      }), new BufferBodySource(payload));
      const echo = echoOf(r);
      expect(echo).toMatchObject({ method, bodyLength: payload.length, bodySha256: sha256(payload), contentLength: payload.length });
    }
    expect(pool.stats.connects).toBe(1);
  });

  test('HEAD gets the headers and no body', async () => {
    const r = await run(pool, request({ method: 'HEAD', uri: '/echo' }));
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(responseHeaders(r, 'Content-Type')).toEqual(['application/json;charset=UTF-8']);
    expect(r.body.length).toBe(0);
    // Tomcat still ran the servlet: the length of the body it did not send is announced.
    expect(Number(responseHeaders(r, 'Content-Length')[0])).toBeGreaterThan(100);
  });

  test('UTF-8 in the query, %-encoded or as raw bytes, decodes in getParameter; the path stays raw', async () => {
    const encoded = echoOf(await run(pool, request({ uri: '/echo/%C3%A9t%C3%A9', queryString: 'param=name&name=%C3%A9t%C3%A9%20%E2%9C%93' })));
    expect(encoded).toMatchObject({
      requestURI: '/echo/%C3%A9t%C3%A9', queryString: 'param=name&name=%C3%A9t%C3%A9%20%E2%9C%93', param: 'name', paramValue: 'été ✓',
    });
    // A client that sends raw UTF-8 bytes: Node hands them to us as a latin1 string; they go out unchanged.
    const raw = `param=name&name=${Buffer.from('été ✓ 日本', 'utf8').toString('latin1')}`;
    const rawEcho = echoOf(await run(pool, request({ uri: '/echo', queryString: raw })));
    expect(rawEcho.paramValue).toBe('été ✓ 日本');
  });

  test('90 request headers arrive intact, repeated ones kept as repeats', async () => {
    const headers = ['Host', 'localhost', 'User-Agent', 'ajplb-test', 'X-Multi', 'first', 'X-Multi', 'second'];
    for (let i = 0; headers.length < 180; i++) headers.push(`X-Header-${i}`, `value ${i} ${'v'.repeat(i)}`);
    expect(headers.length / 2).toBe(90);
    const seen = headerMap(echoOf(await run(pool, request({ uri: '/echo', headers }))));
    expect(seen.get('x-multi')).toEqual(['first', 'second']);
    expect(seen.get('user-agent')).toEqual(['ajplb-test']);
    expect(seen.get('host')).toEqual(['localhost']);
    for (let i = 0; i < 86; i++) expect(seen.get(`x-header-${i}`), `X-Header-${i}`).toEqual([`value ${i} ${'v'.repeat(i)}`]);
    // 89 distinct names + the content-length: 0 we add to a body-less request.
    expect(seen.size).toBe(90);
  });

  test('a 10 MiB upload with Content-Length and one chunked, streamed, hash equal on Tomcat\'s side', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const expected = sha256(data);
    for (const mode of ['length', 'chunked'] as const) {
      const stream = new PassThrough();
      const lengthHeader = mode === 'length' ? ['Content-Length', String(data.length)] : ['Transfer-Encoding', 'chunked'];
      const pending = run(pool, request({
        method: 'POST', uri: '/echo', bodyMode: mode,
        headers: ['Host', 'localhost', 'Content-Type', 'application/octet-stream', ...lengthHeader],
      }), new StreamBodySource(stream));
      await pump(stream, data);
      const echo = echoOf(await pending);
      // Chunked: Tomcat knows no length up front and pulls every packet with GET_BODY_CHUNK.
      const contentLength = mode === 'length' ? data.length : -1;
      expect(echo, mode).toMatchObject({ method: 'POST', contentLength, bodyLength: data.length, bodySha256: expected });
    }
  });

  test('a 50 MiB download streams through the sink without piling up in memory', async () => {
    const size = 50 * 1024 * 1024;
    // The pattern repeats every 256 bytes, so 64 KiB of it stands for any stretch.
    const pattern = patternBytes(65536 + 8192);
    const hash = createHash('sha256');
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    let received = 0;
    let mismatchAt = -1;
    let calls = 0;
    const r = await new Promise<{ status?: number; error?: AjpError }>((resolve) => {
      const result: { status?: number; error?: AjpError } = {};
      const sink: ExchangeSink = {
        onHeaders(status) {
          result.status = status;
        },
        onBody(data) {
          hash.update(data);
          const start = received % 256;
          if (mismatchAt < 0 && (data.length > 65536 || !data.equals(pattern.subarray(start, start + data.length)))) mismatchAt = received;
          received += data.length;
          if (++calls % 256 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
          return true;
        },
        onFlush() {},
        onComplete: () => resolve(result),
        onError(error) {
          result.error = error;
          resolve(result);
        },
      };
      new WorkerExchange(pool, { retries: 1, retryIntervalMs: 10 }).start(request({ uri: '/bytes', queryString: `size=${size}` }), null, sink);
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(received).toBe(size);
    expect(mismatchAt).toBe(-1);
    const expected = createHash('sha256');
    const block = pattern.subarray(0, 65536);
    for (let off = 0; off < size; off += block.length) expected.update(block);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    expect(rssPeak - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  test('204 and 304 arrive without a body; reason phrases are supplied; Set-Cookie repeats stay apart', async () => {
    const ok = await run(pool, request({ uri: '/status', queryString: 'code=200' }));
    expect(ok).toMatchObject({ status: 200, reason: 'OK' });
    expect(ok.body.toString()).toBe('status 200 body\n');
    for (const [code, reason] of [[204, 'No Content'], [304, 'Not Modified']] as const) {
      const r = await run(pool, request({ uri: '/status', queryString: `code=${code}` }));
      expect(r.error).toBeUndefined();
      expect(r).toMatchObject({ status: code, reason });
      expect(r.body.length).toBe(0);
    }
    const cookies = await run(pool, request({ uri: '/cookies', queryString: 'n=3' }));
    expect(cookies.status).toBe(200);
    expect(responseHeaders(cookies, 'Set-Cookie')).toEqual(['c1=v1; Path=/', 'c2=v2; Path=/', 'c3=v3; Path=/']);
    const missing = await run(pool, request({ uri: '/nowhere' }));
    expect(missing).toMatchObject({ status: 404, reason: 'Not Found' });
  });

  test('remote/local addresses and ports, server name/port from Host or server_name, TLS facts', async () => {
    const base: Partial<ForwardRequest> = {
      uri: '/echo', remoteAddr: '127.0.0.9', remoteHost: '127.0.0.9', serverName: 'backend.internal', serverPort: 8009,
      attributes: ['AJP_REMOTE_PORT', '54321', 'AJP_LOCAL_ADDR', '127.0.0.8'],
    };
    const withHost = echoOf(await run(pool, request({ ...base, headers: ['Host', 'www.example.test:8080'] })));
    expect(withHost).toMatchObject({
      remoteAddr: '127.0.0.9', remotePort: 54321, localAddr: '127.0.0.8', localName: 'backend.internal', localPort: 8009,
      serverName: 'www.example.test', serverPort: 8080, scheme: 'http', isSecure: false,
    });
    // Without a Host header, server_name and server_port are what the servlet sees.
    const noHost = echoOf(await run(pool, request({ ...base, headers: [] })));
    expect(noHost).toMatchObject({ serverName: 'backend.internal', serverPort: 8009 });

    const tls = echoOf(await run(pool, request({
      ...base, headers: ['Host', 'www.example.test'], isSsl: true, sslCipher: 'TLS_AES_128_GCM_SHA256', sslKeySize: 128,
      sslSession: 'c0ffee', attributes: [...(base.attributes as string[]), 'AJP_SSL_PROTOCOL', 'TLSv1.3'],
    })));
    expect(tls).toMatchObject({ scheme: 'https', isSecure: true, serverName: 'www.example.test', serverPort: 443, remotePort: 54321 });
    expect(tls.attributes).toMatchObject({
      'jakarta.servlet.request.cipher_suite': 'TLS_AES_128_GCM_SHA256',
      'jakarta.servlet.request.key_size': '128',
      'jakarta.servlet.request.ssl_session_id': 'c0ffee',
      'org.apache.tomcat.util.net.secure_protocol_version': 'TLSv1.3',
    });
    expect(tls.bodySha256).toBe(EMPTY_SHA256);
  });

  test('bodies Tomcat does not read: Content-Length 0 sent as bodyMode length, and 1 MiB the servlet ignores', async () => {
    const connects = pool.stats.connects;
    // Tomcat reads no body packet for Content-Length: 0; an unasked one would be taken for the next request.
    const empty = await run(pool, request({
      method: 'POST', uri: '/echo', bodyMode: 'length', headers: ['Host', 'localhost', 'Content-Length', '0'],
    }), new BufferBodySource(Buffer.alloc(0)));
    expect(echoOf(empty)).toMatchObject({ method: 'POST', contentLength: 0, bodyLength: 0 });
    expect(echoOf(await run(pool, request({ uri: '/echo', queryString: 'after=empty' }))).queryString).toBe('after=empty');

    const ignored = Buffer.alloc(1024 * 1024, 0x61);
    const r = await run(pool, request({
      method: 'POST', uri: '/status', queryString: 'code=201', bodyMode: 'length',
      headers: ['Host', 'localhost', 'Content-Length', String(ignored.length)],
    }), new BufferBodySource(ignored));
    expect(r).toMatchObject({ status: 201, reason: 'Created' });
    expect(echoOf(await run(pool, request({ uri: '/echo', queryString: 'after=ignored' }))).queryString).toBe('after=ignored');
    expect(pool.stats.connects).toBe(connects);
  });

  test('an application 403 is a response, not a secret failure; TRACE is refused with 405', async () => {
    const denied = await run(pool, request({ uri: '/status', queryString: 'code=403' }));
    expect(denied.error).toBeUndefined();
    expect(denied).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect(denied.body.toString()).toBe('status 403 body\n');
    expect((await run(pool, request({ method: 'TRACE', uri: '/echo' }))).status).toBe(405);
  });

  test('response headers too big for one packet: Tomcat goes silent, the reply timeout reports it', async () => {
    // Tomcat logs "does not fit in an AJP packet" and sends nothing, not even a close: without a reply timeout
    // (mod_jk's default is none) this request would wait forever.
    const timed = new AjpPool(poolOptions(tomcat.ajpPort, { replyTimeoutMs: 1000 }));
    try {
      expect((await run(timed, request({ uri: '/headers-many', queryString: 'n=200' }))).headers?.length).toBe(2 * 200 + 6);
      const r = await run(timed, request({ uri: '/headers-many', queryString: 'n=600' }));
      expect(r.error?.code).toBe('AJP_REPLY_TIMEOUT');
      expect(r.progress).toMatchObject({ sent: true, responded: false });
      expect(await tomcat.log()).toMatch(/does not fit in an AJP packet/);
    } finally {
      timed.destroy();
    }
  });
});
