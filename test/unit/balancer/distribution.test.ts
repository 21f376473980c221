import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeLb, member, req, serve } from './helpers.js';

function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
}

function expectWithin1Percent(actual: number[], factors: number[]): void {
  const sum = factors.reduce((a, b) => a + b, 0);
  actual.forEach((share, i) => {
    const want = factors[i]! / sum;
    expect(Math.abs(share - want) / want).toBeLessThan(0.01);
  });
}

const RATIOS = [
  [1, 1],
  [1, 3],
  [2, 3, 5],
];

describe('lb_mult', () => {
  it('is LCM(lbfactors)/lbfactor and follows setLbfactor', () => {
    const { lb } = makeLb([member('a', { lbfactor: 2 }), member('b', { lbfactor: 3 }), member('c', { lbfactor: 5 })]);
    expect(lb.snapshot().members.map((m) => m.lbMult)).toEqual([15, 10, 6]);
    lb.setLbfactor(2, 4);
    expect(lb.snapshot().members.map((m) => m.lbMult)).toEqual([6, 4, 3]);
    lb.setLbfactor(0, 0); // minimum 1, as mod_jk
    expect(lb.snapshot().members.map((m) => m.lbfactor)).toEqual([1, 3, 4]);
  });
});

describe('split over 100k requests follows lbfactor', () => {
  for (const factors of RATIOS) {
    it(`method R ${factors.join(':')}`, () => {
      const { lb, clock } = makeLb(factors.map((f, i) => member(`w${i}`, { lbfactor: f })));
      const counts = factors.map(() => 0);
      for (let k = 0; k < 100_000; k++) {
        counts[serve(lb, req())]!++;
        // maintenance every 60 s of a 1000 req/s stream: decay must not skew the split
        if (k % 1000 === 999) lb.maintain(clock.advance(1000));
      }
      expectWithin1Percent(shares(counts), factors);
    });

    it(`method T ${factors.join(':')} splits bytes`, () => {
      const { lb, clock } = makeLb(
        factors.map((f, i) => member(`w${i}`, { lbfactor: f })),
        { method: 'T' },
      );
      const bytes = factors.map(() => 0);
      let seed = 42;
      for (let k = 0; k < 100_000; k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const size = 200 + (seed % 20_000);
        bytes[serve(lb, req(), size)]! += size;
        if (k % 1000 === 999) lb.maintain(clock.advance(1000));
      }
      expectWithin1Percent(shares(bytes), factors);
    });
  }

  it('property: any lbfactors 1..10 on R give shares within 1%', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 5 }), (factors) => {
        const { lb } = makeLb(factors.map((f, i) => member(`w${i}`, { lbfactor: f })));
        const counts = factors.map(() => 0);
        const sum = factors.reduce((a, b) => a + b, 0);
        for (let k = 0; k < sum * 1000; k++) counts[serve(lb, req())]!++;
        expectWithin1Percent(shares(counts), factors);
      }),
      { numRuns: 25 },
    );
  });
});

describe('lb_value bookkeeping', () => {
  it('ties go round-robin thanks to the rotating offset', () => {
    const { lb } = makeLb([member('a'), member('b'), member('c')], { method: 'S' });
    // S counts only requests without a session: with sessions every lb_value stays 0 (a tie)
    const picks = Array.from({ length: 6 }, () => serve(lb, req(['abc'])));
    expect(picks).toEqual([0, 1, 2, 0, 1, 2]);
    expect(lb.snapshot().members.map((m) => m.lbValue)).toEqual([0, 0, 0]);
  });

  it('stateless requests ignore lb_value and are not counted by S', () => {
    const { lb } = makeLb([member('a'), member('b')], { method: 'S' });
    lb.setLbfactor(0, 1);
    for (let k = 0; k < 5; k++) serve(lb, req()); // a:3 b:2 -> lb values 3,2
    const before = lb.snapshot().members.map((m) => m.lbValue);
    const picks = Array.from({ length: 4 }, () => serve(lb, req(null, { stateless: true })));
    expect(new Set(picks)).toEqual(new Set([0, 1])); // both, despite unequal lb_value
    expect(lb.snapshot().members.map((m) => m.lbValue)).toEqual(before);
  });

  it('R/T/S decay by 2^e at maintenance; N subtracts the minimum; B never decays', () => {
    const cases = [
      ['R', [5, 3]],
      ['S', [5, 3]],
      ['N', [8, 0]],
    ] as const;
    for (const [method, want] of cases) {
      const { lb, clock } = makeLb([member('a'), member('b')], { method });
      // uneven load on purpose: 20 requests on a, 12 on b (lb_mult 1 each)
      for (let k = 0; k < 32; k++) {
        const m = k < 20 ? 0 : 1;
        lb.begin(m, req());
        lb.end(m, 'ok');
      }
      // e = 120 s / 60 s = 2: R and S shift right by 2; N only subtracts the usable minimum
      clock.advance(120_000);
      expect(lb.maintain(clock.t)).toBe(true);
      expect(lb.snapshot().members.map((m) => m.lbValue)).toEqual(want);
    }
    const { lb, clock } = makeLb([member('a'), member('b')], { method: 'B' });
    const r = req();
    lb.begin(0, r);
    lb.begin(0, r);
    lb.begin(1, r);
    lb.maintain(clock.advance(600_000));
    expect(lb.snapshot().members.map((m) => m.lbValue)).toEqual([2, 1]);
    lb.end(0, 'ok');
    expect(lb.snapshot().members[0]!.lbValue).toBe(1);
    // B picks the member with the fewest requests in flight
    expect(lb.pick(req(), 0).member).toBe(0);
  });

  it('T adds (bytes in + out) * lb_mult after the request', () => {
    const { lb } = makeLb([member('a', { lbfactor: 1 }), member('b', { lbfactor: 2 })], { method: 'T' });
    lb.begin(1, req());
    lb.end(1, 'ok', 100, 900);
    expect(lb.snapshot().members[1]!.lbValue).toBe(1000);
    lb.begin(0, req());
    lb.end(0, 'ok', 0, 10);
    expect(lb.snapshot().members[0]!.lbValue).toBe(20);
  });

  it('maintenance runs once per interval across callers', () => {
    const { lb, clock } = makeLb([member('a'), member('b')]);
    expect(lb.maintain(clock.advance(30_000))).toBe(false);
    expect(lb.maintain(clock.advance(30_000))).toBe(true);
    expect(lb.maintain(clock.t)).toBe(false);
    const off = makeLb([member('a')], {}, { maintainSec: 0 });
    expect(off.lb.maintain(off.clock.advance(1e9))).toBe(false);
  });
});
