import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBase, type BaseConfig } from './conf.js';
import { CATALINA_HOME, CATALINA_SH, javaHome, tomcatAvailable } from './env.js';
import { cping, freePorts, httpAnswers, pollUntil } from './net.js';
import type { TomcatHandle, TomcatOptions } from './types.js';
import { installWebapp } from './webapp.js';

const BASE_PREFIX = 'ajplb-tomcat-';
const STOP_GRACE_MS = 10_000;
const DEATH_TIMEOUT_MS = 10_000;
/** Lines Tomcat logs when it will never become ready; waiting for the deadline would only waste time. */
const FATAL_LOG = /Address already in use|Failed to (initialize|start) (connector|component)|Context \[[^\]]*\] startup failed|Error deploying web application directory/;

/** Every JVM this process started and has not seen die; the exit handler SIGKILLs what is left. */
const running = new Set<Tomcat>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const tomcat of running) tomcat.killNow();
  });
}

/** Dead = gone from /proc or a zombie (after SIGKILL the JVM lingers as 'Z' until reaped). */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/**
 * Removes bases left by test processes that died without cleaning up (vitest may end a worker by a signal,
 * which skips 'exit' handlers; their JVMs halt on their own once stdin closes). Only bases whose owning
 * process and JVM are both gone are touched, so concurrent test runs are safe.
 */
let swept = false;
function sweepOrphanBases(): void {
  if (swept) return;
  swept = true;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(BASE_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const [owner, jvm] = ['owner.pid', 'jvm.pid'].map((file) => Number(readFileSync(join(dir, file), 'utf8')));
      if (owner !== process.pid && processGone(owner as number) && processGone(jvm as number)) {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch {
      // not one of ours, or still being set up
    }
  }
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

class Tomcat implements TomcatHandle {
  pid = 0;
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private removed = false;
  /** Where this start's part of catalina.out begins (restarts append). */
  private logOffset = 0;
  /** Milliseconds from spawn to ready on the last start. */
  startMs = 0;

  constructor(
    readonly base: string,
    private readonly config: BaseConfig,
    private readonly java: string,
    private readonly extraFiles: Record<string, string> | undefined,
    private readonly startTimeoutMs: number,
  ) {}

  get ajpPort(): number {
    return this.config.ajpPort;
  }
  get httpPort(): number | undefined {
    return this.config.httpPort;
  }
  get jvmRoute(): string | undefined {
    return this.config.jvmRoute;
  }

  private get catalinaOut(): string {
    return join(this.base, 'logs', 'catalina.out');
  }

  async prepare(): Promise<void> {
    writeBase(this.base, this.config);
    writeFileSync(join(this.base, 'owner.pid'), String(process.pid));
    await installWebapp(this.java, this.base, this.extraFiles);
    this.removed = false;
  }

  /** Spawns `catalina.sh run` (which execs java, so the child's PID is the JVM's) and waits for readiness. */
  async start(): Promise<void> {
    installExitHandler();
    const opts = [
      '-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Xss512k',
      '-Djava.security.egd=file:/dev/./urandom',
      `-Dajplb.jvmRoute=${this.config.jvmRoute ?? ''}`, '-Dajplb.exitWithParent=true',
    ].join(' ');
    const out = openSync(this.catalinaOut, 'a');
    this.logOffset = fstatSync(out).size;
    const started = Date.now();
    try {
      this.child = spawn(CATALINA_SH, ['run'], {
        env: {
          ...process.env, JAVA_HOME: this.java, CATALINA_HOME, CATALINA_BASE: this.base,
          CATALINA_TMPDIR: join(this.base, 'temp'), CATALINA_OPTS: opts, JAVA_OPTS: '',
        },
        // stdin is a pipe we never write to: the webapp halts the JVM when it reads EOF, i.e. when this
        // process is gone, even by a signal that skips the exit handler (-Dajplb.exitWithParent).
        stdio: ['pipe', out, out],
      });
    } finally {
      closeSync(out);
    }
    const child = this.child;
    if (child.pid === undefined) throw new Error(`could not spawn ${CATALINA_SH}`);
    this.pid = child.pid;
    writeFileSync(join(this.base, 'jvm.pid'), String(child.pid));
    // A Tomcat a test forgot to stop must not keep the test process alive; the exit handler still kills it.
    child.unref();
    (child.stdin as Socket | null)?.unref();
    child.stdin?.on('error', () => undefined);
    this.stopping = undefined;
    running.add(this);
    child.once('exit', () => running.delete(this));
    try {
      await this.waitReady(started + this.startTimeoutMs);
    } catch (err) {
      await this.kill('SIGKILL');
      throw err;
    }
    this.startMs = Date.now() - started;
  }

  private async waitReady(deadline: number): Promise<void> {
    const failure = async (why: string): Promise<string> =>
      `Tomcat ${this.jvmRoute ?? ''} (base ${this.base}, AJP ${this.ajpPort}) ${why}; catalina.out tail:\n${tail(await this.log())}`;
    const check = async (): Promise<boolean> => {
      if (this.exited()) throw new Error(await failure(`exited with ${this.child?.exitCode ?? this.child?.signalCode}`));
      if (FATAL_LOG.test((await this.log()).slice(this.logOffset))) throw new Error(await failure('failed to start'));
      return cping(this.ajpPort);
    };
    await pollUntil(check, deadline, () => failure('did not answer an AJP CPing in time'));
    const httpPort = this.httpPort;
    if (httpPort !== undefined) {
      await pollUntil(() => httpAnswers(httpPort), deadline, () => failure(`HTTP port ${httpPort} not answering`));
    }
  }

  /** Node has reaped the child: no trace left in /proc. */
  private reaped(): boolean {
    const child = this.child;
    return child === undefined || child.exitCode !== null || child.signalCode !== null;
  }

  private exited(): boolean {
    return this.reaped() || processGone(this.pid);
  }

  private waitDead(timeoutMs: number): Promise<void> {
    return pollUntil(() => this.exited(), Date.now() + timeoutMs, () => `Tomcat PID ${this.pid} still alive`, 20);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited()) return;
    process.kill(this.pid, signal);
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') {
      // A stopped JVM would sit on SIGTERM forever.
      if (signal !== 'SIGKILL') process.kill(this.pid, 'SIGCONT');
      await this.waitDead(signal === 'SIGKILL' ? DEATH_TIMEOUT_MS : STOP_GRACE_MS);
    }
  }

  /** Synchronous last resort for the process exit handler. */
  killNow(): void {
    try {
      if (!this.exited()) process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (!this.removed) rmSync(this.base, { recursive: true, force: true });
  }

  pause(): void {
    if (!this.exited()) process.kill(this.pid, 'SIGSTOP');
  }

  resume(): void {
    if (!this.exited()) process.kill(this.pid, 'SIGCONT');
  }

  private async terminate(): Promise<void> {
    if (this.exited()) return;
    try {
      await this.kill('SIGTERM');
    } catch {
      await this.kill('SIGKILL');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.terminate();
      // Dead already; wait the moment it takes Node to reap it, so no zombie outlives stop().
      await pollUntil(() => this.reaped(), Date.now() + DEATH_TIMEOUT_MS, () => `Tomcat PID ${this.pid} not reaped`, 5);
      running.delete(this);
      rmSync(this.base, { recursive: true, force: true });
      this.removed = true;
    })();
    return this.stopping;
  }

  async restart(): Promise<void> {
    if (this.stopping !== undefined) await this.stopping;
    await this.terminate();
    if (this.removed || !existsSync(join(this.base, 'conf', 'server.xml'))) await this.prepare();
    await this.start();
  }

  async log(): Promise<string> {
    try {
      return await readFile(this.catalinaOut, 'utf8');
    } catch {
      return '';
    }
  }
}

async function launch(opts: TomcatOptions, java: string): Promise<Tomcat> {
  const wanted = [opts.ajpPort || undefined, opts.httpPort === false ? null : opts.httpPort || undefined];
  const free = await freePorts(wanted.filter((port) => port === undefined).length);
  const pick = (port: number | null | undefined): number | undefined => (port === null ? undefined : (port ?? free.shift()));
  const ajpPort = pick(wanted[0]);
  if (ajpPort === undefined) throw new Error('no AJP port');
  const config: BaseConfig = {
    jvmRoute: opts.jvmRoute, ajpPort, httpPort: pick(wanted[1]), secret: opts.secret, packetSize: opts.packetSize,
    maxThreads: opts.maxThreads, keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
    ajpConnectorAttributes: opts.ajpConnectorAttributes, cluster: opts.cluster,
  };
  const base = mkdtempSync(join(tmpdir(), BASE_PREFIX));
  const tomcat = new Tomcat(base, config, java, opts.extraJsp, opts.startTimeoutMs ?? 60_000);
  try {
    await tomcat.prepare();
    await tomcat.start();
    return tomcat;
  } catch (err) {
    await tomcat.stop();
    throw err;
  }
}

export async function startTomcat(opts: TomcatOptions = {}): Promise<TomcatHandle> {
  const available = tomcatAvailable();
  if (!available.ok) throw new Error(available.reason);
  sweepOrphanBases();
  const java = javaHome() as string;
  const autoPorts = !opts.ajpPort && !opts.httpPort && opts.cluster === undefined;
  // A port picked free can be taken by someone else before Tomcat binds it; only then is a retry safe.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(opts, java);
    } catch (err) {
      if (!autoPorts || attempt >= 3 || !String(err).includes('Address already in use')) throw err;
    }
  }
}
