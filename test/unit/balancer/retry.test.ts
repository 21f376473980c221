import { describe, expect, it } from 'vitest';
import {
  type AttemptProgress,
  emptyTried,
  httpStatusFor,
  isTried,
  LbRequest,
  markTried,
  mayRetry,
  type Outcome,
} from '../../../src/balancer/index.js';
import { makeLb, member, req } from './helpers.js';

const before: AttemptProgress = { sent: false, headersSent: false, method: 'POST', bodyReplayable: true };
const sent = (method = 'POST'): AttemptProgress => ({ sent: true, headersSent: false, method, bodyReplayable: true });
const headers: AttemptProgress = { sent: true, headersSent: true, method: 'GET', bodyReplayable: true };

describe('recovery_options', () => {
  // [outcome, progress, recovery_options, may retry]
  const table: [Outcome, AttemptProgress, number, boolean][] = [
    ['connect_error', before, 0, true],
    ['connect_error', before, 1 | 2, true], // before Tomcat has it: always
    ['send_error', before, 1, true],
    ['busy', before, 3, true],
    ['reply_timeout', sent(), 0, true],
    ['reply_timeout', sent(), 1, false],
    ['recv_error', sent(), 1, false],
    ['protocol_error', sent(), 1, false],
    ['recv_error', sent('HEAD'), 1 | 8, true],
    ['recv_error', sent('GET'), 1 | 8, false],
    ['recv_error', sent('GET'), 1 | 16, true],
    ['recv_error', sent('POST'), 1 | 16, false],
    ['recv_error', sent('GET'), 1 | 8 | 16, false], // mod_jk quirk: with both only HEAD is checked
    ['recv_error', sent('HEAD'), 1 | 8 | 16, true],
    ['recv_error', sent(), 2, true], // bit 2 alone does not stop a failure before headers
    ['recv_error', headers, 0, false], // chosen: never splice a second response after headers
    ['recv_error', headers, 2, false],
    ['status_failover', sent(), 1, true], // the status is dropped before the client sees anything
    ['status_fail', sent(), 1, true],
    ['reply_timeout', { ...sent(), bodyReplayable: false }, 0, false],
    ['client_error', before, 0, false],
    ['ok', sent(), 0, false],
  ];
  it.each(table)('%s %o options=%i -> %s', (outcome, progress, opts, want) => {
    expect(mayRetry(outcome, progress, opts)).toBe(want);
  });

  it('final HTTP statuses follow mod_jk', () => {
    expect(httpStatusFor('reply_timeout')).toBe(504);
    expect(httpStatusFor('protocol_error')).toBe(502);
    expect(httpStatusFor('recv_error')).toBe(502);
    expect(httpStatusFor('connect_error')).toBe(503);
    expect(httpStatusFor('status_fail')).toBe(503);
    expect(httpStatusFor('busy')).toBe(503);
  });
});

describe('tried masks', () => {
  it('work past 32 members', () => {
    let mask = emptyTried(40);
    mask = markTried(mask, 35);
    mask = markTried(mask, 31);
    expect([isTried(mask, 35), isTried(mask, 31), isTried(mask, 3)]).toEqual([true, true, false]);
    const names = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const { lb } = makeLb(names.map((n) => member(n)));
    let tried = emptyTried(40);
    const seen = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const m = lb.pick(req(), tried).member;
      seen.add(m);
      tried = markTried(tried, m);
    }
    expect(seen.size).toBe(40);
    expect(lb.pick(req(), tried).member).toBe(-1);
  });
});

describe('LbRequest: the mod_jk service loop', () => {
  const progress = sent('GET');

  it('tries lb_retries members per pass, waits retry_interval, then gives the last status', () => {
    const { lb } = makeLb([member('a'), member('b'), member('c')], { retries: 2, lbRetries: 2, retryIntervalMs: 100, maxReplyTimeouts: 10 });
    const r = new LbRequest(lb, req());
    const tried: number[] = [];
    const steps: string[] = [];
    for (let step = r.next(); step !== 'done' && step !== 'fail'; step = r.next()) {
      steps.push(step);
      if (step === 'wait') {
        expect(r.waitMs).toBe(100);
        continue;
      }
      tried.push(r.member);
      expect(r.begin()).toBe(true);
      r.end('reply_timeout', progress);
    }
    expect(steps).toEqual(['try', 'try', 'wait', 'try', 'try']);
    expect(new Set(tried.slice(0, 2)).size).toBe(2); // a pass never repeats a member
    expect(r.status).toBe(504);
    expect(lb.snapshot().members.every((m) => m.busy === 0)).toBe(true);
  });

  it('stops at once when the outcome may not be retried', () => {
    const { lb } = makeLb([member('a', { recoveryOptions: 1 }), member('b', { recoveryOptions: 1 })]);
    const r = new LbRequest(lb, req());
    expect(r.next()).toBe('try');
    r.begin();
    r.end('recv_error', sent('POST'));
    expect(r.next()).toBe('fail');
    expect(r.status).toBe(502);
  });

  it('fails over on a -fail_on_status and succeeds on the next member', () => {
    const { lb } = makeLb([member('a'), member('b')]);
    const r = new LbRequest(lb, req());
    r.next();
    const first = r.member;
    r.begin();
    r.end('status_failover', progress);
    expect(r.next()).toBe('try');
    expect(r.member).not.toBe(first);
    r.begin();
    r.end('ok', progress, 10, 20);
    expect(r.next()).toBe('done');
    expect(r.status).toBe(0);
  });

  it('a full pool and a busy_limit both move the request on', () => {
    const { lb } = makeLb([member('a', { busyLimit: 1 }), member('b')]);
    lb.begin(0, req()); // a now at its limit
    const r = new LbRequest(lb, req(['s.a']));
    expect(r.next()).toBe('try');
    expect(r.member).toBe(0);
    expect(r.begin()).toBe(false);
    expect(r.next()).toBe('try');
    expect(r.member).toBe(1);
    r.noSlot();
    expect(lb.stateText(1)).toBe('OK/BUSY');
    expect(r.next()).toBe('wait');
  });

  it('no usable member: 503 after the passes', () => {
    const { lb } = makeLb([member('a', { activation: 'stopped' }), member('b', { activation: 'stopped' })], { retries: 3 });
    const r = new LbRequest(lb, req());
    const steps: string[] = [];
    for (let step = r.next(); step !== 'fail'; step = r.next()) steps.push(step);
    expect(steps).toEqual(['wait', 'wait']);
    expect(r.status).toBe(503);
    expect(r.lastOutcome).toBeNull();
    r.reset(req());
    expect(r.next()).toBe('wait');
  });
});
