import { describe, expect, it } from 'vitest';
import { makeLb, member, req, stateOf } from './helpers.js';

/** Fail one attempt on `name` with `outcome`. */
function fail(lb: ReturnType<typeof makeLb>['lb'], name: string, outcome: Parameters<typeof lb.end>[1]): void {
  const m = lb.indexOf(name);
  expect(lb.begin(m, req())).toBe(true);
  lb.end(m, outcome);
}

describe('recovery timeline', () => {
  it('ERR at t0, still ERR until recover_time has passed, REC at maintenance, PRB on first request, OK on success', () => {
    // maintain every 10 s so maintenance can land on any second we want
    const { lb, clock } = makeLb([member('a'), member('b')], { recoverTimeSec: 60 }, { maintainSec: 10 });
    fail(lb, 'a', 'status_fail');
    const t0 = clock.t;
    expect(stateOf(lb, 'a')).toBe('ERR');
    expect(lb.snapshot().members[0]!.timeToRecoverSec).toBe(60);
    for (let k = 0; k < 10; k++) expect(lb.pick(req(), 0).member).toBe(1);

    clock.t = t0 + 59_000; // recover_time - 1
    expect(lb.maintain(clock.t)).toBe(true);
    expect(stateOf(lb, 'a')).toBe('ERR');
    clock.t = t0 + 60_000; // mod_jk needs strictly more than recover_time
    lb.maintain(clock.t);
    expect(stateOf(lb, 'a')).toBe('ERR');

    // b carries load meanwhile; REC gets lb_value = current max so it does not take a flood
    for (let k = 0; k < 8; k++) {
      lb.begin(1, req());
      lb.end(1, 'ok');
    }
    clock.t = t0 + 71_000;
    expect(lb.maintain(clock.t)).toBe(true);
    expect(stateOf(lb, 'a')).toBe('ERR/REC');
    const snap = lb.snapshot().members;
    expect(snap[0]!.lbValue).toBe(snap[1]!.lbValue);

    const r = lb.pick(req(['s.a']), 0);
    expect(r.member).toBe(0);
    expect(stateOf(lb, 'a')).toBe('ERR/PRB');
    // a probing member is not usable by other requests
    expect(lb.pick(req(), 0).member).toBe(1);
    lb.begin(0, req());
    lb.end(0, 'ok');
    expect(stateOf(lb, 'a')).toBe('OK');
  });

  it('a failed probe goes back to ERR with a fresh error time', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { recoverTimeSec: 5 }, { maintainSec: 10 });
    fail(lb, 'a', 'connect_error');
    expect(stateOf(lb, 'a')).toBe('ERR'); // nothing else in flight on a: global at once
    lb.maintain(clock.advance(10_000));
    expect(stateOf(lb, 'a')).toBe('ERR/REC');
    expect(lb.pick(req(['s.a']), 0).member).toBe(0);
    fail(lb, 'a', 'connect_error');
    expect(stateOf(lb, 'a')).toBe('ERR');
    expect(lb.snapshot().members[0]!.lastError).toEqual({ kind: 'connect_error', atMs: clock.t });
  });

  it('a member without requests since the last maintenance shows OK/IDLE', () => {
    const { lb, clock } = makeLb([member('a'), member('b')]);
    expect(stateOf(lb, 'a')).toBe('OK/IDLE');
    lb.begin(0, req());
    lb.end(0, 'ok');
    expect(stateOf(lb, 'a')).toBe('OK');
    lb.maintain(clock.advance(60_000));
    expect(stateOf(lb, 'a')).toBe('OK');
    lb.maintain(clock.advance(60_000));
    expect(stateOf(lb, 'a')).toBe('OK/IDLE');
  });
});

describe('error escalation', () => {
  it('a connect error while other requests are in flight stays local until error_escalation_time', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { errorEscalationTimeSec: 30 }, { maintainSec: 10 });
    lb.begin(0, req()); // a long request keeps a busy
    fail(lb, 'a', 'connect_error');
    expect(stateOf(lb, 'a')).toBe('OK');
    expect(lb.snapshot().members[0]!.errors).toBe(1);
    clock.advance(10_000);
    fail(lb, 'a', 'recv_error');
    expect(stateOf(lb, 'a')).toBe('OK'); // first error 10 s old < 30 s
    lb.maintain(clock.advance(10_000));
    expect(stateOf(lb, 'a')).toBe('OK');
    lb.maintain(clock.advance(10_000)); // first error is now 30 s old
    expect(stateOf(lb, 'a')).toBe('ERR');
  });

  it('escalates on the request itself once the first error is old enough, or with escalation off', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { errorEscalationTimeSec: 30 }, { maintainSec: 0 });
    lb.begin(0, req());
    fail(lb, 'a', 'send_error');
    clock.advance(30_000);
    fail(lb, 'a', 'send_error');
    expect(stateOf(lb, 'a')).toBe('ERR');
    const off = makeLb([member('a'), member('b')], { errorEscalationTimeSec: 0 });
    off.lb.begin(0, req());
    fail(off.lb, 'a', 'connect_error');
    expect(stateOf(off.lb, 'a')).toBe('ERR');
  });

  it('a success clears the local error', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { errorEscalationTimeSec: 30 }, { maintainSec: 10 });
    lb.begin(0, req());
    fail(lb, 'a', 'connect_error');
    fail(lb, 'a', 'ok');
    lb.maintain(clock.advance(40_000));
    expect(stateOf(lb, 'a')).toBe('OK');
  });

  it('protocol errors only skip the member for this request', () => {
    const { lb } = makeLb([member('a'), member('b')]);
    fail(lb, 'a', 'protocol_error');
    expect(stateOf(lb, 'a')).toBe('OK');
    expect(lb.snapshot().members[0]!.errors).toBe(0);
  });

  it('client errors change nothing but the client error counter', () => {
    const { lb } = makeLb([member('a'), member('b')]);
    fail(lb, 'a', 'client_error');
    const a = lb.snapshot().members[0]!;
    expect([a.state, a.errors, a.clientErrors, a.lastError]).toEqual(['OK', 0, 1, null]);
  });
});

describe('forced recovery', () => {
  it('maintenance forces recovery when every member is in error', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { recoverTimeSec: 600 }, { maintainSec: 10 });
    fail(lb, 'a', 'status_fail');
    lb.maintain(clock.advance(10_000));
    expect(stateOf(lb, 'a')).toBe('ERR');
    fail(lb, 'b', 'status_fail');
    lb.maintain(clock.advance(10_000));
    expect([stateOf(lb, 'a'), stateOf(lb, 'b')]).toEqual(['ERR/FRC', 'ERR/FRC']);
    expect(lb.pick(req(), 0).member).toBeGreaterThanOrEqual(0);
  });

  it('a request finding nobody forces recovery once (LbRequest) and the admin can recover one member', async () => {
    const { LbRequest } = await import('../../../src/balancer/index.js');
    const { lb } = makeLb([member('a'), member('b')], { recoverTimeSec: 600 });
    fail(lb, 'a', 'status_fail');
    fail(lb, 'b', 'status_fail');
    expect(lb.pick(req(), 0).member).toBe(-1);
    const r = new LbRequest(lb, req());
    expect(r.next()).toBe('try');
    expect(stateOf(lb, lb.names[r.member]!)).toBe('ERR/FRC');

    const other = makeLb([member('a'), member('b')]).lb;
    fail(other, 'a', 'status_fail');
    expect(other.forceRecovery(1)).toBe(false); // not in error
    expect(other.forceRecovery(0)).toBe(true);
    expect(other.stateText(0)).toBe('ERR/REC');
  });
});

describe('fail_on_status', () => {
  it('positive: ERR now; negative: fail over, member stays OK', () => {
    const { lb } = makeLb([member('a'), member('b')]);
    fail(lb, 'a', 'status_failover');
    expect(stateOf(lb, 'a')).toBe('OK');
    expect(lb.snapshot().members[0]!.errors).toBe(0);
    expect(lb.pick(req(), 1).member).toBe(1); // caller marks a as tried
    fail(lb, 'a', 'status_fail');
    expect(stateOf(lb, 'a')).toBe('ERR');
    expect(lb.snapshot().members[0]!.errors).toBe(1);
  });
});

describe('busy', () => {
  it('busy_limit: the member is BUSY when that many requests are in flight, OK again when one ends', () => {
    const { lb } = makeLb([member('a', { busyLimit: 2 }), member('b')]);
    expect(lb.begin(0, req())).toBe(true);
    expect(lb.begin(0, req())).toBe(true);
    expect(lb.begin(0, req())).toBe(false);
    expect(stateOf(lb, 'a')).toBe('OK/BUSY');
    expect(lb.snapshot().members[0]).toMatchObject({ busy: 2, maxBusy: 2 });
    for (let k = 0; k < 4; k++) expect(lb.pick(req(), 0).member).toBe(1);
    lb.refreshBusy();
    expect(stateOf(lb, 'a')).toBe('OK/BUSY'); // still at the limit
    lb.end(0, 'ok');
    lb.refreshBusy();
    expect(stateOf(lb, 'a')).toBe('OK');
  });

  it('pool exhaustion reported by the caller makes it BUSY until a slot is free', () => {
    let free = false;
    const { lb } = makeLb([member('a'), member('b')], {}, { hasFreeSlot: () => free });
    lb.markBusy(0);
    expect(stateOf(lb, 'a')).toBe('OK/BUSY');
    lb.refreshBusy();
    expect(stateOf(lb, 'a')).toBe('OK/BUSY');
    free = true;
    lb.refreshBusy();
    expect(stateOf(lb, 'a')).toBe('OK');
    fail(lb, 'a', 'status_fail');
    lb.markBusy(0);
    expect(stateOf(lb, 'a')).toBe('ERR'); // busy never hides an error
  });
});

describe('max_reply_timeouts', () => {
  it('puts the member in ERR only once reply timeouts exceed the limit; they decay at maintenance', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { maxReplyTimeouts: 2 }, { maintainSec: 10 });
    fail(lb, 'a', 'reply_timeout');
    fail(lb, 'a', 'reply_timeout');
    expect(stateOf(lb, 'a')).toBe('OK');
    lb.maintain(clock.advance(10_000)); // 2 >> 1 = 1
    fail(lb, 'a', 'reply_timeout');
    fail(lb, 'a', 'reply_timeout');
    expect(stateOf(lb, 'a')).toBe('ERR');
    const a = lb.snapshot().members[0]!;
    expect([a.replyTimeouts, a.replyTimeoutsTotal, a.errors]).toEqual([3, 4, 1]);
    const zero = makeLb([member('a'), member('b')]).lb;
    fail(zero, 'a', 'reply_timeout');
    expect(zero.stateText(0)).toBe('ERR');
  });
});
