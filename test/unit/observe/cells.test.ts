import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { CounterFamily, HistogramFamily } from '../../../src/observe/cells.js';
import { LATENCY_BUCKETS } from '../../../src/observe/metrics.js';

const OBSERVATIONS = [0, 0.004, 0.005, 0.0051, 0.3, 1, 59.9, 60, 61, 1e6];

/** The same series through prom-client's own classes and through ours, in two registries. */
function bothWays(): { theirs: Registry; ours: Registry } {
  const theirs = new Registry();
  const ours = new Registry();
  const c1 = new Counter({ name: 'x_total', help: 'h', labelNames: ['vhost', 'code_class'], registers: [theirs] });
  const h1 = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['lb', 'member'], buckets: LATENCY_BUCKETS, registers: [theirs] });
  const c2 = new CounterFamily('x_total', 'h', ['vhost', 'code_class'], ours);
  const h2 = new HistogramFamily('x_seconds', 'h', ['lb', 'member'], LATENCY_BUCKETS, ours);
  c1.labels('a.example', '2xx').inc(3);
  c2.labels('a.example', '2xx').inc(3);
  c1.labels('_default_', '5xx').inc();
  c2.labels('_default_', '5xx').inc();
  for (const v of OBSERVATIONS) {
    h1.labels('lb', 'was1').observe(v);
    h2.labels('lb', 'was1').observe(v);
  }
  h1.labels('', 'direct').observe(0.02);
  h2.labels('', 'direct').observe(0.02);
  return { theirs, ours };
}

describe('metric cells', () => {
  test('expose exactly what prom-client exposes for the same counts and observations', async () => {
    const { theirs, ours } = bothWays();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('x_seconds_bucket{le="0.005",lb="lb",member="was1"} 3');
    expect(text).toContain('x_seconds_bucket{le="+Inf",lb="lb",member="was1"} 10');
  });

  test('aggregate across serving processes (--procs) like prom-client metrics', async () => {
    const a = bothWays();
    const b = bothWays();
    const mine = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
    const real = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]);
    expect(await mine.metrics()).toBe(await real.metrics());
    expect(await mine.metrics()).toContain('x_total{vhost="a.example",code_class="2xx"} 6');
  });

  test('one cell per label values: the same object back, counting on', () => {
    const family = new CounterFamily('y_total', 'h', ['lb'], new Registry());
    const cell = family.labels('lb1');
    cell.inc();
    expect(family.labels('lb1')).toBe(cell);
    expect(family.labels('lb2')).not.toBe(cell);
    family.labels('lb1').inc(2);
    expect(cell.value).toBe(3);
  });
});
