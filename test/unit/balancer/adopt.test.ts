// adoptError: how a member marked ERR by another --procs process becomes ERR here, and recovers on this
// process's own recover_time timeline.

import { describe, expect, it } from 'vitest';
import { makeLb, member, req, stateOf } from './helpers.js';

describe('adoptError (a peer process saw the member fail)', () => {
  it('puts an OK member in ERR at the peer time, counts no error, and traffic avoids it', () => {
    const { lb, clock } = makeLb([member('a'), member('b')]);
    const at = clock.advance(500);
    expect(lb.adoptError(0, at)).toBe(true);
    expect(stateOf(lb, 'a')).toBe('ERR');
    expect(lb.lastErrorAt(0)).toBe(at);
    const snap = lb.snapshot().members[0]!;
    expect(snap.errors).toBe(0);
    expect(snap.errorsTotal).toBe(0);
    for (let k = 0; k < 6; k++) expect(lb.pick(req(), 0).member).toBe(1);
  });

  it('recovers by recover_time counted from the peer time, not from when the news arrived', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { recoverTimeSec: 60 }, { maintainSec: 1 });
    const peerAt = clock.t;
    clock.advance(5_000); // the news arrives late
    lb.adoptError(0, peerAt);
    clock.t = peerAt + 60_000;
    lb.maintain(clock.t);
    expect(stateOf(lb, 'a')).toBe('ERR');
    clock.t = peerAt + 61_000; // strictly more than recover_time after the peer's failure
    lb.maintain(clock.t);
    expect(stateOf(lb, 'a')).toBe('ERR/REC');
  });

  it('an older or equal failure changes nothing; a newer one on an ERR member moves the recovery time', () => {
    const { lb, clock } = makeLb([member('a'), member('b')]);
    const t1 = clock.advance(1000);
    expect(lb.adoptError(0, t1)).toBe(true);
    expect(lb.adoptError(0, t1 - 500)).toBe(false);
    expect(lb.lastErrorAt(0)).toBe(t1);
    expect(lb.adoptError(0, t1 + 2000)).toBe(false); // already ERR: no state change…
    expect(lb.lastErrorAt(0)).toBe(t1 + 2000); // …but recovery now counts from the later failure
  });

  it('does not resurrect an error a local success already cleared when the peer report is older than our own record', () => {
    const { lb, clock } = makeLb([member('a'), member('b')], { errorEscalationTimeSec: 30 });
    // a local (not escalated) error at t2 while another request is still in flight
    const m = lb.indexOf('a');
    lb.begin(m, req());
    lb.begin(m, req());
    const t2 = clock.advance(2000);
    lb.end(m, 'connect_error');
    expect(stateOf(lb, 'a')).not.toBe('ERR');
    expect(lb.adoptError(m, t2 - 1000)).toBe(false);
    expect(stateOf(lb, 'a')).not.toBe('ERR');
    expect(lb.adoptError(m, t2 + 1)).toBe(true);
    expect(stateOf(lb, 'a')).toBe('ERR');
  });
});
