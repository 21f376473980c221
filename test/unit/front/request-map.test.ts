import { describe, expect, it } from 'vitest';
import { hasEncodedSlash } from '../../../src/front/normalize-uri.js';
import type { TLSSocket } from 'node:tls';
import { sessionIdOf, tlsDetailsOf } from '../../../src/front/tls-details.js';
import type { IncomingMessage } from 'node:http';
import { classifyRequest, mergeRepeatedFields, serverNameAndPort } from '../../../src/front/request-map.js';

describe('mergeRepeatedFields (httpd joins a repeated request header into its first line)', () => {
  it('returns the very same array when no name repeats', () => {
    const raw = ['Host', 'a', 'Accept', '*/*', 'Cookie', 'x=1', 'User-Agent', 'u'];
    expect(mergeRepeatedFields(raw)).toBe(raw);
  });

  it('joins repeats with ", " under the first spelling, in the first position, whatever the case', () => {
    const raw = ['Host', 'a', 'X-Forwarded-For', '10.0.0.1', 'Accept', '*/*', 'x-forwarded-for', '10.0.0.2', 'X-FORWARDED-FOR', '10.0.0.3'];
    expect(mergeRepeatedFields(raw)).toEqual(['Host', 'a', 'X-Forwarded-For', '10.0.0.1, 10.0.0.2, 10.0.0.3', 'Accept', '*/*']);
    expect(raw).toHaveLength(10);
  });

  it('keeps fields after a repeat, and merges two different names each into its own first line', () => {
    const raw = ['A', '1', 'B', '2', 'a', '3', 'C', '4', 'b', '', 'D', '5'];
    expect(mergeRepeatedFields(raw)).toEqual(['A', '1, 3', 'B', '2, ', 'C', '4', 'D', '5']);
  });

  it('does not fold names that differ only outside the letters', () => {
    expect(mergeRepeatedFields(['X-A', '1', 'X_A', '2'])).toEqual(['X-A', '1', 'X_A', '2']);
    expect(mergeRepeatedFields(['X[1', '1', 'X{1', '2'])).toEqual(['X[1', '1', 'X{1', '2']);
  });
});

describe('serverNameAndPort (ap_get_server_name/port, UseCanonicalName Off)', () => {
  it('takes name and port from Host, the default port when Host has none', () => {
    expect(serverNameAndPort('a-site.com:8080', '127.0.0.1', false)).toEqual(['a-site.com', 8080]);
    expect(serverNameAndPort('a-site.com', '127.0.0.1', false)).toEqual(['a-site.com', 80]);
    expect(serverNameAndPort('a-site.com', '127.0.0.1', true)).toEqual(['a-site.com', 443]);
    expect(serverNameAndPort('[::1]:8443', '::1', true)).toEqual(['::1', 8443]);
    expect(serverNameAndPort('[::1]', '::1', false)).toEqual(['::1', 80]);
    expect(serverNameAndPort('A-Site.COM', '127.0.0.1', false)).toEqual(['a-site.com', 80]);
  });

  it('without a Host: the listener address and the scheme default port', () => {
    expect(serverNameAndPort(undefined, '10.0.0.5', false)).toEqual(['10.0.0.5', 80]);
    expect(serverNameAndPort('', '10.0.0.5', true)).toEqual(['10.0.0.5', 443]);
  });
});

describe('hasEncodedSlash', () => {
  it('finds %2F and %2f only', () => {
    expect(hasEncodedSlash('/a%2Fb')).toBe(true);
    expect(hasEncodedSlash('/a%2fb')).toBe(true);
    expect(hasEncodedSlash('/a%2')).toBe(false);
    expect(hasEncodedSlash('/a%20b%2E%2e')).toBe(false);
    expect(hasEncodedSlash('/plain/path')).toBe(false);
  });
});

describe('classifyRequest: the request target', () => {
  const shape = (url: string) => classifyRequest({ url, headers: {} } as IncomingMessage);

  it('takes the path and the authority of an absolute-form target', () => {
    expect(shape('http://a-site.com:8080/echo?x=1')).toEqual({ uri: '/echo', query: 'x=1', bodyMode: 'none', authority: 'a-site.com:8080' });
    expect(shape('HTTPS://user:pw@b-site.com?x')).toEqual({ uri: '/', query: 'x', bodyMode: 'none', authority: 'b-site.com' });
    expect(shape('http://a-site.com')).toMatchObject({ uri: '/', query: undefined, authority: 'a-site.com' });
  });

  it('leaves origin-form alone and other forms for the caller to refuse', () => {
    expect(shape('/echo?x=1')).toEqual({ uri: '/echo', query: 'x=1', bodyMode: 'none', authority: undefined });
    expect(shape('*')).toMatchObject({ uri: '*', authority: undefined });
    expect(shape('ftp://a-site.com/x')).toMatchObject({ uri: 'ftp://a-site.com/x', authority: undefined });
  });
});

describe('sessionIdOf (the id inside OpenSSL\'s DER session)', () => {
  it('reads the fourth field of the SEQUENCE, long-form outer length included', () => {
    const id = Buffer.alloc(32, 0xab);
    const inner = Buffer.concat([Buffer.from([0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x02, 0x13, 0x02, 0x04, 0x20]), id, Buffer.alloc(200, 1)]);
    const der = Buffer.concat([Buffer.from([0x30, 0x81, inner.length]), inner]);
    expect(sessionIdOf(der)).toBe('ab'.repeat(32));
    const long = Buffer.concat([Buffer.from([0x30, 0x82, 0x00, inner.length]), inner]);
    expect(sessionIdOf(long)).toBe('ab'.repeat(32));
  });

  it('says nothing for an empty id, another shape, or no session', () => {
    const empty = Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03, 0x04, 0x02, 0xc0, 0x2f, 0x04, 0x00]);
    expect(sessionIdOf(empty)).toBeUndefined();
    expect(sessionIdOf(Buffer.from([0x31, 0x00]))).toBeUndefined();
    expect(sessionIdOf(Buffer.from([0x30, 0x05, 0x02, 0x01]))).toBeUndefined();
    expect(sessionIdOf(undefined)).toBeUndefined();
  });
});

describe('tlsDetailsOf', () => {
  it('reads a connection once, however many requests it carries', () => {
    let reads = 0;
    const fakeSocket = (name: string) => ({
      getCipher: () => { reads++; return { name, standardName: name, version: 'TLSv1.3' }; },
      getPeerCertificate: () => ({ raw: Buffer.from('cert') }),
      getSession: () => undefined,
      getProtocol: () => 'TLSv1.3',
    }) as unknown as TLSSocket;
    const a = fakeSocket('TLS_AES_256_GCM_SHA384');
    const b = fakeSocket('TLS_CHACHA20_POLY1305_SHA256');
    expect(tlsDetailsOf(a)).toMatchObject({ cipher: 'TLS_AES_256_GCM_SHA384', keySize: 256, protocol: 'TLSv1.3' });
    expect(tlsDetailsOf(a).certPem).toContain('-----BEGIN CERTIFICATE-----\nY2VydA==\n');
    expect(tlsDetailsOf(b)).toMatchObject({ cipher: 'TLS_CHACHA20_POLY1305_SHA256', keySize: 256 });
    expect(reads).toBe(2);
  });
});
