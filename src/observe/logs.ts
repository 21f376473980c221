// The app log and the access log. JSON lines by default (pino-pretty only on a terminal, and only when it is
// installed); the access log is one line per request (access-line.ts writes them without pino), written
// asynchronously to stdout or to a file that SIGUSR1 reopens after logrotate moved it.

import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Forwarding } from '../front/forward.js';
import { AccessLineHead, forwardedLine, rejectedLine, statusLine } from './access-line.js';
import { checkWritable, openLogStream, type LogStream, type LogStreamTrouble } from './log-stream.js';

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

/** How often a failing log is reported on the app log (or stderr), at most. */
const TROUBLE_REPORT_MS = 60_000;

export class Logs {
  readonly logger: Logger;
  /** Takes one finished access line; null when the access log is off. */
  private readonly writeAccess: ((line: string) => void) | null;
  private readonly head: AccessLineHead;
  private readonly file: LogStream | null;
  /** fd 1, shared by the app log and a stdout access log; null on a terminal with pino-pretty or in tests. */
  private readonly stdout: LogStream | null;
  private closed = false;
  private lastReport = new Map<LogStream, number>();

  constructor(opts: LogsOptions) {
    const level = opts.logLevel ?? 'info';
    const timestamp = pino.stdTimeFunctions.isoTime;
    const pretty = opts.stdout === undefined && prettyAvailable();
    const onTrouble = (stream: LogStream): void => this.report(stream);
    // One stream for everything that goes to stdout: two async writers on fd 1 could interleave lines.
    this.stdout = pretty || opts.stdout !== undefined ? null : openLogStream(1, { buffers: false, onTrouble });
    const stdoutStream: DestinationStream | null = opts.stdout ?? (this.stdout === null ? null : this.guarded(this.stdout));
    this.logger = stdoutStream === null
      ? pino({ level, timestamp, transport: { target: 'pino-pretty', options: { colorize: true } } })
      : pino({ level, timestamp }, stdoutStream);
    const a = opts.accessLog;
    const toFile = a !== false && a !== undefined && a.destination !== 'stdout' && a.destination !== '-';
    if (toFile) checkWritable(a.destination);
    // Access lines are written whatever the app log level is, as httpd's CustomLog ignores LogLevel. A file
    // gets Buffers (sonic-boom's buffer mode appends them to a list; its text mode measures the whole pending
    // text again on every write); stdout shares the app log's text stream, so lines never interleave.
    this.file = toFile ? openLogStream(a.destination, { buffers: true, onTrouble }) : null;
    this.head = new AccessLineHead(!toFile);
    if (a === false || a === undefined) {
      this.writeAccess = null;
    } else if (this.file !== null) {
      const boom = this.file.boom;
      this.writeAccess = (line) => {
        if (!this.closed) boom.write(Buffer.from(line) as unknown as string);
      };
    } else if (stdoutStream === null) {
      this.writeAccess = prettyWriter(this.logger);
    } else {
      this.writeAccess = (line) => stdoutStream.write(line);
    }
  }

  /** The stream pino writes to: nothing is written once the logs are closed for exit. */
  private guarded(stream: LogStream): DestinationStream {
    return { write: (line: string) => (this.closed ? undefined : stream.boom.write(line)) };
  }

  /** Errors and dropped lines of each log, for /metrics. */
  get trouble(): { access: LogStreamTrouble | null; stdout: LogStreamTrouble | null } {
    return { access: this.file?.trouble ?? null, stdout: this.stdout?.trouble ?? null };
  }

  /** A log that cannot keep up or cannot be written: say so, at most once a minute per log. */
  private report(stream: LogStream): void {
    const now = Date.now();
    const last = this.lastReport.get(stream);
    if (last !== undefined && now - last < TROUBLE_REPORT_MS) return;
    this.lastReport.set(stream, now);
    const t = stream.trouble;
    const what = stream === this.file ? 'the access log' : 'stdout';
    const message = `ajplb: cannot write ${what}: ${t.lastError?.message ?? 'destination too slow'}; `
      + `${t.errors} write errors, ${t.droppedLines} lines dropped so far; requests are still served`;
    if (stream === this.stdout) {
      // The app log itself is what fails: stderr, synchronously, is what is left.
      try {
        process.stderr.write(`${message}\n`);
      } catch {
        // nowhere left to say it
      }
    } else {
      this.logger.error({ errors: t.errors, droppedLines: t.droppedLines, err: t.lastError ?? undefined }, message);
    }
  }

  /** SIGUSR1: logrotate moved the access log file; start a new one under the configured name. */
  reopen(): void {
    try {
      this.file?.boom.reopen();
      this.logger.info('log files reopened');
    } catch (err) {
      this.logger.error({ err }, 'could not reopen the access log');
    }
  }

  /**
   * Tests: nothing is held back to push (sonic-boom starts a write for every line), so this only yields; the
   * tests wait for the lines to land in the file.
   */
  async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Shutdown: write what is pending, then stop writing. Bounded by `timeoutMs`, so a log that cannot be
   * written cannot hold the exit.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const streams = [this.file, this.stdout].filter((s): s is LogStream => s !== null);
    await Promise.all(streams.map((s) => s.close(timeoutMs)));
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
