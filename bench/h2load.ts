// Drives nghttp2's h2load in HTTP/1.1 mode for the keep-alive scenarios. wrk's latency histogram is not
// trustworthy on this kind of VM: at 256 connections its mean latency times its own req/s often comes to 2-4x
// the number of connections, which no closed-loop client can do (Little's law), while h2load's per-request log
// adds up. h2load writes every request's duration to a log file, so percentiles are computed here exactly.
//
// Sticky scenarios hand one cookie to each wrk thread; h2load has one header set per process, so it runs one
// process per cookie with the connections split between them, and the logs are merged.

import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { placedCommand } from './placement.js';
import type { LoadResult, LoadSpec } from './wrk.js';

interface OneRun {
  output: string;
  requests: number;
  failed: number;
  errored: number;
  timeout: number;
  badStatus: number;
  bytes: number;
  /** h2load's "finished in": a run bounded by a request count (offered rate) may last longer than asked. */
  elapsedSec: number;
  durations: Float64Array;
}

/**
 * How to open `connections` clients so that their --rps timers are spread over one request interval.
 *
 * h2load starts a client's request timer when it connects, and with -D every client connects at once: "4,000
 * req/s over 64 connections" then arrives as 64 requests in the same millisecond every 16 ms (measured: 99 % of
 * the requests started in a millisecond with 16 or more others; p50 6.4 ms on the light backend, the time to
 * serve a burst). That load favours a front with a thread per connection over one event loop and is not what many
 * independent users send. Opening `perPeriod` connections every `periodMs` (-r, --rate-period, whole ms and a
 * multiple of the threads, so every thread opens the same number) spreads the timers over the interval: at most
 * `perPeriod` requests start together. h2load refuses -D with -r, so such a run is bounded by a request count.
 */
export function staggeredStart(connections: number, threads: number, rate: number, totalConnections: number):
  { perPeriod: number; periodMs: number } {
  const intervalMs = (1000 * totalConnections) / rate; // between two requests of one client
  let perPeriod = threads;
  while (perPeriod < connections && (intervalMs * perPeriod) / connections < 1) perPeriod += threads;
  return { perPeriod, periodMs: Math.max(1, Math.round((intervalMs * perPeriod) / connections)) };
}

function h2loadArgs(port: number, spec: LoadSpec, connections: number, threads: number, cookie: string | undefined,
  logFile: string, bodyFile: string | undefined): string[] {
  const args = ['--h1', '-c', String(connections), '-t', String(threads), '--log-file', logFile];
  if (spec.rate === undefined) {
    args.push('-D', String(spec.durationSec));
  } else {
    // --rps is per client: the total offered rate holds however the connections are split across processes.
    const perClient = spec.rate / spec.connections;
    const { perPeriod, periodMs } = staggeredStart(connections, threads, spec.rate, spec.connections);
    const requests = Math.max(connections, Math.round(perClient * connections * spec.durationSec));
    args.push(`--rps=${perClient}`, '-r', String(perPeriod), `--rate-period=${periodMs}ms`, '-n', String(requests));
  }
  if (cookie !== undefined) args.push('-H', `Cookie: ${cookie}`);
  if (bodyFile !== undefined) args.push('-d', bodyFile, '-H', 'Content-Type: application/octet-stream');
  args.push(`http://127.0.0.1:${port}${spec.path}`);
  return args;
}

function field(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match === null ? 0 : Number(match[1]);
}

/** "finished in 8.00s," (or 12.5ms, 964us: h2load picks the unit). */
export function elapsedSeconds(output: string): number {
  const match = /^finished in ([\d.]+)(us|ms|s),/m.exec(output);
  if (match === null) return 0;
  return Number(match[1]) / (match[2] === 's' ? 1 : match[2] === 'ms' ? 1e3 : 1e6);
}

function runOne(args: string[], logFile: string, durationSec: number): Promise<OneRun> {
  rmSync(logFile, { force: true }); // h2load appends to an existing log
  return new Promise((resolve, reject) => {
    execFile(...placedCommand('load', 'h2load', args), { timeout: (durationSec + 30) * 1000, killSignal: 'SIGKILL', maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        const output = `$ h2load ${args.join(' ')}\n${stdout.replace(/^progress:.*\n/gm, '')}${stderr}`;
        if (err !== null || !/^requests: /m.test(stdout)) {
          reject(new Error(`h2load failed (${err?.message ?? 'no summary'}):\n${output}`));
          return;
        }
        let durations = new Float64Array(0);
        try {
          const lines = readFileSync(logFile, 'latin1').split('\n');
          durations = new Float64Array(lines.length);
          let n = 0;
          for (const line of lines) {
            const last = line.lastIndexOf('\t');
            if (last > 0) durations[n++] = Number(line.slice(last + 1));
          }
          durations = durations.subarray(0, n);
        } catch {
          // no request finished: the summary's counts say so
        }
        resolve({
          output,
          requests: field(stdout, /^requests: \d+ total, \d+ started, (\d+) done/m),
          failed: field(stdout, /(\d+) failed/),
          errored: field(stdout, /(\d+) errored/),
          timeout: field(stdout, /(\d+) timeout/),
          badStatus: field(stdout, /(\d+) 4xx/) + field(stdout, /(\d+) 5xx/),
          bytes: field(stdout, /^traffic: \S+ \((\d+)\) total/m),
          elapsedSec: elapsedSeconds(stdout),
          durations,
        });
      });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function runH2load(port: number, spec: LoadSpec, scratch: string, name: string): Promise<{ result: LoadResult; output: string }> {
  let bodyFile: string | undefined;
  if (spec.method === 'POST') {
    bodyFile = join(scratch, `${name}.body`);
    writeFileSync(bodyFile, Buffer.alloc(spec.bodyBytes ?? 0, 0x61));
  }
  const cookies = spec.cookies !== undefined && spec.cookies.length > 0 ? spec.cookies : [undefined];
  const share = Math.floor(spec.connections / cookies.length);
  const runs = await Promise.all(cookies.map((cookie, i) => {
    const connections = i === 0 ? spec.connections - share * (cookies.length - 1) : share;
    const threads = Math.min(cookies.length > 1 ? 1 : spec.threads, connections);
    const logFile = join(scratch, `${name}-${i}.h2load.log`);
    return runOne(h2loadArgs(port, spec, connections, threads, cookie, logFile, bodyFile), logFile, spec.durationSec);
  }));
  const total = runs.reduce((sum, r) => sum + r.durations.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    all.set(r.durations, at);
    at += r.durations.length;
  }
  all.sort();
  const mean = total === 0 ? Number.NaN : all.reduce((sum, v) => sum + v, 0) / total;
  const sum = (key: 'requests' | 'failed' | 'errored' | 'timeout' | 'badStatus' | 'bytes'): number =>
    runs.reduce((acc, r) => acc + r[key], 0);
  const detail = { connect: 0, read: sum('errored'), write: 0, timeout: sum('timeout'), status: sum('badStatus') };
  return {
    output: runs.map((r) => r.output).join('\n'),
    result: {
      requests: sum('requests'), bytes: sum('bytes'),
      durationSec: spec.rate === undefined ? spec.durationSec : Math.max(...runs.map((r) => r.elapsedSec)),
      errors: sum('failed'), errorDetail: detail,
      latencyUs: { p50: percentile(all, 50), p99: percentile(all, 99), p999: percentile(all, 99.9), max: all[total - 1] ?? Number.NaN, mean },
    },
  };
}
