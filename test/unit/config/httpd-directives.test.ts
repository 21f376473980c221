import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ajplb-httpd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(lines: string[]) {
  const file = join(dir, `httpd-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, ['Listen 127.0.0.1:8080', 'JkWorkerProperty worker.list=w', 'JkWorkerProperty worker.w.port=8009', ...lines, ''].join('\n'));
  const app = loadConfig({ httpdConf: file, env: {} });
  return { app, file, text: app.diagnostics.map(formatDiagnostic).join('\n') };
}

describe("httpd.conf's KeepAliveTimeout", () => {
  it('reads seconds and the ms suffix, server-wide', () => {
    expect(load(['KeepAliveTimeout 15']).app.keepAliveTimeoutMs).toBe(15_000);
    expect(load(['KeepAliveTimeout 300ms']).app.keepAliveTimeoutMs).toBe(300);
    expect(load([]).app.keepAliveTimeoutMs).toBeUndefined();
  });

  it('keeps the server-wide value when a <VirtualHost> sets its own, and says so', () => {
    const { app, text } = load(['KeepAliveTimeout 10', '<VirtualHost *:8080>', 'ServerName a', 'KeepAliveTimeout 2', '</VirtualHost>']);
    expect(app.keepAliveTimeoutMs).toBe(10_000);
    expect(text).toContain('per-<VirtualHost> KeepAliveTimeout is not supported');
  });

  it('refuses what httpd refuses, with file:line', () => {
    const { app, file } = load(['KeepAliveTimeout soon']);
    const error = app.diagnostics.find((d) => d.severity === 'error');
    expect(error && formatDiagnostic(error)).toContain(`${file}:4`);
    expect(app.keepAliveTimeoutMs).toBeUndefined();
  });
});

describe('<VirtualHost> addresses', () => {
  it('keeps IPs, wildcards and ports as written, without a word', () => {
    const { app, text } = load(['<VirtualHost 10.0.0.1:8080 [::1]:8080 *:8080 _default_:8443>', 'ServerName a', '</VirtualHost>']);
    expect(app.vhosts[0]?.addresses).toEqual(['10.0.0.1:8080', '[::1]:8080', '*:8080', '_default_:8443']);
    expect(text).not.toContain('<VirtualHost>');
  });

  it('warns, with file:line and the fix, about a host name httpd would look up', () => {
    const { file, text } = load(['<VirtualHost www.example.com:8080>', 'ServerName a', '</VirtualHost>']);
    expect(text).toContain(`${file}:4: warning: <VirtualHost>: 'www.example.com:8080' names a host, not an address`);
    expect(text).toContain('write its IP address');
  });
});
