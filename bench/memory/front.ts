// One ajplb per check, started fresh (so its VmHWM belongs to that check alone) with its admin listener on, so
// the report can say how much of the resident set is V8 heap, and watched by an RSS sampler while the check runs.

import { appendFileSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePorts } from '../../test/tomcat/harness/net.js';
import { startFront, type Backend, type RunningFront } from '../fronts.js';
import { peakMiB, RssSampler, type Sample } from './rss.js';

export interface CheckContext {
  /** Repository root (dist/cli.js). */
  repo: string;
  /** Scratch directory for configs and scripts; removed at exit. */
  scratch: string;
  /** bench/results/raw/memory-<stamp>/: logs of each check (git-ignored). */
  rawDir: string;
  /** The node that runs ajplb (bench/fronts.ts ajplbNode). */
  ajplbNode: string;
}

export interface CheckResult {
  id: string;
  title: string;
  pass: boolean;
  /** The figures the verdict rests on, as one line. */
  line: string;
  figures: Record<string, number | string>;
  samples: Sample[];
}

/** The process_* / nodejs_* / ajplb_* gauges of interest from the admin /metrics, in MiB where they are bytes. */
export interface AdminFigures {
  'admin rss MiB': number;
  'heap used MiB': number;
  'heap total MiB': number;
  'external MiB': number;
  'open connections': number;
}

export interface Measured {
  front: RunningFront;
  pid: number;
  sampler: RssSampler;
  admin(): Promise<AdminFigures>;
}

export interface MeasuredEnd<T> {
  value: T;
  samples: Sample[];
  /** VmHWM at the end of the check. */
  peakMiB: number;
  /** /metrics read after the check's load, before ajplb stops. */
  admin: AdminFigures;
}

function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

function gauge(metrics: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics);
  return match === null ? Number.NaN : Number(match[1]);
}

async function readAdmin(port: number): Promise<AdminFigures> {
  const text = await getText(port, '/metrics');
  const inMiB = (name: string): number => mib(gauge(text, name) / 2 ** 20);
  return {
    'admin rss MiB': inMiB('process_resident_memory_bytes'),
    'heap used MiB': inMiB('nodejs_heap_size_used_bytes'),
    'heap total MiB': inMiB('nodejs_heap_size_total_bytes'),
    'external MiB': inMiB('nodejs_external_memory_bytes'),
    'open connections': gauge(text, 'ajplb_http_open_connections'),
  };
}

/**
 * Starts ajplb over `backend` with `flags`, samples its RSS while `body` runs, then reads VmHWM and /metrics and
 * stops it (also when `body` throws). ajplb's log goes to rawDir/<id>.log.
 */
export async function measured<T>(ctx: CheckContext, id: string, backend: Backend, flags: string[],
  body: (m: Measured) => Promise<T>): Promise<MeasuredEnd<T>> {
  const [adminPort] = (await freePorts(1)) as [number];
  const front = await startFront('ajplb', backend, {
    repo: ctx.repo, scratch: ctx.scratch, ajplbNode: ctx.ajplbNode, ajplbArgs: ['--admin', `127.0.0.1:${adminPort}`, ...flags],
  });
  const pid = front.pids[0] as number;
  const sampler = new RssSampler(pid);
  try {
    const value = await body({ front, pid, sampler, admin: () => readAdmin(adminPort) });
    const admin = await readAdmin(adminPort);
    return { value, samples: sampler.stop(), peakMiB: peakMiB(pid), admin };
  } finally {
    sampler.stop();
    for (const log of front.logs) appendFileSync(join(ctx.rawDir, `${id}.log`), `--- ajplb ${log}\n${readOrNone(log)}\n`);
    await front.stop();
  }
}

function readOrNone(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(none)';
  }
}

export function mib(value: number): number {
  return Math.round(value * 10) / 10;
}
