import { describe, expect, it } from 'vitest';
import { Balancer, BalancerError, sharedBytesFor } from '../../../src/balancer/index.js';
import { Clock, lbConfig, makeLb, member, req, serve } from './helpers.js';

function pair() {
  const clock = new Clock();
  const members = [member('a-was1'), member('a-was2'), member('a-was3')];
  const lb = lbConfig(members.map((m) => m.name));
  const shared = new SharedArrayBuffer(sharedBytesFor(3) + 64);
  const one = new Balancer(lb, members, { maintainSec: 60, now: clock.now, shared, byteOffset: 64 });
  const two = new Balancer(lb, members, { maintainSec: 60, now: clock.now, shared, byteOffset: 64 });
  return { one, two, clock, shared };
}

describe('two runtimes over one SharedArrayBuffer', () => {
  it('see each other state, activation, lbfactor and counters', () => {
    const { one, two } = pair();
    one.begin(1, req());
    one.end(1, 'status_fail');
    expect(two.stateText(1)).toBe('ERR');
    for (let k = 0; k < 10; k++) expect(two.pick(req(), 0).member).not.toBe(1);
    two.setActivation(0, 'stopped');
    expect(one.snapshot().members[0]!.activation).toBe('STP');
    two.setLbfactor(2, 3);
    expect(one.snapshot().members.map((m) => m.lbMult)).toEqual([3, 3, 1]);
    expect(one.snapshot().members[1]!.errors).toBe(1);
  });

  it('keep one split between them', () => {
    const { one, two } = pair();
    const counts = [0, 0, 0];
    for (let k = 0; k < 3000; k++) counts[serve(k % 2 ? one : two, req())]!++;
    expect(counts).toEqual([1000, 1000, 1000]);
    expect(one.snapshot().members.map((m) => m.electedTotal)).toEqual([1000, 1000, 1000]);
  });

  it('count in-flight requests of both', () => {
    const { one, two } = pair();
    one.begin(0, req());
    two.begin(0, req());
    expect(one.snapshot()).toMatchObject({ busy: 2, maxBusy: 2 });
    expect(two.snapshot().members[0]).toMatchObject({ busy: 2, maxBusy: 2 });
  });

  it('run global maintenance once for both', () => {
    const { one, two, clock } = pair();
    clock.advance(60_000);
    expect(one.maintain(clock.t)).toBe(true);
    expect(two.maintain(clock.t)).toBe(false);
  });

  it('refuse a buffer of another shape', () => {
    const { shared } = pair();
    const members = [member('x'), member('y')];
    expect(() => new Balancer(lbConfig(['x', 'y']), members, { maintainSec: 60, shared, byteOffset: 64 })).toThrow(BalancerError);
    expect(() => new Balancer(lbConfig(['x', 'y']), members, { maintainSec: 60, shared: new SharedArrayBuffer(8) })).toThrow(/needs/);
  });
});

describe('route mismatch', () => {
  it('flags a member whose Tomcat sets a jvmRoute no member has, once, with the fix', () => {
    const { one, two } = pair();
    expect(one.observeResponseSession(0, 'ABCDEF.a-was1')).toBeNull();
    expect(one.observeResponseSession(0, 'ABCDEF.a-was2')).toBeNull(); // routes to a member: not ours to judge
    const msg = one.observeResponseSession(0, 'ABCDEF.node1');
    expect(msg).toBe(
      'Tomcat behind worker a-was1 sets jvmRoute "node1"; set <Engine jvmRoute="a-was1"> in its server.xml or worker.a-was1.route=node1',
    );
    expect(one.observeResponseSession(0, 'XYZ.node1')).toBeNull();
    expect(two.observeResponseSession(0, 'XYZ.node1')).toBeNull(); // once across threads
    expect(two.snapshot().members[0]!.routeMismatch).toBe(msg);
    expect(two.snapshot().members[1]!.routeMismatch).toBeNull();
  });

  it('names a missing jvmRoute, accepts a domain, and can be reported again after a reset', () => {
    const { lb } = makeLb([member('n1', { route: 'd1.n1' }), member('n2')]);
    expect(lb.observeResponseSession(0, 'ABC.d1')).toBeNull(); // jvmRoute set to the domain: sticky by domain
    expect(lb.observeResponseSession(1, 'ABCDEF')).toMatch(/worker n2 sets session ids without a jvmRoute.*jvmRoute="n2"/);
    lb.resetMember(1);
    expect(lb.snapshot().members[1]!.routeMismatch).toBeNull();
    expect(lb.observeResponseSession(1, 'ABCDEF')).not.toBeNull();
  });
});

describe('counters', () => {
  it('totals never go backwards; reset clears the status-page view and the error state', () => {
    const { lb } = makeLb([member('a'), member('b')], { method: 'T' });
    for (let k = 0; k < 3; k++) {
      lb.begin(0, req());
      lb.end(0, 'ok', 100, 1000);
    }
    lb.begin(0, req());
    lb.end(0, 'client_error');
    lb.begin(0, req());
    lb.end(0, 'status_fail', 5, 0);
    const before = lb.snapshot().members[0]!;
    expect(before).toMatchObject({ elected: 5, errors: 1, clientErrors: 1, bytesIn: 305, bytesOut: 3000, state: 'ERR' });
    lb.resetMember(0);
    const after = lb.snapshot().members[0]!;
    expect(after).toMatchObject({ state: 'OK/IDLE', elected: 0, errors: 0, clientErrors: 0, bytesIn: 0, bytesOut: 0, lbValue: 0 });
    for (const k of ['electedTotal', 'errorsTotal', 'clientErrorsTotal', 'bytesInTotal', 'bytesOutTotal', 'sessionsTotal'] as const) {
      expect(after[k]).toBe(before[k]);
    }
    expect(after.electedTotal).toBe(5);
  });

  it('byte counters stay exact past 2^32', () => {
    const { lb } = makeLb([member('a'), member('b')], { method: 'T' });
    for (let k = 0; k < 3; k++) {
      lb.begin(0, req());
      lb.end(0, 'ok', 0, 3_000_000_000);
    }
    expect(lb.snapshot().members[0]!.bytesOutTotal).toBe(9_000_000_000);
    expect(lb.snapshot().members[0]!.lbValue).toBe(9_000_000_000);
  });

  it('snapshot carries what jkstatus shows', () => {
    const { lb } = makeLb([member('a'), member('b', { activation: 'disabled' })]);
    lb.begin(0, req());
    lb.end(0, 'status_fail');
    const s = lb.snapshot();
    expect(s).toMatchObject({ name: 'lb', method: 'Request', good: 0, degraded: 1, bad: 1, timeToMaintainSec: 60 });
    expect(s.members[0]).toMatchObject({ state: 'ERR', activation: 'ACT', timeToRecoverSec: 60, lastError: { kind: 'status_fail' } });
  });
});
