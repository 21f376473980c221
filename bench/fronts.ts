// The fronts under test, each started fresh for one measurement on a free 127.0.0.1 port and stopped after it
// (so peak RSS belongs to that run): ajplb, Apache + mod_jk, Apache + mod_proxy_ajp, and Tomcat's own HTTP
// connector as the ceiling (already running; nothing to start).

import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, httpAnswers } from '../test/tomcat/harness/net.js';
import { nodeHasReusePort } from '../src/procs/port-sharing.js';
import { APACHE_BIN, writeApacheRoot, workersProperties, type Backends } from './apache.js';
import { placedCommand } from './placement.js';
import { spawnTracked, stopTracked, waitFor } from './procs.js';

/** ajplb_procs is ajplb --procs auto: one serving process per core, as Apache's processes use every core. */
export type FrontName = 'ajplb' | 'ajplb_procs' | 'mod_jk' | 'mod_proxy_ajp' | 'tomcat_direct';

export interface Backend extends Backends {
  name: 'tomcat' | 'light';
  /** Tomcat's HTTP connector on the was1 node, for the no-proxy ceiling (real Tomcat only). */
  direct?: { port: number; pid: number };
  /** The backend's processes: their CPU per request shows whether a front makes the backend work harder. */
  pids: number[];
}

export interface RunningFront {
  port: number;
  /** Root PIDs whose process trees are the front's cost. */
  pids: number[];
  /** Log files, for the error message when something goes wrong. */
  logs: string[];
  stop(): Promise<void>;
}

export interface FrontOptions {
  /** Repository root (dist/cli.js lives there). */
  repo: string;
  /** Scratch directory for configs and logs. */
  scratch: string;
  /** ajplb --procs N for the 'ajplb' front; undefined = the CLI's default (1). */
  ajplbProcs?: number | undefined;
  /** More ajplb flags, after the defaults so they win (bench/memory.ts: --admin, --keep-alive-timeout). */
  ajplbArgs?: string[] | undefined;
  /** The node that runs ajplb (--ajplb-node: e.g. a Node >= 22.12, where --procs runs threads); default this one. */
  ajplbNode?: string | undefined;
  /** Write an access log to a file in the front's scratch directory (ajplb and Apache alike). */
  accessLog?: boolean | undefined;
}

const READY_TIMEOUT_MS = 20_000;

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitListening(child: ChildProcess, port: number, what: string, logs: string[]): Promise<void> {
  try {
    await waitFor(async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}`);
      }
      return httpAnswers(port, 500);
    }, READY_TIMEOUT_MS, `${what} to answer HTTP on 127.0.0.1:${port}`, 50);
  } catch (err) {
    await stopTracked(child, 'SIGKILL');
    throw new Error(`${(err as Error).message}\n${logs.map((log) => `--- ${log}\n${tailOf(log)}`).join('\n')}`);
  }
}

/**
 * The node ajplb runs on: by default a Node >= 22.12 (the Docker image's major; fetched by scripts/node-reuseport
 * when this one is older), since that is where --procs runs threads over one lb state and where an operator
 * should run it (Node 20 spends about 1.5x the CPU per request). `this` measures the bench's own Node.
 */
export function ajplbNode(repo: string, given: string | undefined): string {
  if (given === 'this') return process.execPath;
  if (given !== undefined) return given;
  if (nodeHasReusePort(process.version)) return process.execPath;
  return execFileSync(join(repo, 'scripts', 'node-reuseport'), { encoding: 'utf8' }).trim();
}

export function ajplbCli(repo: string): string {
  return join(repo, 'dist', 'cli.js');
}

async function startAjplb(backend: Backend, opts: FrontOptions, dir: string, procs: string | undefined): Promise<RunningFront> {
  const cli = ajplbCli(opts.repo);
  if (!existsSync(cli)) throw new Error(`${cli} missing: run npm run build`);
  const [port] = (await freePorts(1)) as [number];
  const workers = join(dir, 'workers.properties');
  writeFileSync(workers, workersProperties(backend));
  // As the README, the Dockerfile and the systemd unit start it: plain node, no V8 flags.
  // AJPLB_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") adds flags to profile the front under the
  // bench's load; Node refuses --cpu-prof in NODE_OPTIONS, and NODE_OPTIONS would reach the light backend too.
  const nodeArgs = (process.env['AJPLB_BENCH_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
  const args = [...nodeArgs, cli, '--workers', workers, '--listen', `127.0.0.1:${port}`, '--mount', '/*=lb',
    '--admin', 'off', '--access-log', 'off', '--log-level', 'warn'];
  if (procs !== undefined) args.push('--procs', procs);
  if (opts.accessLog === true) args.push('--access-log', join(dir, 'access.log'));
  args.push(...(opts.ajplbArgs ?? []));
  const log = join(dir, 'ajplb.log');
  const out = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawnTracked(...placedCommand('front', opts.ajplbNode ?? process.execPath, args), {
      cwd: dir, stdio: ['ignore', out, out], env: { ...process.env, NODE_ENV: 'production' },
    });
  } finally {
    closeSync(out);
  }
  await waitListening(child, port, 'ajplb', [log]);
  return { port, pids: [child.pid as number], logs: [log], stop: () => stopTracked(child, 'SIGTERM', 10_000) };
}

async function startApache(kind: 'mod_jk' | 'mod_proxy_ajp', backend: Backend, dir: string, accessLog: boolean): Promise<RunningFront> {
  const [port] = (await freePorts(1)) as [number];
  const conf = writeApacheRoot(dir, kind, port, backend, accessLog);
  const log = join(dir, 'httpd.out');
  const out = openSync(log, 'a');
  let child: ChildProcess;
  try {
    // -DFOREGROUND: the spawned process is the parent httpd, so its PID roots the whole tree we measure.
    child = spawnTracked(...placedCommand('front', APACHE_BIN, ['-d', dir, '-f', conf, '-DFOREGROUND']), {
      cwd: dir, stdio: ['ignore', out, out], env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin', LANG: 'C' },
    });
  } finally {
    closeSync(out);
  }
  const logs = [log, join(dir, 'error.log'), join(dir, 'mod_jk.log')];
  await waitListening(child, port, `Apache (${kind})`, logs);
  return { port, pids: [child.pid as number], logs, stop: () => stopTracked(child, 'SIGTERM', 10_000) };
}

export async function startFront(front: FrontName, backend: Backend, opts: FrontOptions): Promise<RunningFront> {
  if (front === 'tomcat_direct') {
    if (backend.direct === undefined) throw new Error('tomcat_direct needs a Tomcat backend');
    if (opts.accessLog === true) throw new Error('tomcat_direct has no access log to turn on');
    return { port: backend.direct.port, pids: [backend.direct.pid], logs: [], stop: async () => undefined };
  }
  const dir = mkdtempSync(join(opts.scratch, `${front}-`));
  const running = front === 'ajplb' ? await startAjplb(backend, opts, dir, opts.ajplbProcs?.toString())
    : front === 'ajplb_procs' ? await startAjplb(backend, opts, dir, 'auto')
      : await startApache(front, backend, dir, opts.accessLog === true);
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
