// Per-request counters and histograms as plain numbers. prom-client's labelled children turn their label
// values into a hash string on every inc()/observe() (validating them too): five times per forwarded request,
// a quarter of ajplb's own JavaScript time at saturation. A cell here is found once per target and bumped with
// an add; the families below build prom-client's metric objects only when scraped, and register in its
// Registry, so /metrics, the --procs aggregation and getSingleMetric() see them like any other metric.

import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: string;
  values: Sample[];
  aggregator: 'sum';
}

export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class HistogramCell {
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulative (the +Inf bucket is `count`). */
  readonly perBucket: Float64Array;

  constructor(readonly labels: Labels, private readonly bounds: readonly number[]) {
    this.perBucket = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.perBucket[i]!++;
        return;
      }
    }
  }
}

abstract class Family<Cell extends { labels: Labels }> {
  private readonly cells = new Map<string, Cell>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[], registry: Registry) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The cell of these label values (in labelNames order), made on first use: keep it, do not call per request. */
  labels(...values: string[]): Cell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const labels: Labels = {};
      for (let i = 0; i < this.labelNames.length; i++) labels[this.labelNames[i]!] = values[i] ?? '';
      cell = this.makeCell(labels);
      this.cells.set(key, cell);
    }
    return cell;
  }

  reset(): void {
    this.cells.clear();
  }

  protected abstract makeCell(labels: Labels): Cell;
  protected abstract samples(cells: Iterable<Cell>): Sample[];
  abstract readonly type: string;

  /** The shape prom-client's own metrics return, so its Registry and aggregator can use ours. */
  get(): Promise<MetricJson> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.samples(this.cells.values()), aggregator: 'sum' });
  }
}

export class CounterFamily extends Family<CounterCell> {
  readonly type = 'counter';

  protected makeCell(labels: Labels): CounterCell {
    return new CounterCell(labels);
  }

  protected samples(cells: Iterable<CounterCell>): Sample[] {
    const out: Sample[] = [];
    for (const c of cells) out.push({ value: c.value, labels: { ...c.labels } });
    return out;
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected makeCell(labels: Labels): HistogramCell {
    return new HistogramCell(labels, this.bounds);
  }

  protected samples(cells: Iterable<HistogramCell>): Sample[] {
    const out: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of cells) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += c.perBucket[i]!;
        out.push({ value: cumulative, labels: { le: this.bounds[i]!, ...c.labels }, metricName: bucket });
      }
      out.push({ value: c.count, labels: { le: '+Inf', ...c.labels }, metricName: bucket });
      out.push({ value: c.sum, labels: { ...c.labels }, metricName: `${this.name}_sum` });
      out.push({ value: c.count, labels: { ...c.labels }, metricName: `${this.name}_count` });
    }
    return out;
  }
}
