import { describe, expect, it } from 'vitest';
import { compileVhosts, hostName } from '../../../src/config/index.js';
import { canonicalIp, vhostAddress, vhostsNoListenerReaches } from '../../../src/config/vhosts.js';
import type { AppConfig, MountRule, VirtualHostConfig } from '../../../src/config/index.js';

const rule = (worker: string): MountRule => ({ pattern: '/*', worker, exclude: false, disabled: false, extensions: {}, source: 'jkmount', defined: { file: 'f', line: 1 } });
const vh = (addresses: string[], names: string[], worker: string): VirtualHostConfig => ({ names, addresses, mounts: [rule(worker)], defined: { file: 'f', line: 1 } });
const app = (vhosts: VirtualHostConfig[], mounts: MountRule[] = []): AppConfig => ({
  workers: { list: [], maintainSec: 60, workers: new Map() }, mounts, vhosts, listeners: [], diagnostics: [],
});

describe('virtual host resolution (Apache name-based rules)', () => {
  const r = compileVhosts(app([
    vh(['*:80'], ['a.example.com', 'www.a.example.com'], 'a'),
    vh(['*:80'], ['b.example.com', '*.b.example.com'], 'b'),
    vh(['*:8080'], ['a.example.com'], 'alt'),
    vh(['*'], ['any.example.com'], 'any'),
  ], [rule('main')]));
  const w = (host: string | undefined, port: number) => r.resolve(host, port).matcher.match('/x')?.worker;

  it('matches ServerName and ServerAlias, case-insensitively, ignoring the port in Host', () => {
    expect(w('a.example.com', 80)).toBe('a');
    expect(w('WWW.A.Example.com:80', 80)).toBe('a');
    expect(w('a.example.com.', 80)).toBe('a');
  });
  it('matches wildcard aliases', () => expect(w('x.y.b.example.com', 80)).toBe('b'));
  it('falls back to the first vhost of the port', () => {
    expect(w('unknown', 80)).toBe('a');
    expect(w(undefined, 80)).toBe('a');
    expect(w('unknown', 8080)).toBe('alt');
  });
  it('uses the port to pick the vhost set; <VirtualHost *> is every port', () => {
    expect(w('a.example.com', 8080)).toBe('alt');
    expect(w('any.example.com', 80)).toBe('any');
    expect(w('x', 9999)).toBe('any');
  });
  it('uses the main server mounts with no vhosts', () => {
    const plain = compileVhosts(app([], [rule('main')]));
    expect(plain.resolve('whatever', 80).matcher.match('/x')?.worker).toBe('main');
    expect(plain.resolve('whatever', 80).vhost).toBeUndefined();
  });
  it('parses Host headers', () => {
    expect(hostName('[::1]:8080')).toBe('[::1]');
    expect(hostName('Example.COM')).toBe('example.com');
  });
});

describe('IP-based virtual hosts (httpd picks the address first, then the name)', () => {
  const r = compileVhosts(app([
    vh(['*:80'], ['star.example.com'], 'star'),
    vh(['10.0.0.1:80'], ['one.example.com'], 'one'),
    vh(['10.0.0.1:80'], ['one-b.example.com'], 'one-b'),
    vh(['10.0.0.2'], ['two.example.com'], 'two'),
    vh(['[2001:db8:0:0::7]:80'], ['six.example.com'], 'six'),
  ], [rule('main')]));
  const w = (host: string | undefined, port: number, local?: string) => r.resolve(host, port, local).matcher.match('/x')?.worker;

  it('says it needs the local address only when a vhost names an IP', () => {
    expect(r.byAddress).toBe(true);
    expect(compileVhosts(app([vh(['*:80'], ['a'], 'a'), vh(['_default_:443'], ['b'], 'b')])).byAddress).toBe(false);
  });
  it('serves a connection to a named IP from that IP\'s vhosts only, by name then the first of them', () => {
    expect(w('one-b.example.com', 80, '10.0.0.1')).toBe('one-b');
    expect(w('star.example.com', 80, '10.0.0.1')).toBe('one');
    expect(w(undefined, 80, '10.0.0.1')).toBe('one');
  });
  it('takes an address without a port as any port', () => {
    expect(w('x', 80, '10.0.0.2')).toBe('two');
    expect(w('x', 8443, '10.0.0.2')).toBe('two');
  });
  it('leaves addresses no vhost names to the * vhosts of the port, then to the main server', () => {
    expect(w('one.example.com', 80, '10.0.0.9')).toBe('star');
    expect(w('one.example.com', 80, '10.0.0.1')).toBe('one');
    expect(w('one.example.com', 81, '10.0.0.1')).toBe('main');
    expect(w('one.example.com', 80, undefined)).toBe('star');
  });
  it('compares IPv6 in canonical form and IPv4-mapped clients as IPv4', () => {
    expect(w('x', 80, '2001:db8::7')).toBe('six');
    expect(w('x', 80, '::ffff:10.0.0.1')).toBe('one');
  });
  it('reads <VirtualHost> addresses as httpd writes them', () => {
    expect(vhostAddress('10.0.0.1:8080')).toEqual({ ip: '10.0.0.1', port: 8080 });
    expect(vhostAddress('[::1]:80')).toEqual({ ip: '::1', port: 80 });
    expect(vhostAddress('[0:0::1]')).toEqual({ ip: '::1', port: undefined });
    expect(vhostAddress('*:80')).toEqual({ ip: null, port: 80 });
    expect(vhostAddress('_default_:443')).toEqual({ ip: null, port: 443 });
    expect(vhostAddress('0.0.0.0:80')).toEqual({ ip: null, port: 80 });
    expect(vhostAddress('10.0.0.1:*')).toEqual({ ip: '10.0.0.1', port: undefined });
    expect(vhostAddress('www.example.com:80')).toEqual({ ip: null, port: 80 });
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('::')).toBeNull();
  });
});

describe('vhosts no listener reaches', () => {
  const vhosts = [
    vh(['10.0.0.1:80'], ['one'], 'one'),
    vh(['10.0.0.2:80', '*:80'], ['mixed'], 'mixed'),
    vh(['[2001:db8::7]'], ['six'], 'six'),
    vh(['*:80'], ['star'], 'star'),
  ];
  const names = (listeners: Array<{ host: string; port: number }>) =>
    vhostsNoListenerReaches(vhosts, listeners).map((u) => u.vhost.names[0]);

  it('are those naming only IPs that no listener is on, port included', () => {
    expect(names([{ host: '127.0.0.1', port: 80 }])).toEqual(['one', 'six']);
    expect(names([{ host: '10.0.0.1', port: 8080 }])).toEqual(['one', 'six']);
    expect(names([{ host: '10.0.0.1', port: 80 }, { host: '2001:db8:0::7', port: 443 }])).toEqual([]);
  });
  it('are none when a listener is on every address, or on a host name only its bind resolves', () => {
    expect(names([{ host: '0.0.0.0', port: 80 }, { host: '::', port: 9 }])).toEqual([]);
    expect(names([{ host: 'web1.example', port: 80 }, { host: 'web1.example', port: 9 }])).toEqual([]);
  });
});
