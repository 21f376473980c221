// The app log and the access log. JSON lines by default (pino-pretty only on a terminal, and only when it is
// installed); the access log is one line per request, written asynchronously to stdout or to a file that
// SIGUSR1 reopens after logrotate moved it.

import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Forwarding } from '../front/forward.js';

export interface AccessLogOption {
  /** 'stdout' or a file path. */
  destination: 'stdout' | string;
}

export interface LogsOptions {
  logLevel?: string | undefined;
  accessLog?: AccessLogOption | false | undefined;
  /** Tests: where the app log (and a 'stdout' access log) goes instead of fd 1. */
  stdout?: DestinationStream;
}

type SonicBoomLike = DestinationStream & { reopen?(file?: string): void; flush?(cb?: (err?: Error) => void): void; end?(): void };

function prettyAvailable(): boolean {
  if (process.stdout.isTTY !== true) return false;
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export class Logs {
  readonly logger: Logger;
  /** null when the access log is off. */
  readonly access: Logger | null;
  private readonly file: SonicBoomLike | null;
  private readonly shared: SonicBoomLike | null;

  constructor(opts: LogsOptions) {
    const level = opts.logLevel ?? 'info';
    const timestamp = pino.stdTimeFunctions.isoTime;
    const pretty = opts.stdout === undefined && prettyAvailable();
    // One stream for everything that goes to stdout: two async writers on fd 1 could interleave lines.
    this.shared = pretty ? null : (opts.stdout as SonicBoomLike | undefined) ?? pino.destination({ dest: 1, sync: false });
    this.logger = pretty
      ? pino({ level, timestamp, transport: { target: 'pino-pretty', options: { colorize: true } } })
      : pino({ level, timestamp }, this.shared as DestinationStream);
    this.file = null;
    const a = opts.accessLog;
    if (a === false || a === undefined) {
      this.access = null;
    } else if (a.destination === 'stdout' || a.destination === '-') {
      // Access lines are written whatever the app log level is, as httpd's CustomLog ignores LogLevel.
      this.access = pretty
        ? this.logger.child({ log: 'access' }, { level: 'info' })
        : pino({ level: 'info', timestamp, base: { log: 'access' } }, this.shared as DestinationStream);
    } else {
      this.file = pino.destination({ dest: a.destination, sync: false, mkdir: true }) as SonicBoomLike;
      this.access = pino({ level: 'info', timestamp, base: null }, this.file);
    }
  }

  /** SIGUSR1: logrotate moved the access log file; start a new one under the configured name. */
  reopen(): void {
    try {
      this.file?.reopen?.();
      this.logger.info('log files reopened');
    } catch (err) {
      this.logger.error({ err }, 'could not reopen the access log');
    }
  }

  /** Resolves once what was logged so far reached the file or stdout (tests, shutdown). */
  async flush(): Promise<void> {
    const streams = [this.file, this.shared].filter((s): s is SonicBoomLike => s !== null && typeof s.flush === 'function');
    await Promise.all(streams.map((s) => new Promise<void>((resolve) => {
      try {
        s.flush?.(() => resolve());
      } catch {
        resolve();
      }
    })));
  }

  forwardDone(f: Forwarding, totalMs: number, vhost: string): void {
    const access = this.access;
    if (access === null) return;
    const req = f.req;
    const worker = f.worker;
    access.info({
      vhost,
      host: req.headers.host,
      remote: req.socket.remoteAddress,
      method: req.method,
      path: pathOf(req),
      status: f.status,
      bytes: f.bytesOut,
      ms: round1(totalMs),
      upstreamMs: round1(f.upstreamMs),
      lb: f.lb?.name,
      member: worker?.name,
      route: f.route || undefined,
      attempts: f.attempts,
      retries: f.attempts > 1 ? f.attempts - 1 : 0,
      outcome: f.outcome,
      error: f.outcome === 'ok' ? undefined : f.errorCode,
    }, 'request completed');
  }

  rejected(req: IncomingMessage, status: number, why: string, vhost: string): void {
    this.access?.info({
      vhost, host: req.headers.host, remote: req.socket.remoteAddress, method: req.method, path: pathOf(req), status,
      outcome: 'rejected', reason: why,
    }, 'request rejected');
  }

  statusRequest(req: IncomingMessage, status: number, totalMs: number, worker: string): void {
    this.access?.info({
      host: req.headers.host, remote: req.socket.remoteAddress, method: req.method, path: pathOf(req), status,
      ms: round1(totalMs), member: worker, outcome: 'status',
    }, 'request completed');
  }
}

/** The path without the query string: queries often carry tokens that have no place in a log file. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
