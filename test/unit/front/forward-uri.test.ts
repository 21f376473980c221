import { describe, expect, it } from 'vitest';
import { forwardUri } from '../../../src/front/forward-uri.js';

describe('forwardUri (ForwardURIProxy)', () => {
  it('forwards clean paths untouched, the same string', () => {
    const raw = '/app/page.jsp;jsessionid=ABC.was1';
    expect(forwardUri(raw)).toBe(raw);
    expect(forwardUri('/')).toBe('/');
  });

  it.each([
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['//a///b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/%2e%2e/b', '/b'],
    ['/caf%C3%A9/x y', '/caf%C3%A9/x%20y'],
    ['/%7Euser/a;jsessionid=X.was1', '/~user/a;jsessionid=X.was1'],
    ['/a/%2E/b;p=1', '/a/b;p=1'],
    // Nothing to decode, yet characters jk_canonenc encodes: httpd sends Tomcat these escaped.
    ['/echo/<a>{b}', '/echo/%3Ca%3E%7Bb%7D'],
    ['/echo/`x"|y^z\\', '/echo/%60x%22%7Cy%5Ez%5C'],
    ["/keep/~!$&'()*+,;=:@-._", "/keep/~!$&'()*+,;=:@-._"],
  ])('normalises and re-encodes %s as %s', (raw, expected) => {
    expect(forwardUri(raw)).toBe(expected);
  });

  it('refuses what escapes the root or cannot be decoded', () => {
    expect(forwardUri('/../x')).toBeNull();
    expect(forwardUri('/%E0%A4%A')).toBeNull();
  });
});
