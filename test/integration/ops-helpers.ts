// Shared by the ops-*.test.ts files: ajplb's real CLI (dist/cli.js) in a child process over fake AJP backends,
// so that signals, the admin listener and process exit are what operators get. Nothing here cleans up on its
// own: every start registers its cleanup in the `cleanups` list the test file empties in afterEach.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { expect } from 'vitest';
import { startAjpServer, type AjpHandler, type AjpServer } from '../../src/demo/ajp-server.js';
import { freePort } from './front-helpers.js';

export const CLI = join(import.meta.dirname, '../../dist/cli.js');

export type Cleanup = () => unknown;

export async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

export async function startBackends(cleanups: Cleanup[], handlers: AjpHandler[]): Promise<AjpServer[]> {
  const out: AjpServer[] = [];
  for (const h of handlers) {
    const s = await startAjpServer({ handler: h });
    cleanups.push(() => s.close());
    out.push(s);
  }
  return out;
}

export function tempDir(cleanups: Cleanup[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-ops-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** workers.properties with one lb (`lb`) over [name, port, lbfactor] members, plus raw `extra` lines. */
export function workersFile(members: Array<[string, number, number]>, extra: string[] = []): string {
  const lines = ['worker.list=lb', 'worker.lb.type=lb', `worker.lb.balance_workers=${members.map((m) => m[0]).join(',')}`];
  for (const [name, port, factor] of members) {
    lines.push(`worker.${name}.type=ajp13`, `worker.${name}.host=127.0.0.1`, `worker.${name}.port=${port}`, `worker.${name}.lbfactor=${factor}`);
  }
  return `${[...lines, ...extra].join('\n')}\n`;
}

export function writeWorkers(file: string, text: string): void {
  writeFileSync(file, text);
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  admin: number;
  /** stdout + stderr so far (pino JSON lines). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface CliRuntime {
  /** The node binary; default the one running the tests. */
  node?: string;
  /** Flags for that node, before the script. */
  nodeArgs?: string[];
}

/** Spawns dist/cli.js and resolves once the admin listener is up; killed by PID (SIGKILL) in cleanup. */
export async function startCli(cleanups: Cleanup[], workers: string, extraArgs: string[] = [], runtime: CliRuntime = {}): Promise<CliProcess> {
  const port = await freePort();
  const admin = await freePort();
  const child = spawn(runtime.node ?? process.execPath, [...(runtime.nodeArgs ?? []), CLI, '--workers', workers, '--mount', '/*=lb', '--listen', `127.0.0.1:${port}`,
    '--admin', `127.0.0.1:${admin}`, '--access-log', 'off', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not spawn dist/cli.js (run npm run build first)');
  const pid = child.pid;
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal, at: performance.now() });
    });
  });
  cleanups.push(async () => {
    if (done) return;
    process.kill(pid, 'SIGKILL');
    await exited;
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await expect.poll(() => (done ? `exited early:\n${out}` : out), { timeout: 10_000 }).toContain('admin listening');
  return { child, pid, port, admin, output: () => out, exited };
}

/** One sample's value from /metrics, matched by its full name including labels; undefined when absent. */
export async function metric(admin: number, series: string): Promise<number | undefined> {
  const res = await request(`http://127.0.0.1:${admin}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.json() };
}

/** Resolves after `ms` of load; a load phase's length, never a wait for something to happen. */
export function loadPhase(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
