import { describe, expect, it } from 'vitest';
import { markdown, summarize, type RunRecord } from '../../bench/report.js';

function run(round: number, front: RunRecord['front'], reqPerSec: number, cpuPer10k: number, p99: number): RunRecord {
  return {
    round, scenario: 'get-c16', backend: 'light', front, requests: reqPerSec * 5, reqPerSec,
    latencyMs: { p50: 1, p99, p999: p99 * 2 }, errors: 0, cpuPer10k, backendCpuPer10k: 0.3, peakRssMiB: 90, bytesPerRequest: 100,
  };
}

describe('the benchmark report', () => {
  it('pairs ajplb with Apache round by round and shows how far the rounds spread', () => {
    const records = [
      run(1, 'ajplb', 900, 1.0, 4), run(1, 'mod_jk', 1000, 1.0, 4),
      run(2, 'ajplb', 1100, 0.8, 3), run(2, 'mod_jk', 1000, 1.0, 4),
      run(3, 'ajplb', 1050, 0.9, 2), run(3, 'mod_jk', 1000, 1.0, 4),
    ];
    const { ratios } = summarize(records, ['get-c16']);
    const vsModJk = ratios.find((r) => r.front === 'ajplb' && r.versus === 'mod_jk');
    expect(vsModJk?.rounds).toBe(3);
    expect(vsModJk?.throughput).toBeCloseTo(1.05);
    expect(vsModJk?.spread.throughput[0]).toBeCloseTo(0.9);
    expect(vsModJk?.spread.throughput[1]).toBeCloseTo(1.1);
    expect(vsModJk?.spread.p99).toEqual([0.5, 1]);
    const md = markdown([], ratios, { started: 'test' }, new Map([['get-c16', 'GET small, 16 conn']]));
    expect(md).toContain('| light | GET small, 16 conn | ajplb | mod_jk | 1.05 (0.90–1.10) | 0.90 (0.80–1.00) | 0.75 (0.50–1.00) | 3 |');
  });

  it('shows no range for a single round', () => {
    const { ratios } = summarize([run(1, 'ajplb', 900, 1.0, 4), run(1, 'mod_jk', 1000, 1.0, 4)], ['get-c16']);
    const md = markdown([], ratios, { started: 'test' }, new Map());
    expect(md).toContain('| light | get-c16 | ajplb | mod_jk | 0.90 | 1.00 | 1.00 | 1 |');
  });
});
