// The seeds' own files, typos included, must load with the warnings a careful reader would want.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileVhosts, dumpConfig, formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import type { AjpWorkerConfig } from '../../../src/config/index.js';

const FX = resolve(import.meta.dirname, 'fixtures');
const text = (app: ReturnType<typeof loadConfig>) => app.diagnostics.map(formatDiagnostic).join('\n');

describe('seed 000 (a-site/b-site, two lbs, vhosts)', () => {
  const app = loadConfig({ httpdConf: `${FX}/seed000/conf/httpd.conf`, env: {} });

  it('loads without errors, finding the absolute JkWorkersFile under our ServerRoot', () => {
    expect(app.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(text(app)).toMatch(/JkWorkersFile: '\/usr\/local\/apache\/conf\/workers.properties' does not exist here; using .*seed000\/conf\/workers.properties/);
    expect(text(app)).toMatch(/JkLogFile: piped log programs are not started/);
  });
  it('warns about balanced_workers with its replacement', () => {
    const dep = app.diagnostics.filter((d) => d.directive?.endsWith('.balanced_workers'));
    expect(dep.map((d) => d.line)).toEqual([4, 16]);
    expect(dep.every((d) => d.hint === "use 'balance_workers'")).toBe(true);
  });
  it('routes each ServerName to its lb', () => {
    const r = compileVhosts(app);
    expect(r.resolve('a-site.com', 80).matcher.match('/sessionTest.jsp')?.worker).toBe('a-loadbalancer');
    expect(r.resolve('b-site.com', 80).matcher.match('/')?.worker).toBe('b-loadbalancer');
    expect(r.resolve('other', 80).vhost?.names).toEqual(['a-site.com']);
    expect(app.listeners).toEqual([{ host: '0.0.0.0', port: 80, tls: false }]);
  });
  it('dumps the effective configuration', () => {
    const d = dumpConfig(app);
    expect(d).toContain('worker.a-loadbalancer.balance_workers=a-was1,a-was2');
    expect(d).toContain('worker.b-was2.port=8019');
    expect(d).toContain('worker.a-was1.connection_pool_size=256');
    expect(d).toMatch(/<VirtualHost \*:80> a-site.com/);
  });
});

describe('seed 002 (ecs/ifs/pls, typos kept)', () => {
  it('as written (vhost Include still commented): loads, warns, and forwards nothing', () => {
    const app = loadConfig({ httpdConf: `${FX}/seed002/conf/httpd.conf`, env: {} });
    expect(app.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const t = text(app);
    expect(t).toMatch(/ServerRoot: '\/data2\/apache' does not exist here/);
    expect(t).toMatch(/worker.ecs1.host: 'was-01 IP' is not a valid host name/);
    expect(t).toMatch(/no mounts configured and several workers/);
    expect(app.vhosts).toEqual([]);
  });
  it('with the vhost Include enabled: three vhosts, pls2 on 8111 as written', () => {
    const app = loadConfig({ httpdConf: `${FX}/seed002/conf/httpd-vhosts-enabled.conf`, env: {} });
    expect(app.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(app.vhosts.map((v) => v.names[0])).toEqual(['ecs.test.co.kr', 'ifs.test.co.kr', 'pls.test.co.kr']);
    expect((app.workers.workers.get('pls2') as AjpWorkerConfig).port).toBe(8111);
    expect((app.workers.workers.get('pls1') as AjpWorkerConfig).port).toBe(8011);
    const hostWarnings = app.diagnostics.filter((d) => /\.host$/.test(d.directive ?? '') && d.severity === 'warning');
    expect(hostWarnings).toHaveLength(6);
    expect(compileVhosts(app).resolve('pls.test.co.kr', 80).matcher.match('/x')?.worker).toBe('pls_loadbalancer');
  });
  it('strict turns those warnings into errors', () => {
    const app = loadConfig({ httpdConf: `${FX}/seed002/conf/httpd-vhosts-enabled.conf`, env: {}, strict: true });
    expect(app.diagnostics.some((d) => d.severity === 'error' && /was-01 IP/.test(d.message))).toBe(true);
  });
});

describe('loadConfig without httpd.conf', () => {
  it('mounts /* on the only worker when nothing is mounted', () => {
    const app = loadConfig({ workerProperties: ['worker.list=solo', 'worker.solo.port=8010'], env: {} });
    expect(app.mounts.map((m) => [m.pattern, m.worker])).toEqual([['/*', 'solo']]);
  });
  it('takes --mount arguments and warns about unknown workers with a did-you-mean', () => {
    const app = loadConfig({ workerProperties: ['worker.list=app1'], mountArgs: ['/app/*=app1', '/x/*=ap1'], env: {} });
    expect(app.mounts).toHaveLength(2);
    const w = app.diagnostics.find((d) => /ap1/.test(d.message))!;
    expect(w.hint).toBe("did you mean 'app1'?");
  });
  it('turns worker.X.mount into rules only for workers in worker.list', () => {
    const app = loadConfig({ workerProperties: ['worker.list=a', 'worker.a.mount=/a/* /b|/*', 'worker.z.mount=/z/*'], env: {} });
    expect(app.mounts.map((m) => m.pattern)).toEqual(['/a/*', '/b', '/b/*']);
  });
});
