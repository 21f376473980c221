// The app log and the access log. JSON lines by default (pino-pretty only on a terminal, and only when it is
// installed); the access log is one line per request (access-line.ts writes them without pino), written
// asynchronously to stdout or to a file that SIGUSR1 reopens after logrotate moved it.

import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Forwarding } from '../front/forward.js';
import { AccessLineHead, forwardedLine, rejectedLine, statusLine } from './access-line.js';

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

/** A terminal with pino-pretty: readability over speed, so each access line goes through the pretty logger. */
function prettyWriter(logger: Logger): (line: string) => void {
  const access = logger.child({ log: 'access' }, { level: 'info' });
  return (line) => {
    const { level: _level, time: _time, log: _log, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    access.info(fields, msg as string);
  };
}

export class Logs {
  readonly logger: Logger;
  /** Takes one finished access line; null when the access log is off. */
  private readonly writeAccess: ((line: string) => void) | null;
  private readonly head: AccessLineHead;
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
    const a = opts.accessLog;
    const toFile = a !== false && a !== undefined && a.destination !== 'stdout' && a.destination !== '-';
    // Access lines are written whatever the app log level is, as httpd's CustomLog ignores LogLevel. A file
    // gets Buffers (sonic-boom's buffer mode appends them to a list; its text mode measures the whole pending
    // text again on every write); stdout shares the app log's text stream, so lines never interleave.
    this.file = toFile ? pino.destination({ dest: a.destination, sync: false, mkdir: true, contentMode: 'buffer' }) as SonicBoomLike : null;
    this.head = new AccessLineHead(!toFile);
    if (a === false || a === undefined) {
      this.writeAccess = null;
    } else if (this.file !== null) {
      const file = this.file;
      this.writeAccess = (line) => file.write(Buffer.from(line) as unknown as string);
    } else if (pretty) {
      this.writeAccess = prettyWriter(this.logger);
    } else {
      const shared = this.shared as SonicBoomLike;
      this.writeAccess = (line) => shared.write(line);
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
    if (this.writeAccess !== null) this.writeAccess(forwardedLine(this.head.at(Date.now()), f, totalMs, vhost));
  }

  rejected(req: IncomingMessage, status: number, why: string, vhost: string): void {
    if (this.writeAccess !== null) this.writeAccess(rejectedLine(this.head.at(Date.now()), req, status, why, vhost));
  }

  statusRequest(req: IncomingMessage, status: number, totalMs: number, worker: string): void {
    if (this.writeAccess !== null) this.writeAccess(statusLine(this.head.at(Date.now()), req, status, totalMs, worker));
  }
}
