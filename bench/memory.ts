// ajplb's memory under the loads issue 6 names, each on a freshly started ajplb whose RSS is sampled from /proc:
// a soak at 64 connections (RSS flat after warm-up), 1 GiB up and down through a real Tomcat (RSS under 150 MB),
// 10,000 idle client connections (RSS under 300 MB). Prints PASS/FAIL per check, writes
// bench/results/memory-<timestamp>.md and .json, exits 1 when any check fails. See docs/benchmark.md, "Memory".
//
//   npm run bench:memory                          every check, 10-minute soak (~14 min)
//   npm run bench:memory -- --only upload,idle    some checks (soak, upload, download, idle)
//   npm run bench:memory -- --soak-minutes 2      a shorter soak
//   npm run bench:memory -- --no-install          do not apt-get what is missing (wrk, Apache, Tomcat)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchOptions } from './cli-args.js';
import { tomcatAvailable } from '../test/tomcat/harness/env.js';
import { startTomcat } from '../test/tomcat/harness/tomcat.js';
import type { TomcatHandle } from '../test/tomcat/harness/types.js';
import { ajplbNode, type Backend } from './fronts.js';
import type { CheckContext, CheckResult } from './memory/front.js';
import { idleCheck } from './memory/idle.js';
import { json, markdown } from './memory/report.js';
import { soak } from './memory/soak.js';
import { downloadCheck, uploadCheck } from './memory/transfer.js';
import { installCleanup } from './procs.js';
import { ensureInstalled, linkWebappSources, startLightBackend, type LightBackend } from './setup.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // bench/dist/bench
const REPO = resolve(HERE, '..', '..', '..');
const RESULTS = join(REPO, 'bench', 'results');
const CHECKS = ['upload', 'download', 'idle', 'soak'] as const;
type CheckId = (typeof CHECKS)[number];

const cli = new BenchOptions(`usage: npm run bench:memory -- [options]

  --only LIST             of ${CHECKS.join(',')} (default: all)
  --soak-minutes M        length of the soak (default 10)
  --threads N             wrk threads (default: min(2, CPUs))
  --ajplb-node PATH       the node that runs ajplb (default: this one if >= 22.12, else scripts/node-reuseport's)
  --no-install            do not apt-get what is missing
`);
const args = cli.parse({ 'ajplb-node': { type: 'string' }, only: { type: 'string' }, 'soak-minutes': { type: 'string' }, threads: { type: 'string' }, 'no-install': { type: 'boolean' } });
const only = cli.list('only', args.only ?? CHECKS.join(','), CHECKS);
const selected = (id: CheckId): boolean => only.includes(id);
const soakMinutes = cli.number('soak-minutes', args['soak-minutes'], 10);
/** wrk threads, as the main bench: two on this 2-vCPU machine. */
const threads = Math.ceil(cli.number('threads', args.threads, Math.max(1, Math.min(2, cpus().length))));

let tomcat: TomcatHandle | undefined;
let light: LightBackend | undefined;
let scratch = '';

async function cleanup(): Promise<void> {
  await Promise.allSettled([tomcat?.stop(), light?.stop()]);
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
}

function log(message: string): void {
  process.stderr.write(`[bench:memory ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function version(command: string, argv: string[]): string {
  try {
    return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

/** The ajplb measured is not exactly the commit named when tracked files differ from it. */
function dirty(): boolean {
  return version('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no']) !== '';
}

/** What the selected checks need, said before anything starts rather than half-way. */
function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) missing.push('dist/cli.js (npm run build)');
  if (selected('soak') && !existsSync('/usr/bin/wrk')) missing.push('wrk (apt-get install wrk)');
  const java = tomcatAvailable();
  if ((selected('upload') || selected('download')) && !java.ok) missing.push(java.reason);
  if (missing.length > 0) throw new Error(`cannot run: ${missing.join('; ')}`);
}

/** One real Tomcat; both lb members point at it (a 1 GiB transfer uses one connection to one member anyway). */
async function startTomcatBackend(): Promise<Backend> {
  linkWebappSources(REPO, join(REPO, 'bench', 'dist', 'test', 'tomcat', 'harness'));
  tomcat = await startTomcat({ jvmRoute: 'was1' });
  return { name: 'tomcat', ajpPorts: [tomcat.ajpPort, tomcat.ajpPort], pids: [tomcat.pid] };
}

async function runCheck(results: CheckResult[], id: string, check: () => Promise<CheckResult>): Promise<void> {
  log(`${id}: running`);
  let result: CheckResult;
  try {
    result = await check();
  } catch (err) {
    const message = (err as Error).message;
    result = { id, title: id, pass: false, line: `error: ${message.split('\n')[0]}`, figures: { error: message }, samples: [] };
  }
  results.push(result);
  process.stdout.write(`${result.pass ? 'PASS' : 'FAIL'} ${id}: ${result.line}\n`);
}

async function main(): Promise<number> {
  installCleanup(cleanup);
  // As npm run bench: a fresh machine gets what it lacks (wrk, Tomcat) from apt-get.
  if (!(args['no-install'] ?? false)) ensureInstalled();
  checkPrerequisites();
  const stamp = `memory-${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z')}`;
  const rawDir = join(RESULTS, 'raw', stamp);
  mkdirSync(rawDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'ajplb-bench-memory-'));
  const ctx: CheckContext = { repo: REPO, scratch, rawDir, ajplbNode: ajplbNode(REPO, args['ajplb-node']) };
  const results: CheckResult[] = [];

  if (selected('upload') || selected('download')) {
    log('starting Tomcat');
    const backend = await startTomcatBackend();
    const jvm = tomcat as TomcatHandle;
    if (selected('upload')) await runCheck(results, 'upload', () => uploadCheck(ctx, backend, jvm));
    if (selected('download')) await runCheck(results, 'download', () => downloadCheck(ctx, backend));
    await jvm.stop();
    tomcat = undefined;
  }
  if (selected('idle') || selected('soak')) {
    light = await startLightBackend(join(HERE, 'light-backend.js'), join(rawDir, 'light-backend.log'));
    const backend = light.backend;
    if (selected('idle')) {
      await runCheck(results, 'idle-silent', () => idleCheck(ctx, backend, 'silent'));
      await runCheck(results, 'idle', () => idleCheck(ctx, backend, 'request'));
    }
    if (selected('soak')) await runCheck(results, 'soak', () => soak(ctx, backend, soakMinutes, threads));
  }
  await cleanup();

  const meta = {
    started: stamp.slice('memory-'.length), checks: only.join(','), 'soak minutes': soakMinutes,
    ajplb: `${version('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])}${dirty() ? ' + uncommitted changes' : ''}`, node: version(ctx.ajplbNode, ['--version']),
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, 'memory GiB': Math.round(totalmem() / 2 ** 30),
    tomcat: version('dpkg-query', ['-W', '-f=${Version}', 'libtomcat10-java']), wrk: version('dpkg-query', ['-W', '-f=${Version}', 'wrk']),
  };
  writeFileSync(join(RESULTS, `${stamp}.md`), markdown(results, meta));
  writeFileSync(join(RESULTS, `${stamp}.json`), json(results, meta));
  process.stdout.write(`\n${markdown(results, meta)}\nwritten: bench/results/${stamp}.md and .json (logs: bench/results/raw/${stamp}/)\n`);
  const failed = results.filter((r) => !r.pass);
  if (failed.length > 0) log(`FAILED: ${failed.map((r) => r.id).join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), async (err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  await cleanup();
  process.exit(1);
});
