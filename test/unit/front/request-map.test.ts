import { describe, expect, it } from 'vitest';
import { escapeProblem } from '../../../src/front/normalize-uri.js';
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

describe('escapeProblem (httpd ap_unescape_url)', () => {
  it('finds an encoded slash or NUL (404 in httpd), and nothing in good escapes', () => {
    expect(escapeProblem('/a%2Fb')).toBe('badpath');
    expect(escapeProblem('/a%2fb')).toBe('badpath');
    expect(escapeProblem('/a%00b')).toBe('badpath');
    expect(escapeProblem('/a%20b%2E%2e')).toBeNull();
    expect(escapeProblem('/plain/path')).toBeNull();
  });
  it('puts a malformed escape (400) before an encoded slash, wherever each is', () => {
    expect(escapeProblem('/a%2')).toBe('malformed');
    expect(escapeProblem('/a%2F/b%zz')).toBe('malformed');
    expect(escapeProblem('/a%/b%2F')).toBe('malformed');
  });
});
