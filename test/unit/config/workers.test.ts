import { describe, expect, it } from 'vitest';
import {
  Diagnostics, formatDiagnostic, readProperties, validateWorkers, DEFAULT_CONNECTION_POOL_SIZE,
} from '../../../src/config/index.js';
import type { AjpWorkerConfig, LbWorkerConfig } from '../../../src/config/index.js';

function validate(text: string, strict = false) {
  const diag = new Diagnostics(strict);
  const map = readProperties(text, 'conf/workers.properties', diag, { mode: 'workers', env: {} });
  const workers = validateWorkers(map, diag);
  const errors = diag.list.filter((d) => d.severity === 'error');
  const warnings = diag.list.filter((d) => d.severity === 'warning');
  return { workers, diag, errors, warnings };
}

describe('workers.properties: what mod_jk refuses is an error', () => {
  it.each([
    ['unknown attribute', 'worker.list=a\nworker.a.prot=8009\n', /unknown attribute/],
    ['unknown type', 'worker.list=a\nworker.a.type=ajp15\n', /unknown worker type/],
    ['lb without members', 'worker.list=lb\nworker.lb.type=lb\n', /no members/],
    ['missing template', 'worker.list=a\nworker.a.reference=worker.nothere\n', /not found/],
    ['shared route', 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\nworker.a.route=r1\nworker.b.route=r1\n', /share the route/],
    ['name over 60 chars', `worker.list=${'x'.repeat(61)}\n`, /longer than 60/],
  ])('%s', (_n, text, re) => {
    const { errors } = validate(text);
    expect(errors.some((e) => re.test(e.message))).toBe(true);
  });

  it('collects every problem at once', () => {
    const { errors } = validate('worker.list=a,b\nworker.a.prot=1\nworker.b.type=nope\nworker.a.hots=x\n');
    expect(errors.map((e) => e.line)).toEqual([2, 4, 3]);
  });

  it('formats with file:line, directive and a did-you-mean', () => {
    const { errors } = validate('worker.list=a-was1\n\n\n\n\n\n\n\n\n\n\nworker.a-was1.prot=8009\n');
    expect(formatDiagnostic(errors[0]!)).toBe(
      "conf/workers.properties:12: worker.a-was1.prot: unknown attribute; mod_jk refuses to start — did you mean 'port'?");
  });
});

describe('workers.properties: what mod_jk starts with is accepted, with a warning saying what it means', () => {
  it.each([
    ['bad boolean', 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.sticky_session=maybe\n', /keeps the default \(true\)/],
    ['port abc', 'worker.list=a\nworker.a.port=abc\n', /default 8009/],
    ['method=lb', 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.lb.method=lb\n', /default 'R'/],
    ['lb member never defined', 'worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=ghost\n', /never defined; mod_jk creates it as ajp13 at localhost:8009/],
    ['worker.list entry never defined', 'worker.list=nobody\n', /never defined/],
    ['unresolvable host', 'worker.list=a\nworker.a.host=was-01 IP\n', /cannot resolve/],
    ['deprecated name', 'worker.list=a\nworker.a.cachesize=10\n', /deprecated/],
  ])('%s', (_n, text, re) => {
    const { errors, warnings } = validate(text);
    expect(errors).toEqual([]);
    expect(warnings.some((w) => re.test(w.message))).toBe(true);
    expect(validate(text, true).errors.length).toBeGreaterThan(0);
  });

  it('gives deprecated names their replacement and still honours them', () => {
    const { workers, warnings } = validate('worker.list=lb\nworker.lb.type=lb\nworker.lb.balanced_workers=a,b\nworker.a.jvm_route=ra\nworker.b.disabled=true\nworker.a.cachesize=7\n');
    const lb = workers.workers.get('lb') as LbWorkerConfig;
    expect(lb.members).toEqual(['a', 'b']);
    const a = workers.workers.get('a') as AjpWorkerConfig;
    expect(a.route).toBe('ra');
    expect(a.connectionPoolSize).toBe(7);
    expect((workers.workers.get('b') as AjpWorkerConfig).activation).toBe('disabled');
    expect(warnings.find((w) => w.directive === 'worker.lb.balanced_workers')!.hint).toMatch(/balance_workers/);
  });
});

describe('defaults', () => {
  it('fills mod_jk defaults for ajp13 and lb', () => {
    const { workers } = validate('worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=n1.dom\nworker.lb.secret=s\n');
    const lb = workers.workers.get('lb') as LbWorkerConfig;
    expect(lb).toMatchObject({ stickySession: true, stickySessionForce: false, method: 'R', lock: 'O', retries: 2, lbRetries: 2,
      retryIntervalMs: 100, recoverTimeSec: 60, errorEscalationTimeSec: 30, sessionCookie: 'JSESSIONID', sessionPath: ';jsessionid',
      sessionCookiePath: '/' });
    const m = workers.workers.get('n1.dom') as AjpWorkerConfig;
    expect(m).toMatchObject({ host: 'localhost', port: 8009, connectionPoolSize: DEFAULT_CONNECTION_POOL_SIZE,
      connectionPoolMinSize: Math.floor((DEFAULT_CONNECTION_POOL_SIZE + 1) / 2), pingTimeoutMs: 10000, retries: 2, retryIntervalMs: 100, connectionAcquireTimeoutMs: 200,
      maxPacketSize: 8192, lbfactor: 1, activation: 'active', route: 'n1.dom', domain: 'n1', secret: 's' });
    expect(workers.maintainSec).toBe(60);
  });

  it('derives timeouts from ping_mode like mod_jk', () => {
    const { workers } = validate('worker.list=a\nworker.a.ping_mode=A\nworker.a.ping_timeout=2000\nworker.a.socket_timeout=3\nworker.a.max_packet_size=9000\n');
    const a = workers.workers.get('a') as AjpWorkerConfig;
    expect(a.pingMode).toEqual({ connect: true, prepost: true, interval: true });
    expect(a.connectTimeoutMs).toBe(2000);
    expect(a.prepostTimeoutMs).toBe(2000);
    expect(a.connectionPingIntervalSec).toBe(20);
    expect(a.socketConnectTimeoutMs).toBe(3000);
    expect(a.maxPacketSize).toBe(9216);
  });

  it('stops an lb member whose port is 0', () => {
    const { workers } = validate('worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.a.port=0\n');
    expect((workers.workers.get('a') as AjpWorkerConfig).activation).toBe('stopped');
  });
});
