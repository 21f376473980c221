import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createObservability } from '../../../src/observe/index.js';
import { Logs } from '../../../src/observe/logs.js';
import { DEFAULT_VHOST, VhostLabeler } from '../../../src/observe/vhost-label.js';
import { FakeRuntime, fakeForwarding, fakeReq, vhost } from './helpers.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-observe-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Polls (no sleeps as synchronisation) until the file holds `n` lines. */
async function waitForLines(file: string, n: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    let got: Array<Record<string, unknown>> = [];
    try {
      got = lines(readFileSync(file, 'utf8'));
    } catch {
      // not created yet
    }
    if (got.length >= n || Date.now() > deadline) return got;
    await new Promise((r) => setImmediate(r));
  }
}

function setup(accessLog: { destination: string } | false, logLevel?: string) {
  const rt = new FakeRuntime(undefined, [vhost('www.example.com')]);
  cleanup.push(() => rt.close());
  const out: string[] = [];
  const obs = createObservability({
    getRuntime: () => rt, isDraining: () => false, version: '1.0.0', accessLog, logLevel, defaultMetrics: false,
    stdout: { write: (s: string) => { out.push(s); return true; } },
  });
  return { rt, obs, out };
}

describe('access log', () => {
  test('one JSON line per request with the fields operators look for, no query string', async () => {
    const dir = tmp();
    const file = join(dir, 'access.log');
    const { rt, obs } = setup({ destination: file });
    const lb = rt.lb();
    obs.observer.onForwardDone!(fakeForwarding({ lb, worker: lb.members[1], status: 201, bytesOut: 42, attempts: 2, route: 'w2', upstreamMs: 3.14159 }));
    obs.observer.onRejected!(fakeReq({ url: '/nothing?x=1' }), 404, 'no mount matches');
    await obs.flushLogs();
    const [line, rejected] = await waitForLines(file, 2);
    expect(line).toMatchObject({
      vhost: 'www.example.com', host: 'www.example.com', method: 'GET', path: '/app/page', status: 201, bytes: 42, upstreamMs: 3.1,
      lb: 'lb', member: 'w2', route: 'w2', attempts: 2, retries: 1, outcome: 'ok', msg: 'request completed',
    });
    expect(typeof line!.ms).toBe('number');
    expect(typeof line!.time).toBe('string');
    expect(JSON.stringify(line)).not.toContain('secret');
    expect(rejected).toMatchObject({ status: 404, path: '/nothing', outcome: 'rejected', reason: 'no mount matches' });
  });

  test('reopenLogs() starts a new file after logrotate renamed the old one', async () => {
    const dir = tmp();
    const file = join(dir, 'access.log');
    const { rt, obs } = setup({ destination: file });
    obs.observer.onForwardDone!(fakeForwarding({ worker: rt.worker('solo'), status: 200 }));
    await obs.flushLogs();
    await waitForLines(file, 1);
    renameSync(file, `${file}.1`);
    obs.reopenLogs();
    obs.observer.onForwardDone!(fakeForwarding({ worker: rt.worker('solo'), status: 500, outcome: 'protocol_error', errorCode: 'AJP_PROTOCOL' }));
    await obs.flushLogs();
    const fresh = await waitForLines(file, 1);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ status: 500, outcome: 'protocol_error', error: 'AJP_PROTOCOL', member: 'solo' });
    expect(lines(readFileSync(`${file}.1`, 'utf8'))).toHaveLength(1);
  });

  test('stdout access log shares the app log stream and ignores the app log level', async () => {
    const { rt, obs, out } = setup({ destination: 'stdout' }, 'warn');
    obs.logger.info('not shown at warn');
    obs.logger.warn('shown');
    obs.observer.onForwardDone!(fakeForwarding({ worker: rt.worker('solo') }));
    const all = lines(out.join(''));
    expect(all.map((l) => l.msg)).toEqual(['shown', 'request completed']);
    expect(all[1]).toMatchObject({ log: 'access', member: 'solo' });
    expect(all[0]).toMatchObject({ level: 40 });
  });

  test('off: no access lines, the app log still works', () => {
    const { rt, obs, out } = setup(false);
    obs.observer.onForwardDone!(fakeForwarding({ worker: rt.worker('solo') }));
    obs.observer.onReload!(false, new Error('bad config'));
    const all = lines(out.join(''));
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ level: 50, msg: 'configuration reload failed' });
  });
});

describe('a log that cannot be written', () => {
  test('costs log lines, not requests: errors are counted and reported once, and shutdown still ends', async () => {
    const out: string[] = [];
    const logs = new Logs({ accessLog: { destination: '/dev/full' }, stdout: { write: (s: string) => { out.push(s); return true; } } });
    const rt = new FakeRuntime(undefined, []);
    cleanup.push(() => rt.close());
    const lb = rt.lb();
    for (let i = 0; i < 20; i++) logs.forwardDone(fakeForwarding({ lb, worker: lb.members[0], status: 200 }), 1, '_default_');
    const deadline = Date.now() + 5000;
    while (logs.trouble.access!.errors === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(logs.trouble.access!.errors).toBeGreaterThan(0);
    logs.forwardDone(fakeForwarding({ lb, worker: lb.members[0], status: 200 }), 1, '_default_');
    const reports = lines(out.join('')).filter((l) => String(l.msg).includes('cannot write the access log'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ level: 50, err: { code: 'ENOSPC' } });
    await logs.close(1000);
  });

  test('an access log file that cannot be opened stops the start with the path and the way out', () => {
    const dir = tmp();
    const notADir = join(dir, 'file');
    writeFileSync(notADir, '');
    expect(() => new Logs({ accessLog: { destination: join(notADir, 'access.log') }, stdout: { write: () => true } }))
      .toThrow(/--access-log .*file\/access\.log: cannot open it for appending \(ENOTDIR\).*--access-log stdout/);
  });

  test('missing directories of the access log are made', async () => {
    const file = join(tmp(), 'a', 'b', 'access.log');
    const logs = new Logs({ accessLog: { destination: file }, stdout: { write: () => true } });
    expect(existsSync(file)).toBe(true);
    await logs.close(1000);
  });
});

describe('vhost label', () => {
  test('configured names and aliases only; anything else is _default_', () => {
    const v = new VhostLabeler(() => [vhost('www.example.com', 'example.com', '*.example.net'), vhost('Other.test')]);
    expect(v.label('WWW.Example.com:8443')).toBe('www.example.com');
    expect(v.label('example.com.')).toBe('www.example.com');
    expect(v.label('a.b.example.net')).toBe('www.example.com');
    expect(v.label('other.test')).toBe('other.test');
    expect(v.label('[::1]:8080')).toBe(DEFAULT_VHOST);
    expect(v.label(undefined)).toBe(DEFAULT_VHOST);
    for (let i = 0; i < 2000; i++) expect(v.label(`x${i}.invalid`)).toBe(DEFAULT_VHOST);
  });

  test('a reload with other vhosts changes the labels', () => {
    let list = [vhost('a.test')];
    const v = new VhostLabeler(() => list);
    expect(v.label('b.test')).toBe(DEFAULT_VHOST);
    list = [vhost('b.test')];
    expect(v.label('b.test')).toBe('b.test');
  });
});
