// Processes the bench starts, and nothing else: each is stopped by its PID (with the descendants it had), and
// whatever is left when the bench exits or is interrupted is killed the same way.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { isAlive, processTree } from './procstat.js';

const tracked = new Set<ChildProcess>();

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
  return child;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string,
  intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; descendants that outlive their parent are killed too. */
export async function stopTracked(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  const pid = child.pid as number;
  const tree = processTree([pid]);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (!exited()) {
    signalAll([pid], signal);
    try {
      await waitFor(exited, graceMs, `PID ${pid} to exit`);
    } catch {
      signalAll([pid], 'SIGKILL');
      await waitFor(exited, 5000, `PID ${pid} to die`);
    }
  }
  const leftovers = tree.filter((p) => p !== pid && isAlive(p));
  if (leftovers.length > 0) {
    signalAll(leftovers, 'SIGKILL');
    await waitFor(() => leftovers.every((p) => !isAlive(p)), 5000, `children ${leftovers.join(',')} to die`);
  }
  tracked.delete(child);
}

/** Synchronous last resort: SIGKILL every tracked process and its descendants. */
export function killAllNow(): void {
  const roots = [...tracked].map((child) => child.pid as number);
  if (roots.length === 0) return;
  signalAll(processTree(roots), 'SIGKILL');
  tracked.clear();
}

let installed = false;

/** On exit kill what is left; on SIGINT/SIGTERM/SIGHUP run `cleanup` (Tomcats, temp dirs) first. */
export function installCleanup(cleanup: () => Promise<void>): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      killAllNow();
      const hardStop = setTimeout(() => process.exit(130), 20_000);
      hardStop.unref();
      cleanup().finally(() => process.exit(130));
    });
  }
}
