import { describe, expect, it } from 'vitest';
import { parseCpuList, placedCommand, setPlacement } from '../../bench/placement.js';

describe('the benchmark\'s CPU placement', () => {
  it('reads taskset CPU lists and names them in order, once each', () => {
    expect(parseCpuList('1', 2, '--cpus-front')).toBe('1');
    expect(parseCpuList('4-7', 8, '--cpus-backend')).toBe('4,5,6,7');
    expect(parseCpuList('6,0-1, 1', 8, '--cpus-load')).toBe('0,1,6');
  });

  it('refuses what taskset would fail on mid-run, naming the flag and what is wrong', () => {
    expect(() => parseCpuList('2', 2, '--cpus-backend')).toThrow('--cpus-backend 2: this machine has CPUs 0-1');
    expect(() => parseCpuList('3-1', 8, '--cpus-front')).toThrow('runs backwards');
    expect(() => parseCpuList('cpu0', 8, '--cpus-load')).toThrow('"cpu0" is not a CPU number or range');
  });

  it('starts a placed part under taskset and leaves the others alone', () => {
    setPlacement({ front: '0' });
    try {
      expect(placedCommand('front', 'node', ['dist/cli.js'])).toEqual(['taskset', ['-c', '0', 'node', 'dist/cli.js']]);
      expect(placedCommand('load', 'wrk', ['-c', '16'])).toEqual(['wrk', ['-c', '16']]);
    } finally {
      setPlacement({});
    }
  });
});
