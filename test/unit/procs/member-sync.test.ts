// MemberSync between two "processes" (two Balancers over separate memory, as cluster workers have): ERR
// travels, recovery travels, and nothing is echoed back.

import { describe, expect, it } from 'vitest';
import type { Balancer } from '../../../src/balancer/index.js';
import type { LbTarget, TargetSet } from '../../../src/front/targets.js';
import { MemberSync } from '../../../src/procs/member-sync.js';
import type { MemberEvent } from '../../../src/procs/messages.js';
import { Clock, makeLb, member, req, stateOf } from '../balancer/helpers.js';

function proc(clock: Clock): { lb: Balancer; sync: MemberSync; sent: MemberEvent[][] } {
  const { lb } = makeLb([member('a'), member('b')], { recoverTimeSec: 60 }, { clock, maintainSec: 1 });
  const target = { kind: 'lb', name: 'lb', balancer: lb, members: [] } as unknown as LbTarget;
  const targets: TargetSet = { byName: new Map([['lb', target]]), pools: [], balancers: [target] };
  const sent: MemberEvent[][] = [];
  const sync = new MemberSync(() => targets, (e) => sent.push(e), clock.now);
  return { lb, sync, sent };
}

function fail(lb: Balancer, m: number): void {
  expect(lb.begin(m, req())).toBe(true);
  lb.end(m, 'status_fail');
}

describe('MemberSync', () => {
  it('ERR in one process becomes ERR in the other at the same time, and is not echoed back', () => {
    const clock = new Clock();
    const p1 = proc(clock);
    const p2 = proc(clock);
    fail(p1.lb, 0);
    const events = p1.sync.collect();
    expect(events).toEqual([{ lb: 'lb', member: 'a', state: 'err', atMs: clock.t }]);
    expect(p1.sync.collect()).toEqual([]); // told once
    clock.advance(300);
    p2.sync.apply(events);
    expect(stateOf(p2.lb, 'a')).toBe('ERR');
    expect(p2.lb.lastErrorAt(0)).toBe(clock.t - 300);
    expect(p2.sync.collect()).toEqual([]); // no echo
    expect(p2.sync.errMembers).toBe(1);
  });

  it('a recovery seen in one process moves the other from ERR to REC; its own later failure is told again', () => {
    const clock = new Clock();
    const p1 = proc(clock);
    const p2 = proc(clock);
    fail(p1.lb, 0);
    p2.sync.apply(p1.sync.collect());
    clock.advance(61_000);
    p1.lb.maintain(clock.t);
    expect(stateOf(p1.lb, 'a')).toBe('ERR/REC');
    expect(p1.sync.collect()).toEqual([]); // REC is not news
    expect(p1.lb.begin(0, req())).toBe(true);
    p1.lb.end(0, 'ok');
    const ok = p1.sync.collect();
    expect(ok).toEqual([{ lb: 'lb', member: 'a', state: 'ok', atMs: clock.t }]);
    p2.sync.apply(ok);
    expect(stateOf(p2.lb, 'a')).toBe('ERR/REC');
    expect(p2.sync.collect()).toEqual([]);
    clock.advance(10);
    fail(p2.lb, 0);
    expect(p2.sync.collect()).toEqual([{ lb: 'lb', member: 'a', state: 'err', atMs: clock.t }]);
  });

  it('ignores a recovery older than its own failure, and members or lbs it does not have', () => {
    const clock = new Clock();
    const p = proc(clock);
    fail(p.lb, 1);
    p.sync.collect();
    p.sync.apply([{ lb: 'lb', member: 'b', state: 'ok', atMs: clock.t - 1 }]);
    expect(stateOf(p.lb, 'b')).toBe('ERR');
    p.sync.apply([{ lb: 'lb', member: 'zz', state: 'err', atMs: clock.t }, { lb: 'nope', member: 'a', state: 'err', atMs: clock.t }]);
    expect(stateOf(p.lb, 'a')).not.toBe('ERR');
  });
});
