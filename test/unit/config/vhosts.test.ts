import { describe, expect, it } from 'vitest';
import { compileVhosts, hostName } from '../../../src/config/index.js';
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
