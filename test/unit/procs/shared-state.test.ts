import { describe, expect, it } from 'vitest';
import { Balancer } from '../../../src/balancer/index.js';
import type { WorkersConfig } from '../../../src/config/types.js';
import { Diagnostics, readProperties, validateWorkers } from '../../../src/config/index.js';
import { SharedBalancerState } from '../../../src/procs/shared-state.js';

function workers(members: string[]): WorkersConfig {
  const lines = ['worker.list=lb', 'worker.lb.type=lb', `worker.lb.balance_workers=${members.join(',')}`];
  members.forEach((m, i) => lines.push(`worker.${m}.host=127.0.0.1`, `worker.${m}.port=${9000 + i}`));
  const diag = new Diagnostics(false);
  return validateWorkers(readProperties(lines.join('\n'), 'workers.properties', diag, { mode: 'workers', env: {} }), diag);
}

function balancerOn(config: WorkersConfig, buffer: SharedArrayBuffer): Balancer {
  const lb = config.workers.get('lb');
  if (lb?.type !== 'lb') throw new Error('no lb');
  const members = lb.members.map((m) => config.workers.get(m)).filter((m) => m?.type === 'ajp13');
  return new Balancer(lb, members as never, { maintainSec: 60, shared: buffer });
}

describe('lb state shared by --procs threads', () => {
  it('hands out a buffer already initialised, which two balancers then share', () => {
    const state = new SharedBalancerState();
    const config = workers(['a', 'b']);
    const buffer = state.update(config)['lb']!;
    const one = balancerOn(config, buffer);
    const two = balancerOn(config, buffer);
    one.setActivation(one.indexOf('b'), 'stopped');
    expect(two.snapshot().members[two.indexOf('b')]!.activation).toBe('STP');
  });

  it('keeps the buffer (and its live state) while the members stay the same, and lays out a new one when they change', () => {
    const state = new SharedBalancerState();
    const first = state.update(workers(['a', 'b']))['lb'];
    expect(state.update(workers(['a', 'b']))['lb']).toBe(first);
    const grown = state.update(workers(['a', 'b', 'c']))['lb'];
    expect(grown).not.toBe(first);
    expect(() => balancerOn(workers(['a', 'b', 'c']), grown!)).not.toThrow();
  });
});
