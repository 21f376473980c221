import { afterEach, describe, expect, it, vi } from 'vitest';
import { BenchOptions } from '../../bench/cli-args.js';

class Exit extends Error {
  constructor(readonly code: number | undefined) {
    super(`exit ${code}`);
  }
}

describe('the benchmark\'s option checks', () => {
  afterEach(() => vi.restoreAllMocks());

  function refusal(run: () => unknown): { code: number | undefined; stderr: string } {
    let stderr = '';
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Exit(code as number | undefined);
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      run();
    } catch (err) {
      if (err instanceof Exit) return { code: err.code, stderr };
      throw err;
    }
    throw new Error('not refused');
  }

  const options = new BenchOptions('usage: test\n');

  it('takes good values and the fallback when an option is absent', () => {
    expect(options.number('rounds', '3', 1)).toBe(3);
    expect(options.number('rounds', undefined, 1)).toBe(1);
    expect(options.number('warmup', '0', 1, true)).toBe(0);
    expect(options.list('fronts', 'ajplb, mod_jk', ['ajplb', 'mod_jk', 'tomcat_direct'])).toEqual(['ajplb', 'mod_jk']);
  });

  it('refuses a bad value with the flag, the reason and the usage, and exit status 2', () => {
    const rounds = refusal(() => options.number('rounds', 'x', 1));
    expect(rounds.code).toBe(2);
    expect(rounds.stderr).toBe('--rounds x: a positive number is needed\n\nusage: test\n');
    expect(refusal(() => options.number('duration', '0', 5)).stderr).toContain('--duration 0: a positive number');
    const fronts = refusal(() => options.list('fronts', 'ajplb,modjk', ['ajplb', 'mod_jk']));
    expect(fronts.stderr).toContain('--fronts: modjk unknown; choose from ajplb,mod_jk');
  });
});
