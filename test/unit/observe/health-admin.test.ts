import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { AdminActions, AdminAuth } from '../../../src/observe/admin.js';
import { readiness } from '../../../src/observe/health.js';
import { FakeRuntime, workersConfig } from './helpers.js';

const PICK = { sessionIds: null, stateless: false, stickyIgnore: false, activations: null };

let runtimes: FakeRuntime[] = [];
afterEach(() => {
  for (const r of runtimes) r.close();
  runtimes = [];
});
function runtime(...args: ConstructorParameters<typeof FakeRuntime>): FakeRuntime {
  const r = new FakeRuntime(...args);
  runtimes.push(r);
  return r;
}

function req(authorization?: string): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as unknown as IncomingMessage;
}

describe('readiness', () => {
  test('ready while every lb has a member that is ACT and not ERR', () => {
    const rt = runtime();
    expect(readiness(() => rt, () => false)).toEqual({ ready: true });
    rt.lb().balancer.setActivation(0, 'stopped');
    expect(readiness(() => rt, () => false).ready).toBe(true);
  });

  test('not ready when an lb has only stopped, disabled or ERR members', () => {
    const rt = runtime();
    const b = rt.lb().balancer;
    b.setActivation(0, 'disabled');
    expect(b.begin(1, PICK)).toBe(true);
    b.end(1, 'connect_error');
    expect(b.snapshot().members[1]!.state).toBe('ERR');
    expect(readiness(() => rt, () => false)).toEqual({ ready: false, reason: 'no usable member', lbs: ['lb'] });
    b.forceRecovery(1);
    expect(readiness(() => rt, () => false).ready).toBe(true);
  });

  test('not ready while draining, or before there is a runtime', () => {
    const rt = runtime();
    expect(readiness(() => rt, () => true)).toEqual({ ready: false, reason: 'draining' });
    expect(readiness(() => { throw new TypeError('no daemon yet'); }, () => false)).toEqual({ ready: false, reason: 'starting' });
  });
});

describe('admin auth', () => {
  test('read-only by default: 403 whatever the request carries', () => {
    const auth = new AdminAuth(undefined);
    expect(auth.enabled).toBe(false);
    expect(auth.check(req())).toMatchObject({ ok: false, status: 403 });
    expect(auth.check(req('Bearer anything'))).toMatchObject({ ok: false, status: 403 });
    expect(new AdminAuth('').check(req('Bearer '))).toMatchObject({ ok: false, status: 403 });
  });

  test('with a token: 401 without or with a wrong one, ok with the right one', () => {
    const auth = new AdminAuth('s3cret');
    expect(auth.check(req())).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(req('Bearer wrong'))).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(req('Basic czNjcmV0'))).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(req('Bearer s3cret'))).toEqual({ ok: true });
    expect(auth.check(req('bearer  s3cret '))).toEqual({ ok: true });
  });

  test('a read_only status worker refuses even the right token', () => {
    expect(new AdminAuth('s3cret').check(req('Bearer s3cret'), true)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('admin actions and overrides', () => {
  test('actions change the balancer and answer with the new state', () => {
    const rt = runtime();
    const admin = new AdminActions(() => rt);
    expect(admin.run('lb', 'w1', 'stop')).toMatchObject({ status: 200, body: { activation: 'STP' } });
    expect(admin.run('lb', 'w1', 'disable').body).toMatchObject({ activation: 'DIS' });
    expect(admin.run('lb', 'w2', 'lbfactor', 4).body).toMatchObject({ lbfactor: 4 });
    expect(rt.lb().balancer.snapshot().members.map((m) => [m.activation, m.lbfactor])).toEqual([['DIS', 1], ['ACT', 4]]);
    expect(admin.run('lb', 'w2', 'lbfactor', 0).status).toBe(400);
    expect(admin.run('lb', 'w2', 'lbfactor', 1.5).status).toBe(400);
    expect(admin.run('lb', 'w2', 'lbfactor').status).toBe(400);
    expect(admin.run('nolb', 'w1', 'stop').status).toBe(404);
    expect(admin.run('lb', 'nobody', 'stop').status).toBe(404);
    expect(admin.run('lb', 'w1', 'recover').status).toBe(409);
  });

  test('reset clears jkstatus counters, recover moves ERR to ERR/REC', () => {
    const rt = runtime();
    const admin = new AdminActions(() => rt);
    const b = rt.lb().balancer;
    expect(b.begin(0, PICK)).toBe(true);
    b.end(0, 'connect_error');
    expect(admin.run('lb', 'w1', 'recover').body).toMatchObject({ state: 'ERR/REC' });
    expect(admin.run('lb', 'w1', 'reset').body).toMatchObject({ state: 'OK/IDLE' });
    const m = b.snapshot().members[0]!;
    expect([m.errors, m.elected, m.errorsTotal, m.electedTotal]).toEqual([0, 0, 1, 1]);
  });

  test('activation and lbfactor changes survive a rebuilt runtime', () => {
    const first = runtime();
    let current = first;
    const admin = new AdminActions(() => current);
    admin.run('lb', 'w1', 'stop');
    admin.run('lb', 'w2', 'lbfactor', 7);
    admin.run('lb', 'w1', 'reset');
    expect(admin.list()).toEqual([{ lb: 'lb', member: 'w1', activation: 'STP' }, { lb: 'lb', member: 'w2', lbfactor: 7 }]);

    // A reload with the same members carries the live balancer state over; overrides re-applied keep it.
    current = runtime(workersConfig({ w1: { connectionPoolSize: 3 } }), [], first.targets);
    const state = () => current.lb().balancer.snapshot().members.map((m) => [m.name, m.activation, m.lbfactor]);
    expect(state()).toEqual([['w1', 'STP', 1], ['w2', 'ACT', 7]]);
    admin.applyOverrides(current);
    expect(state()).toEqual([['w1', 'STP', 1], ['w2', 'ACT', 7]]);
    // A reload that changes the members starts from the configuration; the overrides bring the changes back.
    current = runtime(workersConfig({}, ['w1', 'w2', 'w3']), [], current.targets);
    expect(state()).toEqual([['w1', 'ACT', 1], ['w2', 'ACT', 1], ['w3', 'ACT', 1]]);
    admin.applyOverrides(current);
    expect(state()).toEqual([['w1', 'STP', 1], ['w2', 'ACT', 7], ['w3', 'ACT', 1]]);
    expect(admin.override('lb', 'w1')).toEqual({ activation: 'STP' });
  });

  test('setting a member back to its configured value forgets the override', () => {
    const rt = runtime(workersConfig({ w2: { activation: 'disabled', lbfactor: 2 } }));
    const admin = new AdminActions(() => rt);
    admin.run('lb', 'w1', 'stop');
    admin.run('lb', 'w1', 'activate');
    admin.run('lb', 'w2', 'activate');
    admin.run('lb', 'w2', 'lbfactor', 5);
    admin.run('lb', 'w2', 'lbfactor', 2);
    expect(admin.list()).toEqual([{ lb: 'lb', member: 'w2', activation: 'ACT' }]);
    admin.run('lb', 'w2', 'disable');
    expect(admin.list()).toEqual([]);
  });

  test('an override for a member the new configuration lacks is kept, not applied', () => {
    const first = runtime();
    let current = first;
    const admin = new AdminActions(() => current);
    admin.run('lb', 'w2', 'stop');
    const cfg = workersConfig();
    const lb = cfg.workers.get('lb');
    if (lb?.type !== 'lb') throw new Error('fixture');
    cfg.workers.set('lb', { ...lb, members: ['w1'] });
    current = runtime(cfg, [], first.targets);
    admin.applyOverrides(current);
    expect(current.lb().balancer.snapshot().members.map((m) => m.activation)).toEqual(['ACT']);
    expect(admin.list()).toHaveLength(1);
  });
});

describe('status page script', () => {
  test('parses as a script and its CSP hash matches what is served', async () => {
    const { STATUS_SCRIPT } = await import('../../../src/observe/status-script.js');
    const { STATUS_PAGE_CSP } = await import('../../../src/observe/status-page.js');
    const { createHash } = await import('node:crypto');
    expect(() => new Function(STATUS_SCRIPT)).not.toThrow();
    expect(STATUS_PAGE_CSP).toContain(`'sha256-${createHash('sha256').update(STATUS_SCRIPT).digest('base64')}'`);
  });
});
