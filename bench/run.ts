// Side-by-side benchmark: ajplb vs Apache httpd + mod_jk vs Apache + mod_proxy_ajp (vs Tomcat's own HTTP
// connector as the ceiling), over two real Tomcats and over a light AJP backend. See docs/benchmark.md.
//
//   npm run bench                  3 interleaved rounds of the default matrix (~40 min)
//   npm run bench -- --quick       one short round of two scenarios: every front must answer without errors
//   --cpus-backend 4-7 --cpus-load 6-7 --cpus-front 0-3
//                                  run each part on its own CPUs (taskset; see placement.ts)

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchOptions } from './cli-args.js';
import { ajplbCli, ajplbNode, startFront, type Backend, type FrontName } from './fronts.js';
import { allowedCpus, describePlacement, parseCpuList, placeRunning, setPlacement } from './placement.js';
import { preflight } from './preflight.js';
import { cpuSeconds, peakRssKiB } from './procstat.js';
import { installCleanup } from './procs.js';
import { markdown, summarize, type RunRecord } from './report.js';
import { ALL, DEFAULT, QUICK, type Scenario } from './scenarios.js';
import { ensureInstalled, linkWebappSources, newSession, startLightBackend, unlimitKeepAlive, type LightBackend, type TomcatNode } from './setup.js';
import { runH2load } from './h2load.js';
import { runWrk, writeScript, type LoadResult, type LoadSpec } from './wrk.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // bench/dist/bench
const REPO = resolve(HERE, '..', '..', '..');
const RESULTS = join(REPO, 'bench', 'results');

const ALL_FRONTS: FrontName[] = ['ajplb', 'ajplb_procs', 'mod_jk', 'mod_proxy_ajp', 'tomcat_direct'];

const USAGE = `usage: npm run bench -- [options]

  --quick                 one short round of two scenarios, every front must answer (CI's smoke check)
  --rounds N              interleaved rounds (default 3; 1 with --quick)
  --duration S            measured seconds per run (default 5)
  --warmup S              unmeasured seconds first, same load (default 1; 4x as long on offered-rate rows)
  --only REGEX            scenarios whose id matches (get-c16 session-c64 100k-c64 1m-c64 post-c16 get-c64-close
                          get-c64-r4000 post-c16-r100 get-c64-log ...; -rN: N requests per second offered,
                          -log: both fronts write an access log)
  --all-conns             every scenario at 16, 64 and 256 connections
  --fronts LIST           of ${ALL_FRONTS.join(',')} (default: all)
  --backends LIST         of tomcat,light (default: both)
  --ajplb-procs N         --procs for the ajplb front (default 1; ajplb_procs always runs --procs auto)
  --ajplb-node PATH       the node that runs ajplb (default: this one if >= 22.12, else scripts/node-reuseport's)
  --threads N             load tool threads (default: min(2, CPUs))
  --load h2load|wrk       keep-alive load tool (default h2load)
  --no-install            do not apt-get what is missing
  --cpus-backend LIST --cpus-front LIST --cpus-load LIST
                          run each part on its own CPUs (taskset lists such as 0-3,6)
`;

const cli = new BenchOptions(USAGE);
const args = cli.parse({
  quick: { type: 'boolean' }, rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
  only: { type: 'string' }, fronts: { type: 'string' }, backends: { type: 'string' }, 'all-conns': { type: 'boolean' },
  'ajplb-procs': { type: 'string' }, 'ajplb-node': { type: 'string' }, threads: { type: 'string' }, 'no-install': { type: 'boolean' }, load: { type: 'string' },
  'cpus-backend': { type: 'string' }, 'cpus-front': { type: 'string' }, 'cpus-load': { type: 'string' },
});

const quick = args.quick ?? false;
const rounds = Math.ceil(cli.number('rounds', args.rounds, quick ? 1 : 3));
const durationSec = cli.number('duration', args.duration, quick ? 3 : 5);
const warmupSec = cli.number('warmup', args.warmup, 1, true);
// A freshly started Node process reaches its steady state (optimised code, grown heap limits) after some
// thousands of requests: one second at 4,000 req/s left ajplb's first major collections inside the measured
// run (p99 7-15 ms against 3.9-5.8 after four seconds; mod_jk 2-4 ms either way). A saturated run's warm-up
// serves several times more. Every front gets the same longer warm-up on the offered-rate rows.
const RATE_WARMUP_FACTOR = 4;
const threads = Math.ceil(cli.number('threads', args.threads, Math.max(1, Math.min(2, cpus().length))));
const ajplbProcs = args['ajplb-procs'] === undefined ? undefined : Math.ceil(cli.number('ajplb-procs', args['ajplb-procs'], 1));
const only = args.only === undefined ? undefined : new RegExp(args.only);
/** h2load for keep-alive runs (its latencies add up; see bench/h2load.ts); wrk for new-connection-per-request. */
const LOAD_TOOL = args.load ?? 'h2load';
if (LOAD_TOOL !== 'h2load' && LOAD_TOOL !== 'wrk') cli.refuse(`--load: h2load or wrk, not ${LOAD_TOOL}`);
// wrk cannot hold an offered rate: with --load wrk the offered-rate rows are left out.
const scenarios = (quick ? QUICK : args['all-conns'] ? ALL : DEFAULT)
  .filter((s) => (only === undefined || only.test(s.id)) && (s.rate === undefined || LOAD_TOOL === 'h2load'));
const FRONTS = cli.list('fronts', args.fronts ?? ALL_FRONTS.join(','), ALL_FRONTS);
const BACKENDS = cli.list('backends', args.backends ?? 'tomcat,light', ['tomcat', 'light']);
if (scenarios.length === 0) cli.refuse(`--only ${args.only ?? ''}: no scenario matches`);

const AJPLB_NODE = ajplbNode(REPO, args['ajplb-node']);

function placed(flag: 'cpus-backend' | 'cpus-front' | 'cpus-load'): string | undefined {
  const text = args[flag];
  if (text === undefined) return undefined;
  try {
    return parseCpuList(text, cpus().length, `--${flag}`);
  } catch (err) {
    return cli.refuse((err as Error).message);
  }
}
setPlacement({ backend: placed('cpus-backend'), front: placed('cpus-front'), load: placed('cpus-load') });

/**
 * Tomcat's own HTTP connector sends no reason phrase ("HTTP/1.1 200 "), and h2load 1.52 then records no status
 * and counts every response as failed: straight to Tomcat, wrk measures.
 */
function toolFor(load: LoadSpec, front: FrontName): 'h2load' | 'wrk' {
  return load.keepAlive && LOAD_TOOL === 'h2load' && front !== 'tomcat_direct' ? 'h2load' : 'wrk';
}

function runLoad(port: number, name: string, load: LoadSpec, front: FrontName): Promise<{ result: LoadResult; output: string }> {
  if (toolFor(load, front) === 'h2load') return runH2load(port, load, scratch, name);
  return runWrk(port, writeScript(scratch, name, load), load);
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function version(command: string, argv: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

function debVersion(pkg: string): string {
  return version('dpkg-query', ['-W', '-f=${Version}', pkg], /^(.*)$/);
}

const tomcats: TomcatNode[] = [];
let light: LightBackend | undefined;
let scratch = '';

async function cleanup(): Promise<void> {
  await Promise.allSettled([...tomcats.map((t) => t.stop()), light?.stop()]);
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
}

async function startTomcats(): Promise<Backend> {
  const harness = join(REPO, 'bench', 'dist', 'test', 'tomcat', 'harness');
  linkWebappSources(REPO, harness);
  const { startTomcat } = await import('../test/tomcat/harness/tomcat.js');
  const opts = (route: string) => ({ jvmRoute: route, ajpConnectorAttributes: { maxKeepAliveRequests: '-1' } });
  const nodes = await Promise.all([startTomcat(opts('was1')), startTomcat(opts('was2'))]);
  tomcats.push(...nodes);
  await Promise.all(nodes.map(unlimitKeepAlive));
  // After the restart above: a new JVM would not have kept the set.
  placeRunning('backend', nodes.map((n) => n.pid));
  const [was1, was2] = nodes as [TomcatNode, TomcatNode];
  return {
    name: 'tomcat', ajpPorts: [was1.ajpPort, was2.ajpPort],
    direct: { port: was1.httpPort as number, pid: was1.pid },
    pids: [was1.pid, was2.pid],
  };
}

/**
 * A fresh JVM runs interpreted code for its first seconds: before anything is measured, load every path the
 * scenarios use through both Tomcats' HTTP connectors and, through an Apache + mod_jk front, their AJP
 * connectors. Nothing here is recorded.
 */
async function warmTomcats(backend: Backend, cookies: string[], seconds: number): Promise<void> {
  const kinds = new Map(scenarios.map((s) => [`${s.method} ${s.path}`, s]));
  const front = await startFront('mod_jk', backend, { repo: REPO, scratch });
  try {
    for (const scenario of kinds.values()) {
      const load = { ...spec(scenario, cookies, seconds), keepAlive: true, connections: 32 };
      for (const tomcat of tomcats) {
        const direct = { ...load, cookies: load.cookies?.filter((c) => c.endsWith(`.${tomcat === tomcats[0] ? 'was1' : 'was2'}`)) };
        await runLoad(tomcat.httpPort as number, `warm-direct-${scenario.id}`, direct, 'tomcat_direct');
      }
      await runLoad(front.port, `warm-${scenario.id}`, load, 'mod_jk');
    }
  } finally {
    await front.stop();
  }
}

function spec(scenario: Scenario, cookies: string[] | undefined, seconds: number): LoadSpec {
  return {
    path: scenario.path, method: scenario.method, bodyBytes: scenario.bodyBytes, cookies: scenario.session ? cookies : undefined,
    keepAlive: scenario.keepAlive, connections: scenario.connections, threads, durationSec: seconds, rate: scenario.rate,
  };
}

async function measure(round: number, scenario: Scenario, backend: Backend, front: FrontName, cookies: string[],
  rawDir: string): Promise<RunRecord> {
  const record: RunRecord = {
    round, scenario: scenario.id, backend: backend.name, front, requests: 0, reqPerSec: Number.NaN,
    latencyMs: { p50: Number.NaN, p99: Number.NaN, p999: Number.NaN }, errors: 0, cpuPer10k: Number.NaN,
    backendCpuPer10k: Number.NaN, peakRssMiB: Number.NaN, bytesPerRequest: 0,
  };
  const rawLog = join(rawDir, `${backend.name}-${scenario.id}-${front}-r${round}.log`);
  const name = `${backend.name}-${scenario.id}-${front}`;
  let running;
  try {
    running = await startFront(front, backend, { repo: REPO, scratch, ajplbProcs, ajplbNode: AJPLB_NODE, accessLog: scenario.accessLog });
  } catch (err) {
    record.failure = `start: ${(err as Error).message.split('\n')[0]}`;
    appendFileSync(rawLog, `${(err as Error).message}\n`);
    return record;
  }
  try {
    const sessionCookies = front === 'tomcat_direct' ? cookies.slice(0, 1) : cookies;
    await preflight(running.port, scenario, scenario.session ? sessionCookies[0] : undefined);
    const load = spec(scenario, sessionCookies, durationSec);
    const warmup = scenario.rate === undefined ? warmupSec : warmupSec * RATE_WARMUP_FACTOR;
    if (warmup > 0) await runLoad(running.port, name, { ...load, durationSec: warmup }, front);
    appendFileSync(rawLog, `cpus: front ${running.pids.map(allowedCpus).join(' ')}; backend ${backend.pids.map(allowedCpus).join(' ')}\n`);
    const cpuBefore = cpuSeconds(running.pids);
    const backendCpuBefore = cpuSeconds(backend.pids);
    const { result, output } = await runLoad(running.port, name, load, front);
    const cpu = cpuSeconds(running.pids) - cpuBefore;
    const backendCpu = cpuSeconds(backend.pids) - backendCpuBefore;
    appendFileSync(rawLog, output);
    record.requests = result.requests;
    record.reqPerSec = result.requests / result.durationSec;
    record.latencyMs = { p50: result.latencyUs.p50 / 1000, p99: result.latencyUs.p99 / 1000, p999: result.latencyUs.p999 / 1000 };
    record.errors = result.errors;
    if (result.errors > 0) record.errorDetail = result.errorDetail;
    record.cpuPer10k = result.requests > 0 ? (cpu * 10_000) / result.requests : Number.NaN;
    record.backendCpuPer10k = result.requests > 0 ? (backendCpu * 10_000) / result.requests : Number.NaN;
    record.peakRssMiB = front === 'tomcat_direct' ? Number.NaN : peakRssKiB(running.pids) / 1024;
    record.bytesPerRequest = result.requests > 0 ? Math.round(result.bytes / result.requests) : 0;
    if (record.bytesPerRequest < scenario.minBodyBytes) {
      record.failure = `only ${record.bytesPerRequest} bytes per response (want >= ${scenario.minBodyBytes})`;
    }
  } catch (err) {
    record.failure = (err as Error).message.split('\n')[0];
    appendFileSync(rawLog, `${(err as Error).message}\n`);
  }
  if (record.failure !== undefined || record.errors > 0) {
    for (const file of running.logs) appendFileSync(rawLog, `--- ${file}\n${tail(file)}\n`);
  }
  await running.stop();
  return record;
}

function tail(file: string): string {
  try {
    return execFileSync('tail', ['-n', '40', file], { encoding: 'utf8' });
  } catch {
    return '(none)';
  }
}

function describe(r: RunRecord): string {
  if (r.failure !== undefined) return `FAILED: ${r.failure}`;
  return `${Math.round(r.reqPerSec)} req/s p99 ${r.latencyMs.p99.toFixed(1)} ms cpu ${r.cpuPer10k.toFixed(2)} s/10k errors ${r.errors}`;
}

async function main(): Promise<number> {
  installCleanup(cleanup);
  if (!(args['no-install'] ?? false)) ensureInstalled();
  const stamp = `${quick ? 'quick-' : ''}${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z')}`;
  const rawDir = join(RESULTS, 'raw', stamp);
  mkdirSync(rawDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'ajplb-bench-'));
  const fronts = FRONTS.filter((front) => !front.startsWith('ajplb') || ajplbReady());
  const started = Date.now();

  const backends: { backend: Backend; cookies: string[] }[] = [];
  if (BACKENDS.includes('tomcat')) {
    log('starting two Tomcats (was1, was2)');
    const backend = await startTomcats();
    const cookies = await Promise.all(tomcats.map((t) => newSession(t.httpPort as number)));
    backends.push({ backend, cookies });
    const warm = quick ? 2 : 5;
    log(`warming the JVMs up: ${warm}s per path, direct and through AJP`);
    await warmTomcats(backend, cookies, warm);
  }
  if (BACKENDS.includes('light')) {
    light = await startLightBackend(join(HERE, 'light-backend.js'), join(rawDir, 'light-backend.log'));
    placeRunning('backend', light.backend.pids);
    backends.push({ backend: light.backend, cookies: ['JSESSIONID=0123456789ABCDEF0123456789ABCDEF.was1', 'JSESSIONID=FEDCBA9876543210FEDCBA9876543210.was2'] });
  }
  log(`placement: ${describePlacement()}`);
  log(`${rounds} round(s) x ${scenarios.length} scenario(s) x fronts ${fronts.join(',')} x backends ${BACKENDS.join(',')}; ${warmupSec}s warm-up + ${durationSec}s per run`);

  const records: RunRecord[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [index, scenario] of scenarios.entries()) {
      for (const { backend, cookies } of backends) {
        // Tomcat's own connector is measured with wrk, which cannot hold a rate: no ceiling for offered-rate rows,
        // nor for the access-log row (the test Tomcats have no AccessLogValve).
        const eligible = fronts.filter((front) => front !== 'tomcat_direct'
          || (backend.direct !== undefined && scenario.rate === undefined && scenario.accessLog !== true));
        // Rotate the order so no front always runs first (or right after the same neighbour).
        const shift = (round + index) % eligible.length;
        for (const front of [...eligible.slice(shift), ...eligible.slice(0, shift)]) {
          const record = await measure(round, scenario, backend, front, cookies, rawDir);
          records.push(record);
          log(`r${round} ${backend.name} ${scenario.id} ${front}: ${describe(record)}`);
        }
      }
    }
  }
  await cleanup();

  const meta = {
    started: stamp, mode: quick ? 'quick' : args['all-conns'] ? 'all-conns' : 'default', rounds,
    'warm-up s': warmupSec, 'measured s': durationSec, 'wrk threads': threads, cpus: cpus().length,
    'elapsed min': Number(((Date.now() - started) / 60_000).toFixed(1)),
    ajplb: `${version('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], /^(\S+)/)}${fronts.includes('ajplb') ? '' : ' (not run: dist/cli.js not runnable)'}`,
    'ajplb procs': ajplbProcs ?? 'default', placement: describePlacement(),
    'ajplb node': version(AJPLB_NODE, ['--version'], /^(v\S+)/),
    apache: version('/usr/sbin/apache2', ['-v'], /Apache\/(\S+)/), 'mod_jk': debVersion('libapache2-mod-jk'),
    tomcat: debVersion('libtomcat10-java'), wrk: debVersion('wrk'), h2load: debVersion('nghttp2-client'),
    'load tool': LOAD_TOOL === 'h2load' ? 'h2load (keep-alive), wrk (Connection: close, tomcat_direct)' : 'wrk',
  };
  const labels = new Map(scenarios.map((s) => [s.id, s.label]));
  const { rows, ratios } = summarize(records, scenarios.map((s) => s.id));
  const md = markdown(rows, ratios, meta, labels);
  writeFileSync(join(RESULTS, `${stamp}.md`), md);
  const json = `{"meta":${JSON.stringify(meta)},\n"rows":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}],\n"ratios":[\n${ratios.map((r) => JSON.stringify(r)).join(',\n')}],\n"runs":[\n${records.map((r) => JSON.stringify(r)).join(',\n')}]}\n`;
  writeFileSync(join(RESULTS, `${stamp}.json`), json);
  process.stdout.write(`${md}\nwritten: bench/results/${stamp}.md and .json (raw wrk output: bench/results/raw/${stamp}/)\n`);

  const bad = records.filter((r) => r.failure !== undefined || r.errors > 0);
  if (!fronts.includes('ajplb')) log('WARNING: ajplb was not measured (dist/cli.js missing or not runnable)');
  if (bad.length > 0) {
    log(`${bad.length} run(s) failed or had errors:\n${bad.map((r) => `  r${r.round} ${r.backend} ${r.scenario} ${r.front}: ${describe(r)}`).join('\n')}`);
  }
  // --quick is a smoke check: every front (ajplb included) must have answered every request.
  if (quick && (bad.length > 0 || !fronts.includes('ajplb'))) return 1;
  return 0;
}

/** The ajplb front needs a built CLI; without one the others still run and the report says so. */
function ajplbReady(): boolean {
  try {
    execFileSync(AJPLB_NODE, [ajplbCli(REPO), '--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    log(`ajplb: ${ajplbCli(REPO)} --version failed; ajplb is left out of this run`);
    return false;
  }
}

main().then((code) => process.exit(code), async (err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  await cleanup();
  process.exit(1);
});
