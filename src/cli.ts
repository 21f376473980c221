#!/usr/bin/env node
// ajplb's command line: flags in, a validated config, the daemon started, signals wired. With no arguments it
// starts the demo, so a fresh checkout shows balancing, stickiness and failover at once.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from './config/load.js';
import { vhostAddress, vhostsNoListenerReaches } from './config/vhosts.js';
import { formatDiagnostic } from './config/diagnostics.js';
import { dumpConfig } from './config/dump.js';
import type { AppConfig } from './config/types.js';
import { startDaemon, type Daemon } from './daemon.js';
import type { ListenSpec } from './front/server.js';
import { createAdminServer } from './observe/http.js';
import { parseListen, type ListenAddress } from './listen.js';
import { probeWorkers } from './probe.js';
import { parseProcs, type ProcsParams } from './procs/params.js';
import { isProcsWorker } from './procs/parent.js';
import { VERSION } from './version.js';

const HELP = `ajplb ${VERSION} — Apache httpd + mod_jk, replaced: AJP13 load balancer for Tomcat

Usage: ajplb [options]            (no options: start the demo)

Configuration (mod_jk's own files, unchanged):
  --workers FILE        workers.properties (JkWorkersFile)
  --mounts FILE         uriworkermap.properties (JkMountFile)
  --mount 'PAT=WORKER'  a JkMount rule; repeatable
  --httpd-conf FILE     read an Apache httpd.conf: Listen, VirtualHost, JkMount, JkWorkersFile…
  --path-map FROM=TO    read files an httpd.conf names under FROM from TO instead; repeatable
  --strict              treat warnings (values mod_jk silently accepts) as errors

Listening:
  --listen ADDR         [http://|https://]HOST:PORT or PORT; repeatable (default 127.0.0.1:8080,
                        or the Listen lines of --httpd-conf). ADDR=PORT matches <VirtualHost *:PORT>
                        for this listener (automatic when httpd.conf has a single Listen port)
  --cert FILE --key FILE  certificate and key for https:// listeners
  --admin ADDR          metrics, status and health listener (default 127.0.0.1:8081; 'off' to disable)
  --admin-token TOKEN   allow status-page actions with this bearer token (default: read-only)

Operation:
  --check               validate the configuration, CPing every worker, print problems, exit 0/1
  --dump                print the effective configuration (defaults filled in) and exit
  --no-probe            with --check: do not contact the workers
  --verbose, -v         with --check/--dump: also list the httpd directives ajplb ignores
  --max-body-size BYTES largest request body (413 beyond), as Apache's LimitRequestBody; default no limit
  --keep-alive-timeout SEC  close a client connection idle this long, as Apache's KeepAliveTimeout
                        (default: httpd.conf's KeepAliveTimeout with --httpd-conf, else 5)
  --procs N|auto        serving workers (default 1; auto = one per core). On Node >= 22.12 (Linux, fixed
                        ports) N threads, each with its own SO_REUSEPORT listener, sharing one lb state;
                        else a primary forks N processes that share the listeners and tell each other
                        when a member goes to ERR. The admin listener merges their metrics and status
  --procs-mode MODE     auto (default), threads or processes: force one of the two --procs kinds
  --drain-timeout SEC   on SIGTERM, how long running requests may take to finish (default 30)
  --body-ahead on|off   send a request body one AJP packet ahead of Tomcat's GET_BODY_CHUNK (default on:
                        Tomcat waits less and spends less CPU per upload); off for AJP containers other
                        than Tomcat, or to send exactly what mod_jk sends
  --access-log DEST     stdout (default), a file path, or off
  --log-level LEVEL     trace, debug, info (default), warn, error
  --version, --help

Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the configuration, SIGUSR1 reopens log files.
`;

interface CliOptions {
  workers?: string;
  mounts?: string;
  mount: string[];
  httpdConf?: string;
  pathMap: Array<{ from: string; to: string }>;
  strict: boolean;
  listen: string[];
  cert?: string;
  key?: string;
  admin: string;
  adminToken?: string;
  check: boolean;
  dump: boolean;
  verbose: boolean;
  probe: boolean;
  drainTimeoutSec: number;
  procs: number;
  procsMode: string;
  maxBodyBytes: number;
  /** --keep-alive-timeout; undefined: httpd.conf's KeepAliveTimeout, else 5 s. */
  keepAliveTimeoutMs: number | undefined;
  accessLog: string;
  logLevel: string;
  bodyAhead: boolean;
}

function parse(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workers: { type: 'string' }, mounts: { type: 'string' }, mount: { type: 'string', multiple: true },
      'httpd-conf': { type: 'string' }, 'path-map': { type: 'string', multiple: true }, strict: { type: 'boolean' }, listen: { type: 'string', multiple: true },
      cert: { type: 'string' }, key: { type: 'string' }, admin: { type: 'string' }, 'admin-token': { type: 'string' },
      check: { type: 'boolean' }, dump: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, 'no-probe': { type: 'boolean' },
      'drain-timeout': { type: 'string' }, procs: { type: 'string' }, 'procs-mode': { type: 'string' }, 'max-body-size': { type: 'string' }, 'keep-alive-timeout': { type: 'string' }, 'access-log': { type: 'string' }, 'log-level': { type: 'string' }, 'body-ahead': { type: 'string' },
      version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (values.version) {
    process.stdout.write(`ajplb ${VERSION} (node ${process.version})\n`);
    process.exit(0);
  }
  const procsMode = values['procs-mode'] ?? 'auto';
  if (!['auto', 'threads', 'processes'].includes(procsMode)) throw new Error(`--procs-mode: expected auto, threads or processes, got "${procsMode}"`);
  const drain = Number(values['drain-timeout'] ?? 30);
  if (!Number.isFinite(drain) || drain < 0) throw new Error(`--drain-timeout: not a number of seconds: ${values['drain-timeout']}`);
  return {
    workers: values.workers, mounts: values.mounts, mount: values.mount ?? [], httpdConf: values['httpd-conf'],
    pathMap: (values['path-map'] ?? []).map(parsePathMap),
    strict: values.strict ?? false, listen: values.listen ?? [], cert: values.cert, key: values.key,
    admin: values.admin ?? '127.0.0.1:8081', adminToken: values['admin-token'] ?? process.env.AJPLB_ADMIN_TOKEN,
    check: values.check ?? false, dump: values.dump ?? false, verbose: values.verbose ?? false, probe: !(values['no-probe'] ?? false),
    drainTimeoutSec: drain, procs: parseProcs(values.procs ?? '1'), procsMode, maxBodyBytes: parseSize(values['max-body-size'] ?? '0'),
    keepAliveTimeoutMs: values['keep-alive-timeout'] === undefined ? undefined : parseKeepAlive(values['keep-alive-timeout']), accessLog: values['access-log'] ?? 'stdout', logLevel: values['log-level'] ?? 'info',
    bodyAhead: parseOnOff('--body-ahead', values['body-ahead'] ?? 'on'),
  };
}

function parseOnOff(flag: string, text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`${flag}: expected on or off, got "${text}"`);
}

/** Bytes, with an optional k/m/g suffix (powers of 1024, as mod_jk's numbers). */
function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(text.trim());
  if (!m) throw new Error(`--max-body-size: expected a number of bytes (k/m/g suffix allowed), got "${text}"`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/**
 * Seconds as a positive number (fractions allowed). Zero is refused rather than read as "never": the front would
 * then hold every idle connection for ever, which no operator asking for Apache's behaviour means.
 */
function parseKeepAlive(text: string): number {
  const sec = Number(text);
  if (text.trim() === '' || !Number.isFinite(sec) || sec <= 0) throw new Error(`--keep-alive-timeout: expected a positive number of seconds, got "${text}"`);
  return Math.round(sec * 1000);
}

/** The flag, else httpd.conf's KeepAliveTimeout, else Apache's default of 5 s. */
function keepAliveMs(o: CliOptions, config: AppConfig): number {
  return o.keepAliveTimeoutMs ?? config.keepAliveTimeoutMs ?? 5000;
}

function parsePathMap(text: string): { from: string; to: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--path-map: expected FROM=TO, got "${text}"`);
  return { from: text.slice(0, eq), to: text.slice(eq + 1) };
}

function load(o: CliOptions): AppConfig {
  const config = loadConfig({
    workersFile: o.workers, mountsFile: o.mounts, mountArgs: o.mount, httpdConf: o.httpdConf, strict: o.strict, pathMap: o.pathMap,
  });
  const addresses = listenAddresses(o, config);
  const listeners = addresses.map((l) => ({ host: l.host, port: l.vhostPort ?? l.port }));
  // As --listen takes them: ADDR=PORT where vhosts match on another port than the one listened on.
  const where = addresses.map((l) => `${l.host}:${l.port}${l.vhostPort !== undefined && l.vhostPort !== l.port ? `=${l.vhostPort}` : ''}`).join(', ');
  for (const { vhost, addresses } of vhostsNoListenerReaches(config.vhosts, listeners)) {
    const first = vhostAddress(addresses[0] as string);
    config.diagnostics.push({
      severity: o.strict ? 'error' : 'warning', file: vhost.defined.file, line: vhost.defined.line, directive: '<VirtualHost>',
      message: `no listener is on ${addresses.join(' ')} (ajplb listens on ${where}): this vhost never matches`,
      hint: `listen there (--listen ${first.ip?.includes(':') ? `[${first.ip}]` : first.ip}:${first.port ?? 80}) or on every address (--listen 0.0.0.0:${first.port ?? 80})`,
    });
  }
  return config;
}

/** Errors and warnings always; the `info` notes (httpd directives ajplb ignores) only with --verbose. */
function printDiagnostics(config: AppConfig, out: NodeJS.WriteStream, verbose = false): number {
  let errors = 0;
  let infos = 0;
  for (const d of config.diagnostics) {
    if (d.severity === 'error') errors++;
    if (d.severity === 'info' && !verbose) {
      infos++;
      continue;
    }
    out.write(`${formatDiagnostic(d)}\n`);
  }
  if (infos > 0) out.write(`(${infos} directive(s) ajplb does not use were ignored; --verbose lists them)\n`);
  return errors;
}

/** --listen, else httpd.conf's Listen lines, else 127.0.0.1:8080; each with the port its vhosts match on. */
function listenAddresses(o: CliOptions, config: AppConfig): ListenAddress[] {
  // Listening elsewhere than httpd.conf's single Listen port: vhosts still match as if on that port.
  const declaredPorts = new Set(config.listeners.map((l) => l.port));
  const onlyPort = declaredPorts.size === 1 ? [...declaredPorts][0] : undefined;
  const raw: ListenAddress[] = o.listen.length > 0 ? o.listen.map(parseListen)
    : config.listeners.length > 0 ? config.listeners.map((l) => ({ host: l.host, port: l.port, tls: l.tls }))
    : [{ host: '127.0.0.1', port: 8080, tls: false }];
  return raw.map((l) => ({ ...l, vhostPort: l.vhostPort ?? onlyPort }));
}

function listenSpecs(o: CliOptions, config: AppConfig): ListenSpec[] {
  const tls = o.cert && o.key ? { cert: readFileSync(o.cert), key: readFileSync(o.key) } : undefined;
  return listenAddresses(o, config).map((l) => {
    if (l.tls && tls === undefined) throw new Error(`https listener ${l.host}:${l.port} needs --cert FILE and --key FILE`);
    return { host: l.host, port: l.port, tls: l.tls ? tls : undefined, vhostPort: l.vhostPort };
  });
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) return runDemo();
  const o = parse(argv);
  const config = load(o);
  if (o.dump) {
    const errors = printDiagnostics(config, process.stderr, o.verbose);
    process.stdout.write(dumpConfig(config));
    return errors > 0 ? 1 : 0;
  }
  if (o.check) {
    const errors = printDiagnostics(config, process.stdout, o.verbose);
    if (o.probe && errors === 0) {
      for (const line of await probeWorkers(config)) process.stdout.write(`${line}\n`);
    }
    process.stdout.write(errors > 0 ? `configuration has ${errors} error(s)\n` : 'Syntax OK\n');
    return errors > 0 ? 1 : 0;
  }
  // A --procs worker runs this same command line: the primary already printed the diagnostics.
  const errors = isProcsWorker() ? config.diagnostics.filter((d) => d.severity === 'error').length : printDiagnostics(config, process.stderr);
  if (errors > 0) {
    process.stderr.write(`ajplb: not started: ${errors} configuration error(s)\n`);
    return 1;
  }
  await serve(o, config);
  return -1;
}

/** No arguments: the sample config plus in-process demo backends, on 127.0.0.1:8080 (admin :8081). */
async function runDemo(): Promise<number> {
  const dir = fileURLToPath(new URL('../conf/demo/', import.meta.url));
  const o = parse(['--workers', `${dir}workers.properties`, '--mounts', `${dir}uriworkermap.properties`]);
  const config = load(o);
  if (printDiagnostics(config, process.stderr) > 0) return 1;
  const { DemoBackends } = await import('./demo/demo.js');
  await DemoBackends.start(config);
  await serve(o, config);
  process.stderr.write(`
  ajplb DEMO running — open http://127.0.0.1:8080/ and reload a few times.
  Two demo backends (jvmRoute demo1, demo2) stand in for Tomcats; stop one from the page to see failover.
  Status: http://127.0.0.1:8080/jkstatus   Metrics: http://127.0.0.1:8081/metrics
  Your own setup: ajplb --workers workers.properties [--mounts uriworkermap.properties] --listen 0.0.0.0:80

`);
  return -1;
}

function procsParams(o: CliOptions, config: AppConfig): ProcsParams {
  return {
    procs: o.procs, procsMode: o.procsMode, load: () => load(o), listen: (config) => listenSpecs(o, config), admin: o.admin, adminToken: o.adminToken,
    drainTimeoutSec: o.drainTimeoutSec, maxBodyBytes: o.maxBodyBytes, keepAliveTimeoutMs: keepAliveMs(o, config), accessLog: o.accessLog, logLevel: o.logLevel,
    version: VERSION, bodyAhead: o.bodyAhead,
  };
}

async function serve(o: CliOptions, config: AppConfig): Promise<void> {
  if (o.procs > 1) {
    const { runProcs } = await import('./procs/index.js');
    return runProcs(procsParams(o, config), config);
  }
  const { createObservability } = await import('./observe/index.js');
  let daemon: Daemon | null = null;
  let draining = false;
  const obs = createObservability({
    getRuntime: () => (daemon as Daemon).runtime, isDraining: () => draining, adminToken: o.adminToken, version: VERSION,
    inFlight: () => daemon?.front.inFlight ?? 0, openConnections: () => daemon?.front.openConnections ?? 0,
    accessLog: o.accessLog === 'off' ? false : { destination: o.accessLog }, logLevel: o.logLevel,
  });
  const log = obs.logger;
  daemon = await startDaemon({
    config, listen: listenSpecs(o, config), observer: obs.observer, limits: { maxBodyBytes: o.maxBodyBytes, keepAliveTimeoutMs: keepAliveMs(o, config) },
    tuning: { bodyAhead: o.bodyAhead },
  });
  obs.applyOverrides(daemon.runtime);
  for (const a of daemon.addresses) log.info({ address: a.address, port: a.port }, 'listening');
  if (o.admin !== 'off') {
    const spec = parseListen(o.admin);
    const admin = createAdminServer(obs.adminHandler);
    await new Promise<void>((resolve) => admin.listen(spec.port, spec.host, resolve));
    admin.unref();
    log.info({ address: spec.host, port: spec.port }, 'admin listening (/metrics /status /livez /readyz)');
  }
  const d = daemon;
  process.on('SIGHUP', () => {
    try {
      const next = load(o);
      const errs = next.diagnostics.filter((x) => x.severity === 'error');
      if (errs.length > 0) {
        for (const e of errs) log.error(formatDiagnostic(e));
        log.error('reload refused: the running configuration stays');
        obs.observer.onReload?.(false, new Error('invalid configuration'));
        return;
      }
      d.reload(next);
      obs.applyOverrides(d.runtime);
      log.info('configuration reloaded');
    } catch (err) {
      log.error({ err }, 'reload failed: the running configuration stays');
    }
  });
  process.on('SIGUSR1', () => obs.reopenLogs());
  const stop = (signal: string): void => {
    if (draining) return;
    draining = true;
    log.info({ signal, drainTimeoutSec: o.drainTimeoutSec }, 'draining');
    void d.stop(o.drainTimeoutSec * 1000).then(async (clean) => {
      log.info({ clean }, 'stopped');
      await obs.closeLogs(1000);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ajplb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
