// 10,000 idle client connections held by one ajplb (light backend; no backend work is involved beyond one small
// answer per connection). A separate client process opens them (each sends one keep-alive GET and reads the
// answer, or, in the `silent` variant, sends nothing), ajplb's RSS is sampled while they are held, and at the end
// every connection must still be open: ajplb did not shed them to save memory.

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Backend } from '../fronts.js';
import { spawnTracked, stopTracked } from '../procs.js';
import { measured, mib, type AdminFigures, type CheckContext, type CheckResult } from './front.js';
import { maxOf, median, openFilesLimit } from './rss.js';

const COUNT = 10_000;
/** Seconds the connections are held idle while RSS is sampled. */
const HOLD_SEC = 30;
/**
 * ajplb closes connections idle for --keep-alive-timeout (5 s by default, as Apache): opening 10,000 takes
 * longer than that, so the check runs ajplb with a timeout far beyond the whole check.
 */
const KEEP_ALIVE_SEC = 3600;
/** Opening and answering 10,000 connections takes seconds; this only bounds a client that hangs. */
const OPEN_TIMEOUT_MS = 180_000;
/** 300 MB as the issue writes it, in decimal megabytes: the stricter reading of "MB". */
export const IDLE_LIMIT_MIB = 300e6 / 2 ** 20;
/** File descriptors ajplb needs beyond the client connections: listeners, AJP pool, stdio, libuv. */
const FD_HEADROOM = 512;

type Mode = 'request' | 'silent';

/** The next stdout line of `child` that starts with `word`; fails when the child exits first or after `timeoutMs`. */
function nextLine(lines: Interface, child: ChildProcess, word: string, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      lines.off('line', onLine);
      child.off('exit', onExit);
    };
    const onLine = (line: string): void => {
      if (!line.startsWith(`${word} `)) return;
      done();
      resolve(line.split(' ').slice(1));
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`idle client exited (${code}) before printing ${word}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`idle client: no ${word} line in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}

function fdLimitCheck(pid: number, who: string): void {
  const limit = openFilesLimit(pid);
  if (limit < COUNT + FD_HEADROOM) {
    throw new Error(`${who} (PID ${pid}) may open ${limit} files, fewer than the ${COUNT + FD_HEADROOM} the check needs: raise the hard limit (ulimit -Hn)`);
  }
}

interface Held {
  before: number;
  heldFor: number[];
  held: number;
  failed: string;
  stillOpen: number;
  openSeconds: number;
  /** /metrics while the connections are held (the end of the check comes after the client has left). */
  admin: AdminFigures;
}

export async function idleCheck(ctx: CheckContext, light: Backend, mode: Mode): Promise<CheckResult> {
  const id = mode === 'request' ? 'idle' : 'idle-silent';
  const script = join(ctx.repo, 'bench', 'dist', 'bench', 'memory', 'idle-client.js');
  const end = await measured(ctx, id, light, ['--keep-alive-timeout', String(KEEP_ALIVE_SEC)], async (m): Promise<Held> => {
    fdLimitCheck(m.pid, 'ajplb');
    const before = median(m.sampler.samples.map((s) => s.rssMiB));
    const client = spawnTracked(process.execPath, [script, String(m.front.port), String(COUNT), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: client.stdout as NodeJS.ReadableStream });
      const openedAt = m.sampler.elapsedSec;
      const [held = '0', failed = '0', ...why] = await nextLine(lines, client, 'HELD', OPEN_TIMEOUT_MS);
      const heldAt = m.sampler.elapsedSec;
      fdLimitCheck(client.pid as number, 'the idle client');
      // The measurement window itself: RSS is sampled once a second meanwhile.
      await new Promise((resolve) => setTimeout(resolve, HOLD_SEC * 1000));
      const admin = await m.admin();
      const still = nextLine(lines, client, 'STILL', 30_000);
      client.stdin?.write('CHECK\n');
      const [open = '0'] = await still;
      return {
        before, heldFor: m.sampler.between(heldAt).map((s) => s.rssMiB), held: Number(held),
        failed: Number(failed) === 0 ? '' : `${failed} failed (${why.join(' ')})`, stillOpen: Number(open), openSeconds: heldAt - openedAt, admin,
      };
    } finally {
      client.stdin?.end();
      await stopTracked(client, 'SIGTERM', 10_000);
    }
  });
  const h = end.value;
  const heldMax = Math.max(...h.heldFor);
  const perConnectionKiB = ((heldMax - h.before) * 1024) / COUNT;
  const allHeld = h.held === COUNT && h.stillOpen === COUNT;
  const pass = allHeld && end.peakMiB < IDLE_LIMIT_MIB;
  const what = mode === 'request' ? 'after one GET each' : 'that never sent a request';
  const counts = allHeld ? `all ${COUNT} open to the end` : `held ${h.held}, still open ${h.stillOpen} of ${COUNT}${h.failed === '' ? '' : `, ${h.failed}`}`;
  return {
    id,
    title: `${COUNT} idle connections ${what} (light backend), held ${HOLD_SEC} s: VmHWM under 300 MB`,
    pass,
    line: `VmHWM ${mib(end.peakMiB)} MiB (limit ${mib(IDLE_LIMIT_MIB)} MiB = 300 MB); RSS ${mib(h.before)} MiB before, ${mib(heldMax)} MiB held `
      + `(${perConnectionKiB.toFixed(1)} KiB per connection); opened in ${h.openSeconds.toFixed(1)} s; ${counts}; ajplb counted ${h.admin['open connections']}`,
    figures: {
      connections: COUNT, 'hold s': HOLD_SEC, 'open s': Number(h.openSeconds.toFixed(1)), 'RSS before MiB': mib(h.before),
      'RSS held max MiB': mib(heldMax), 'RSS held last MiB': mib(h.heldFor.at(-1) ?? Number.NaN), 'KiB per connection': Number(perConnectionKiB.toFixed(1)),
      'VmHWM MiB': mib(end.peakMiB), held: h.held, 'still open': h.stillOpen, 'max sampled MiB': mib(maxOf(end.samples)), ...h.admin,
    },
    samples: end.samples,
  };
}
