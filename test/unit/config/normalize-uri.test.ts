import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../../src/front/normalize-uri.js';

describe('normalizePath (httpd decoding + jk_servlet_normalize)', () => {
  it.each([
    ['/app/index.jsp', '/app/index.jsp'],
    ['/app//x///y', '/app/x/y'],
    ['/app/./x/.', '/app/x/'],
    ['/app/a/../b', '/app/b'],
    ['/app/a/..', '/app/'],
    ['/app;jsessionid=abc/x;v=1', '/app/x'],
    ['/a%20b', '/a b'],
    ['/%61pp/%2e%2e/x', '/x'],
    ['/app/%3Bx', '/app/'],
    ['/caf%C3%A9', '/café'],
    ['/x?y=1', '/x'],
    ['/', '/'],
  ])('%s -> %s', (raw, want) => expect(normalizePath(raw)).toBe(want));

  it.each([
    '/..', '/../etc/passwd', '/a/../../b', '/%2e%2e/x', '/a%2Fb', '/a%00', '/a%zz', '/a%C3', 'relative', '',
  ])('%s -> null', (raw) => expect(normalizePath(raw)).toBeNull());

  it('returns the same string on the fast path', () => {
    const s = '/plain/path/file.html';
    expect(normalizePath(s)).toBe(s);
  });
});
