// Medians over rounds, ajplb's ratios against the two Apache fronts, as markdown and JSON.

import type { FrontName } from './fronts.js';

export interface RunRecord {
  round: number;
  scenario: string;
  backend: 'tomcat' | 'light';
  front: FrontName;
  /** Set when the front did not start, failed its preflight request, or wrk failed. */
  failure?: string;
  requests: number;
  reqPerSec: number;
  latencyMs: { p50: number; p99: number; p999: number };
  errors: number;
  errorDetail?: Record<string, number>;
  /** CPU seconds of the front's process tree per 10 000 requests (for tomcat_direct: the serving JVM). */
  cpuPer10k: number;
  /** CPU seconds of the backend's processes (both Tomcats, or the light backend) per 10 000 requests. */
  backendCpuPer10k: number;
  peakRssMiB: number;
  bytesPerRequest: number;
}

export interface Row {
  scenario: string;
  backend: string;
  front: FrontName;
  runs: number;
  failed: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  cpuPer10k: number;
  backendCpuPer10k: number;
  peakRssMiB: number;
}

export interface RatioRow {
  front: AjplbFront;
  scenario: string;
  backend: string;
  versus: 'mod_jk' | 'mod_proxy_ajp';
  rounds: number;
  throughput: number;
  cpuPerRequest: number;
  p99: number;
  /** Lowest and highest per-round ratio: how far one round can be trusted on this machine. */
  spread: { throughput: Range; cpuPerRequest: Range; p99: Range };
}

export type Range = [low: number, high: number];

function rangeOf(values: readonly number[]): Range {
  return [Math.min(...values), Math.max(...values)];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const FRONT_ORDER: FrontName[] = ['ajplb', 'ajplb_procs', 'mod_jk', 'mod_proxy_ajp', 'tomcat_direct'];
type AjplbFront = 'ajplb' | 'ajplb_procs';
const AJPLB_FRONTS: AjplbFront[] = ['ajplb', 'ajplb_procs'];

function keyOf(r: { scenario: string; backend: string }): string {
  return `${r.backend}\u0000${r.scenario}`;
}

export function summarize(records: readonly RunRecord[], scenarioOrder: readonly string[]): { rows: Row[]; ratios: RatioRow[] } {
  const rows: Row[] = [];
  const ratios: RatioRow[] = [];
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const list = groups.get(keyOf(record)) ?? [];
    list.push(record);
    groups.set(keyOf(record), list);
  }
  const ordered = [...groups.entries()].sort(([, a], [, b]) => {
    const [ra, rb] = [a[0] as RunRecord, b[0] as RunRecord];
    return ra.backend === rb.backend
      ? scenarioOrder.indexOf(ra.scenario) - scenarioOrder.indexOf(rb.scenario)
      : ra.backend === 'tomcat' ? -1 : 1;
  });
  for (const [, group] of ordered) {
    const first = group[0] as RunRecord;
    for (const front of FRONT_ORDER) {
      const all = group.filter((r) => r.front === front);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.failure === undefined);
      rows.push({
        scenario: first.scenario, backend: first.backend, front, runs: all.length, failed: all.length - ok.length,
        reqPerSec: median(ok.map((r) => r.reqPerSec)),
        p50Ms: median(ok.map((r) => r.latencyMs.p50)),
        p99Ms: median(ok.map((r) => r.latencyMs.p99)),
        p999Ms: median(ok.map((r) => r.latencyMs.p999)),
        errors: ok.reduce((sum, r) => sum + r.errors, 0),
        cpuPer10k: median(ok.map((r) => r.cpuPer10k)),
        backendCpuPer10k: median(ok.map((r) => r.backendCpuPer10k)),
        peakRssMiB: Math.max(0, ...ok.map((r) => r.peakRssMiB)),
      });
    }
    // Ratios from runs of the same round (interleaved, so they saw the same machine state), then the median.
    for (const mine of AJPLB_FRONTS) for (const versus of ['mod_jk', 'mod_proxy_ajp'] as const) {
      const perRound = { throughput: [] as number[], cpu: [] as number[], p99: [] as number[] };
      for (const a of group.filter((r) => r.front === mine && r.failure === undefined)) {
        const b = group.find((r) => r.front === versus && r.round === a.round && r.failure === undefined);
        if (b === undefined) continue;
        perRound.throughput.push(a.reqPerSec / b.reqPerSec);
        perRound.cpu.push(a.cpuPer10k / b.cpuPer10k);
        perRound.p99.push(a.latencyMs.p99 / b.latencyMs.p99);
      }
      if (perRound.throughput.length === 0) continue;
      ratios.push({
        front: mine, scenario: first.scenario, backend: first.backend, versus, rounds: perRound.throughput.length,
        throughput: median(perRound.throughput), cpuPerRequest: median(perRound.cpu), p99: median(perRound.p99),
        spread: { throughput: rangeOf(perRound.throughput), cpuPerRequest: rangeOf(perRound.cpu), p99: rangeOf(perRound.p99) },
      });
    }
  }
  return { rows, ratios };
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** `0.93 (0.88–1.02)`; one round has no range to show. */
function withRange(value: number, range: Range, rounds: number): string {
  return rounds < 2 ? fmt(value, 2) : `${fmt(value, 2)} (${fmt(range[0], 2)}–${fmt(range[1], 2)})`;
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

export function markdown(
  rows: readonly Row[],
  ratios: readonly RatioRow[],
  meta: Record<string, string | number | boolean>,
  scenarioLabels: ReadonlyMap<string, string>,
): string {
  const out: string[] = [];
  out.push(`# ajplb benchmark ${String(meta['started'])}`, '');
  out.push(Object.entries(meta).map(([key, value]) => `- ${key}: ${String(value)}`).join('\n'), '');
  out.push('Medians over rounds. CPU = seconds of the front\'s processes (all of them, children included) per 10 000',
    'requests; for tomcat_direct it is the serving JVM, which is also the application. RSS = peak (VmHWM) summed over',
    'the front\'s processes. errors = socket errors + HTTP status >= 400, summed over rounds. Backend CPU = seconds of',
    'both Tomcat JVMs (or the light backend) per 10 000 requests. Compare it on the rows with an offered rate: at',
    'saturation a Tomcat driven harder spends less per request (its threads sleep less), so there it follows the',
    'throughput more than the front\'s way of talking AJP.', '');
  for (const backend of ['tomcat', 'light']) {
    const mine = rows.filter((r) => r.backend === backend);
    if (mine.length === 0) continue;
    out.push(`## Backend: ${backend === 'tomcat' ? 'two real Tomcat 10.1 (was1, was2)' : 'light AJP backend (fixed responses)'}`, '');
    out.push('| scenario | front | req/s | p50 ms | p99 ms | p99.9 ms | errors | CPU s/10k req | backend CPU s/10k | peak RSS MiB | runs |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of mine) {
      const runs = r.failed > 0 ? `${r.runs - r.failed}/${r.runs} ⚠` : String(r.runs);
      out.push(`| ${scenarioLabels.get(r.scenario) ?? r.scenario} | ${r.front} | ${thousands(r.reqPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.p999Ms, 2)} | ${r.errors} | ${fmt(r.cpuPer10k, 2)} | ${fmt(r.backendCpuPer10k, 2)} | ${fmt(r.peakRssMiB, 0)} | ${runs} |`);
    }
    out.push('');
  }
  if (ratios.length > 0) {
    out.push('## ajplb relative to Apache (median of per-round ratios)', '');
    out.push('Throughput > 1 is better for ajplb; CPU per request and p99 < 1 are better for ajplb.', '');
    out.push('ajplb_procs is `ajplb --procs auto` (one serving process per core).', '');
    out.push('On rows with an offered rate every front serves the same load: throughput there only says whether it kept',
      'up; CPU per request and p99 are the comparison. Their requests arrive evenly spread (the load generator opens',
      'its connections over one request interval, not all at once) after a warm-up four times the usual.', '');
    out.push('In brackets, the lowest and highest ratio of a single round: where that range holds 1, the rounds disagree',
      'on which front is ahead, and the median alone should not be read as a win or a loss.', '');
    out.push('| backend | scenario | ajplb | vs | throughput | CPU / request | p99 | rounds |');
    out.push('|---|---|---|---|---:|---:|---:|---:|');
    for (const r of ratios) {
      out.push(`| ${r.backend} | ${scenarioLabels.get(r.scenario) ?? r.scenario} | ${r.front} | ${r.versus} | ${withRange(r.throughput, r.spread.throughput, r.rounds)} | ${withRange(r.cpuPerRequest, r.spread.cpuPerRequest, r.rounds)} | ${withRange(r.p99, r.spread.p99, r.rounds)} | ${r.rounds} |`);
    }
    out.push('');
  }
  const ceiling = directLatency(rows);
  if (ceiling.length > 0) {
    out.push('## ajplb over the light backend vs Tomcat\'s own HTTP connector (latency)', '');
    out.push('The proxy\'s added latency: ajplb in front of a backend that answers at once, against a client talking to', 'Tomcat directly. Goal: within 1.5x.', '');
    out.push('| scenario | ajplb | p50 vs Tomcat direct | p99 vs Tomcat direct |', '|---|---|---:|---:|');
    for (const c of ceiling) out.push(`| ${scenarioLabels.get(c.scenario) ?? c.scenario} | ${c.front} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} |`);
    out.push('');
  }
  return out.join('\n');
}

/** Median latencies of ajplb on the light backend over Tomcat-direct's in the same scenario. */
export function directLatency(rows: readonly Row[]): { scenario: string; front: AjplbFront; p50: number; p99: number }[] {
  const out: { scenario: string; front: AjplbFront; p50: number; p99: number }[] = [];
  for (const direct of rows.filter((r) => r.backend === 'tomcat' && r.front === 'tomcat_direct')) {
    for (const front of AJPLB_FRONTS) {
      const mine = rows.find((r) => r.backend === 'light' && r.front === front && r.scenario === direct.scenario);
      if (mine !== undefined) out.push({ scenario: direct.scenario, front, p50: mine.p50Ms / direct.p50Ms, p99: mine.p99Ms / direct.p99Ms });
    }
  }
  return out;
}
