// What the bench needs before any front starts: the packages, two real Tomcats, the light AJP backend and
// one session per Tomcat for the sticky scenarios.

import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { APACHE_BIN, MODULES } from './apache.js';
import type { Backend } from './fronts.js';
import { spawnTracked, stopTracked } from './procs.js';
import { freePorts } from '../test/tomcat/harness/net.js';

/** Debian package for each thing the bench runs. */
function missingPackages(): string[] {
  const needs: [string, string][] = [
    [APACHE_BIN, 'apache2'],
    [join(MODULES, 'mod_proxy_ajp.so'), 'apache2'],
    [join(MODULES, 'mod_jk.so'), 'libapache2-mod-jk'],
    ['/usr/bin/wrk', 'wrk'],
    ['/usr/bin/h2load', 'nghttp2-client'],
    ['/usr/share/tomcat10/bin/catalina.sh', 'tomcat10-common'],
    ['/usr/share/tomcat10/lib/catalina-ha.jar', 'libtomcat10-java'],
  ];
  const missing = needs.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg);
  let javac = false;
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
    javac = true;
  } catch {
    // no JDK on PATH
  }
  if (!javac) missing.push('default-jdk-headless');
  return [...new Set(missing)];
}

/** apt-get installs what is missing (apt-get update only then); without root it says what to install. */
export function ensureInstalled(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  process.stderr.write(`bench: installing ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(' ')}`);
}

/**
 * The harness finds the test webapp relative to its own file; compiled into bench/dist it looks in
 * bench/dist/test/tomcat/webapp, so point that at the sources.
 */
export function linkWebappSources(repo: string, compiledHarnessDir: string): void {
  const link = resolve(compiledHarnessDir, '..', 'webapp');
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(repo, 'test', 'tomcat', 'webapp'), link, 'dir');
}

export interface TomcatNode {
  ajpPort: number;
  httpPort?: number;
  pid: number;
  base: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * Tomcat's HTTP connector closes a keep-alive connection after 100 requests by default; the Apache fronts are
 * configured without that limit, so the ceiling gets none either (the harness has no option for it: edit
 * server.xml and restart).
 */
export async function unlimitKeepAlive(node: TomcatNode): Promise<void> {
  const file = join(node.base, 'conf', 'server.xml');
  const xml = readFileSync(file, 'utf8');
  writeFileSync(file, xml.replace('<Connector protocol="HTTP/1.1"', '<Connector protocol="HTTP/1.1" maxKeepAliveRequests="-1"'));
  await node.restart();
}

/** GET /session on one Tomcat's HTTP connector: the JSESSIONID cookie (id ends in .was1 / .was2). */
export function newSession(port: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/session', agent: false }, (res) => {
      res.resume();
      const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] as string).find((c) => c.startsWith('JSESSIONID='));
      if (res.statusCode !== 200 || cookie === undefined) reject(new Error(`no session from 127.0.0.1:${port} (status ${res.statusCode})`));
      else resolvePromise(cookie);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('session request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface LightBackend {
  backend: Backend;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The light AJP backend in its own process, listening on two ports (members was1 and was2). */
export async function startLightBackend(script: string, log: string): Promise<LightBackend> {
  const ports = (await freePorts(2)) as [number, number];
  const child = spawnTracked(process.execPath, [script, ...ports.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`light backend not ready:\n${output}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('READY')) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`light backend exited (${code}):\n${output}`));
    });
  });
  child.stdout?.on('data', (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' }));
  return {
    backend: { name: 'light', ajpPorts: ports, pids: child.pid === undefined ? [] : [child.pid] },
    child,
    stop: async () => {
      child.stdin?.end();
      await stopTracked(child, 'SIGTERM', 3000);
    },
  };
}
