import { describe, expect, it } from 'vitest';
import { V8_FLAGS, withV8Flags } from '../../src/node-flags.js';

describe('the V8 flags a --procs primary gives its workers', () => {
  it('adds ajplb\'s flags to the operator\'s node flags', () => {
    expect(withV8Flags(['--enable-source-maps'])).toEqual(['--enable-source-maps', ...V8_FLAGS]);
  });

  it('leaves a flag the operator set alone, however spelled', () => {
    expect(withV8Flags(['--initial-old-space-size=256'])).toEqual(['--initial-old-space-size=256']);
    expect(withV8Flags(['--initial_old_space_size=16'])).toEqual(['--initial_old_space_size=16']);
  });
});
