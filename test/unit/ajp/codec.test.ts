import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CPING_PACKET, EMPTY_BODY_PACKET, METHOD_CODES, normalizePacketSize } from '../../../src/ajp/constants.js';
import {
  CPONG_PACKET, decodeForwardRequest, encodeEndResponse, encodeGetBodyChunk, encodeSendBodyChunk, encodeSendHeaders,
} from '../../../src/ajp/container.js';
import { encodeBodyPacket, encodeForwardRequest, type ForwardRequest } from '../../../src/ajp/encode.js';
import { AjpRequestTooLargeError } from '../../../src/ajp/errors.js';
import { collect, decodeAll } from './decode-helpers.js';

const base: ForwardRequest = {
  method: 'GET', protocol: 'HTTP/1.1', uri: '/', remoteAddr: '127.0.0.1', remoteHost: '127.0.0.1',
  serverName: 'a-site.com', serverPort: 80, isSsl: false, headers: ['Host', 'a-site.com'], bodyMode: 'none',
};

function encode(req: ForwardRequest, size = 8192): Buffer {
  const out = Buffer.alloc(size);
  return out.subarray(0, encodeForwardRequest(req, out));
}

describe('fixed packets', () => {
  it('CPing, empty body and CPong are the bytes of the spec', () => {
    expect([...CPING_PACKET]).toEqual([0x12, 0x34, 0x00, 0x01, 0x0a]);
    expect([...EMPTY_BODY_PACKET]).toEqual([0x12, 0x34, 0x00, 0x00]);
    expect([...CPONG_PACKET]).toEqual([0x41, 0x42, 0x00, 0x01, 0x09]);
  });

  it('body packets carry their own length after the header', () => {
    expect([...encodeBodyPacket(Buffer.from('abc'))]).toEqual([0x12, 0x34, 0x00, 0x05, 0x00, 0x03, 0x61, 0x62, 0x63]);
  });
});

describe('FORWARD_REQUEST encoding', () => {
  it('matches golden bytes for a body-less GET (content-length: 0 added, as mod_jk does)', () => {
    const bytes = encode({ ...base, uri: '/x', headers: ['Host', 'h'], serverName: 'h' });
    const s = (t: string): number[] => [0, t.length, ...Buffer.from(t, 'latin1'), 0];
    const payload = [
      0x02, 0x02, ...s('HTTP/1.1'), ...s('/x'), ...s('127.0.0.1'), ...s('127.0.0.1'), ...s('h'), 0x00, 0x50, 0x00,
      0x00, 0x02, 0xa0, 0x0b, ...s('h'), 0xa0, 0x08, ...s('0'), 0xff,
    ];
    expect([...bytes]).toEqual([0x12, 0x34, payload.length >> 8, payload.length & 0xff, ...payload]);
  });

  it('codes every method of the table and stores the others (PATCH) in attribute 0x0D', () => {
    for (const [name, code] of METHOD_CODES) {
      expect(encode({ ...base, method: name })[5]).toBe(code);
    }
    const patch = encode({ ...base, method: 'PATCH' });
    expect(patch[5]).toBe(0xff);
    expect(decodeForwardRequest(patch).method).toBe('PATCH');
    const i = patch.indexOf(Buffer.from([0x0d, 0x00, 0x05, ...Buffer.from('PATCH'), 0x00]));
    expect(i).toBeGreaterThan(0);
  });

  it('codes the well-known request headers mod_jk codes, sends others by name, repeats kept', () => {
    const headers = ['Accept', 'a', 'accept-charset', 'b', 'Accept-Encoding', 'c', 'Accept-Language', 'd', 'Authorization', 'e',
      'Connection', 'f', 'Content-Type', 'g', 'Content-Length', '5', 'Cookie', 'i', 'Cookie2', 'j', 'Host', 'k', 'Pragma', 'l',
      'Referer', 'm', 'User-Agent', 'n', 'X-Custom', 'o', 'Cookie', 'p'];
    const bytes = encode({ ...base, headers, bodyMode: 'length' });
    for (let code = 0xa001; code <= 0xa00e; code++) {
      // mod_jk's name match never yields the three Accept-* codes (0xA002-0xA004): they travel by name.
      const coded = code < 0xa002 || code > 0xa004;
      expect(bytes.includes(Buffer.from([code >> 8, code & 0xff, 0x00])), `0x${code.toString(16)}`).toBe(coded);
    }
    const decoded = decodeForwardRequest(bytes);
    expect(decoded.headers.filter((_, i) => i % 2 === 0)).toHaveLength(16);
    expect(decoded.headers.slice(2, 8)).toEqual(['accept-charset', 'b', 'Accept-Encoding', 'c', 'Accept-Language', 'd']);
    expect(decoded.headers.slice(-4)).toEqual(['X-Custom', 'o', 'cookie', 'p']);
  });

  it('writes ssl_key_size as a uint16 and every string attribute as a string', () => {
    const req: ForwardRequest = {
      ...base, isSsl: true, queryString: 'a=1&b=%C3%A9', remoteUser: 'bob', authType: 'Basic', route: 'was1',
      sslCert: '-----BEGIN CERTIFICATE-----', sslCipher: 'TLS_AES_128_GCM_SHA256', sslSession: 'abcd', sslKeySize: 128,
      secret: 's3cret', attributes: ['AJP_REMOTE_PORT', '51234', 'AJP_LOCAL_ADDR', '127.0.0.1'],
    };
    const bytes = encode(req);
    expect(bytes.includes(Buffer.from([0x0b, 0x00, 0x80]))).toBe(true);
    const { bodyMode: _, ...expected } = req;
    expect(decodeForwardRequest(bytes)).toMatchObject({ ...expected, headers: ['host', 'a-site.com', 'content-length', '0'] });
  });

  it('refuses a request that does not fit one packet with a typed error', () => {
    const headers = ['X-Big', 'v'.repeat(9000)];
    expect(() => encode({ ...base, headers })).toThrow(AjpRequestTooLargeError);
    expect(encode({ ...base, headers }, 65536).length).toBeGreaterThan(9000);
  });

  it('round-trips any request', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
    const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    const methods = fc.constantFrom(...METHOD_CODES.keys(), 'PATCH', 'PURGE');
    fc.assert(fc.property(
      methods, latin1, fc.array(fc.tuple(token, latin1), { maxLength: 30 }), fc.option(latin1, { nil: undefined }),
      fc.option(latin1, { nil: undefined }), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      fc.boolean(), fc.integer({ min: 1, max: 65535 }),
      (method, uri, headerPairs, route, secret, keySize, isSsl, port) => {
        const headers = headerPairs.flatMap(([n, v]) => [`X-${n}`, v]);
        const req: ForwardRequest = { ...base, method, uri, headers, route, secret, sslKeySize: keySize, isSsl, serverPort: port, bodyMode: 'chunked' };
        const d = decodeForwardRequest(encode(req, 65536));
        expect(d.method).toBe(method);
        expect(d.uri).toBe(uri);
        expect(d.headers).toEqual(headers);
        expect(d.route).toBe(route || undefined);
        expect(d.secret).toBe(secret || undefined);
        expect(d.sslKeySize).toBe(keySize);
        expect(d.isSsl).toBe(isSsl);
        expect(d.serverPort).toBe(port);
      },
    ));
  });
});

describe('max_packet_size', () => {
  it('rounds up to 1024 and stays within 8192..65536 as mod_jk does', () => {
    expect(normalizePacketSize(0)).toBe(8192);
    expect(normalizePacketSize(8000)).toBe(8192);
    expect(normalizePacketSize(8193)).toBe(9216);
    expect(normalizePacketSize(16000)).toBe(16384);
    expect(normalizePacketSize(65536)).toBe(65536);
    expect(normalizePacketSize(100000)).toBe(65536);
  });
});

describe('response decoding', () => {
  const stream = Buffer.concat([
    encodeSendHeaders(200, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Route', 'was1']),
    encodeSendBodyChunk(Buffer.from('hello ')),
    encodeSendBodyChunk(Buffer.alloc(0)),
    encodeGetBodyChunk(8186),
    encodeSendBodyChunk(Buffer.from('world')),
    encodeEndResponse(true),
  ]);

  it('decodes headers (reason phrase supplied for digits), body, flush, GET_BODY_CHUNK and END', () => {
    expect(decodeAll(stream, [stream.length])).toEqual([
      ['headers', 200, 'OK', ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Route', 'was1']],
      ['body', 'hello '], ['flush'], ['getBody', 8186], ['body', 'world'], ['end', true],
    ]);
  });

  it('keeps a reason phrase Tomcat does send, and decodes CPong', () => {
    const events = decodeAll(Buffer.concat([encodeSendHeaders(404, [], 'Nope'), encodeEndResponse(false)]), [1000]);
    expect(events).toEqual([['headers', 404, 'Nope', []], ['end', false]]);
    expect(decodeAll(CPONG_PACKET, [5])).toEqual([['cpong']]);
  });

  it('decodes the same whatever the split', () => {
    const whole = collect(decodeAll(stream, [stream.length]));
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), (sizes) => {
      expect(collect(decodeAll(stream, sizes))).toEqual(whole);
    }));
  });

  const malformed: Array<[string, Buffer, RegExp]> = [
    ['bad magic', Buffer.from([0x12, 0x34, 0, 1, 9]), /bad magic/],
    ['a length over max_packet_size', Buffer.from([0x41, 0x42, 0x20, 0x00, 3]), /exceeds max_packet_size/],
    ['an unknown type', Buffer.from([0x41, 0x42, 0, 1, 0x42]), /unknown packet type/],
    ['a header count beyond the packet', Buffer.from([0x41, 0x42, 0, 8, 4, 0, 200, 0, 0, 0, 0, 5]), /beyond the packet/],
    ['a second SEND_HEADERS', Buffer.concat([encodeSendHeaders(200, []), encodeSendHeaders(200, [])]), /second SEND_HEADERS/],
    ['a body chunk longer than its packet', Buffer.concat([encodeSendHeaders(200, []), Buffer.from([0x41, 0x42, 0, 5, 3, 0, 9, 1, 2])]), /overflows/],
    ['body before headers', encodeSendBodyChunk(Buffer.from('x')), /before SEND_HEADERS/],
    ['bytes after END_RESPONSE', Buffer.concat([encodeSendHeaders(200, []), encodeEndResponse(true), Buffer.from([0x41])]), /after END_RESPONSE/],
  ];
  it.each(malformed)('reports %s as a protocol error, never a throw', (_, bytes, message) => {
    const events = decodeAll(bytes, [bytes.length]);
    const last = events[events.length - 1] as unknown[];
    expect(last[0]).toBe('error');
    expect(last[1]).toMatch(message);
  });

  it('reports a truncated packet as incomplete, not as success', () => {
    const bytes = encodeSendHeaders(200, ['A', 'b']).subarray(0, 10);
    expect(decodeAll(bytes, [bytes.length])).toEqual([]);
  });
});
