// Where the logs are written: sonic-boom streams that never take the daemon down. A log that cannot be
// written (disk full, a lost mount, an unwritable file after logrotate) must cost log lines, not requests, as
// with Apache's CustomLog. pino.destination() would emit the write error with no listener (an uncaught
// exception) and then, at exit, retry the failing write forever in its flush-on-exit handler: the process
// hung, neither serving nor exiting. So the streams are made here, every error is caught and counted, the
// memory held for a slow or failing destination is bounded (lines past it are dropped and counted), and
// shutdown flushes with a time limit instead of at exit.

import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { SonicBoom } from 'sonic-boom';

// sonic-boom is CommonJS whose types describe an ES default export; require gives the class itself.
const SonicBoomClass = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoom;

/** What one stream lost; reported by the owner (rate-limited) and exported as metrics. */
export interface LogStreamTrouble {
  /** Write or open errors since start. */
  errors: number;
  /** Lines dropped because the destination fell this far behind. */
  droppedLines: number;
  /** The last error, for the report. */
  lastError: Error | null;
}

/** Bytes waiting for a slow or failing destination before new lines are dropped. */
export const PENDING_MAX_BYTES = 16 * 1024 * 1024;

export interface LogStream {
  readonly boom: SonicBoom;
  readonly trouble: LogStreamTrouble;
  /** Writes what is pending and stops (fd 1 stays open); resolves when done or after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Checks now that a log file can be opened for appending (its directory made if missing), so a wrong path or
 * permission stops the start with a clear message instead of surfacing later as write errors.
 */
export function checkWritable(file: string): void {
  try {
    makeDirectories(dirname(file));
    closeSync(openSync(file, 'a'));
  } catch (err) {
    throw new Error(`--access-log ${file}: cannot open it for appending (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or its permissions, or use --access-log stdout`);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns for a directory that cannot be made
 * under an existing one that refuses it with ENOENT (seen with /proc/x: it retries the parent forever).
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

export function openLogStream(dest: number | string, opts: { buffers: boolean; onTrouble(stream: LogStream): void }): LogStream {
  const boom = new SonicBoomClass({
    ...(typeof dest === 'number' ? { fd: dest } : { dest }),
    sync: false,
    maxLength: PENDING_MAX_BYTES,
    ...(opts.buffers ? { contentMode: 'buffer' as const } : {}),
  });
  const trouble: LogStreamTrouble = { errors: 0, droppedLines: 0, lastError: null };
  const stream: LogStream = {
    boom,
    trouble,
    close: (timeoutMs) => closeWithin(boom, timeoutMs),
  };
  boom.on('error', (err: Error) => {
    trouble.errors++;
    trouble.lastError = err;
    opts.onTrouble(stream);
  });
  boom.on('drop', () => {
    trouble.droppedLines++;
    opts.onTrouble(stream);
  });
  return stream;
}

/**
 * sonic-boom's end() writes everything pending before it closes. Its flush() would not wait: with minLength 0
 * it answers at once, every line having been handed to a write already.
 */
function closeWithin(boom: SonicBoom, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    boom.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      boom.end();
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
