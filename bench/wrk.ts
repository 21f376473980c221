// Drives Debian's wrk 4.1: one Lua script per scenario sets method/body/headers once (no per-request Lua, so
// wrk stays fast) and prints the summary and latency percentiles as one JSON line from done().

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { placedCommand } from './placement.js';

export interface LoadSpec {
  path: string;
  method?: 'GET' | 'POST';
  /** Request body size in bytes (POST). */
  bodyBytes?: number;
  /** Cookies handed out round-robin to wrk's threads (one per thread), e.g. one session per Tomcat. */
  cookies?: string[];
  keepAlive: boolean;
  connections: number;
  threads: number;
  durationSec: number;
  /** Requests per second offered in all; h2load only (Scenario.rate). */
  rate?: number | undefined;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  bytes: number;
  /** Socket errors (connect, read, write, timeout) plus HTTP status >= 400 (wrk's "non-2xx or 3xx"). */
  errors: number;
  errorDetail: { connect: number; read: number; write: number; timeout: number; status: number };
  latencyUs: { p50: number; p99: number; p999: number; max: number; mean: number };
}

function luaString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Writes the scenario's Lua script into `dir` and returns its path. */
export function writeScript(dir: string, name: string, spec: LoadSpec): string {
  const lines: string[] = [];
  if (spec.method === 'POST') {
    lines.push('wrk.method = "POST"');
    lines.push(`wrk.body = string.rep("a", ${spec.bodyBytes ?? 0})`);
    lines.push('wrk.headers["Content-Type"] = "application/octet-stream"');
  }
  if (!spec.keepAlive) lines.push('wrk.headers["Connection"] = "close"');
  const cookies = spec.cookies ?? [];
  if (cookies.length > 0) {
    // setup() runs in the main Lua state once per thread; init() in the thread's own state reads what it set.
    lines.push(`local cookies = { ${cookies.map(luaString).join(', ')} }`);
    lines.push('local threads = 0');
    lines.push('function setup(thread) threads = threads + 1; thread:set("cookie", cookies[(threads - 1) % #cookies + 1]) end');
    lines.push('function init(args) wrk.headers["Cookie"] = cookie end');
  }
  lines.push(`function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end`);
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function runWrk(port: number, script: string, spec: LoadSpec): Promise<{ result: LoadResult; output: string }> {
  const args = [
    '-t', String(Math.min(spec.threads, spec.connections)), '-c', String(spec.connections),
    '-d', `${spec.durationSec}s`, '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}${spec.path}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(...placedCommand('load', 'wrk', args), { timeout: (spec.durationSec + 30) * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const output = `$ wrk ${args.join(' ')}\n${stdout}${stderr}`;
        const line = /^BENCH_JSON (.*)$/m.exec(stdout);
        if (err !== null || line === null) {
          reject(new Error(`wrk failed (${err?.message ?? 'no BENCH_JSON line'}):\n${output}`));
          return;
        }
        const raw = JSON.parse(line[1] as string) as Record<string, number>;
        const n = (key: string): number => raw[key] ?? 0;
        const detail = { connect: n('connect'), read: n('read'), write: n('write'), timeout: n('timeout'), status: n('status') };
        resolve({
          output,
          result: {
            requests: n('requests'), durationSec: n('duration_us') / 1e6, bytes: n('bytes'),
            errors: detail.connect + detail.read + detail.write + detail.timeout + detail.status,
            errorDetail: detail,
            latencyUs: { p50: n('p50'), p99: n('p99'), p999: n('p999'), max: n('max'), mean: n('mean') },
          },
        });
      });
  });
}
