import { describe, expect, it } from 'vitest';
import { elapsedSeconds, staggeredStart } from '../../bench/h2load.js';

describe('h2load at an offered rate', () => {
  it('opens the connections over one request interval instead of all at once', () => {
    // 4,000 req/s over 64 connections: each client sends every 16 ms, so 4 connections a millisecond.
    expect(staggeredStart(64, 2, 4000, 64)).toEqual({ perPeriod: 4, periodMs: 1 });
    // 100 uploads/s over 16 connections: every 160 ms per client, 2 connections (one per thread) every 20 ms.
    expect(staggeredStart(16, 2, 100, 16)).toEqual({ perPeriod: 2, periodMs: 20 });
  });

  it('spreads any split within one period of the interval, the same number per thread', () => {
    for (const [connections, threads, rate, total] of [[32, 1, 4000, 64], [256, 2, 50_000, 256], [7, 3, 10, 7], [1, 1, 1, 1]] as const) {
      const { perPeriod, periodMs } = staggeredStart(connections, threads, rate, total);
      const intervalMs = (1000 * total) / rate;
      const spreadMs = Math.ceil(connections / perPeriod) * periodMs;
      expect(perPeriod % threads).toBe(0);
      expect(periodMs).toBeGreaterThanOrEqual(1);
      expect(Math.abs(spreadMs - intervalMs)).toBeLessThanOrEqual(periodMs);
    }
  });

  it('reads the run time in whichever unit h2load chose', () => {
    expect(elapsedSeconds('finished in 8.00s, 3998.53 req/s, 675.53KB/s\n')).toBe(8);
    expect(elapsedSeconds('x\nfinished in 12.50ms, 80.00 req/s, 1KB/s\n')).toBeCloseTo(0.0125, 6);
    expect(elapsedSeconds('finished in 964us, 0.00 req/s, 0B/s\n')).toBeCloseTo(0.000964, 9);
    expect(elapsedSeconds('no summary')).toBe(0);
  });
});
