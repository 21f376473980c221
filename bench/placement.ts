// Which CPUs each part of a benchmark runs on (--cpus-backend, --cpus-front, --cpus-load). Unset, everything
// shares every core, as on the 2-vCPU VM of the published tables. On a machine with cores to spare, keeping the
// Tomcats and the load generator off the front's cores is what shows whether req/s grows with --procs (issue 6:
// "scales with procs up to the cores free of Tomcat and the load generator"), and how a front does once it no
// longer competes with the JVMs for the same cores, as on the seeds' separate web and WAS hosts.
//
// A command is started under `taskset -c` (taskset execs it, so the PID is the command's, and what it forks or
// spawns inherits the set); a backend already running is moved with every thread it has (`taskset -a -p`), and
// threads it starts later inherit the set of the thread that starts them.

import { execFileSync } from 'node:child_process';
import { processTree, statusField } from './procstat.js';

export type Part = 'backend' | 'front' | 'load';
export type Placement = Partial<Record<Part, string>>;

let placement: Placement = {};

/** Set once by the runner, before anything is started. */
export function setPlacement(p: Placement): void {
  placement = p;
}

/**
 * A taskset CPU list ("0", "2-3", "0,2,4-5"), checked against the CPUs this machine has, so a typo fails before
 * Tomcat starts rather than as taskset's error in the middle of a run.
 */
export function parseCpuList(text: string, cpuCount: number, flag: string): string {
  const cpus = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (m === null) throw new Error(`${flag} ${text}: "${item}" is not a CPU number or range (e.g. 0, 2-3, 0,2-3)`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new Error(`${flag} ${text}: the range ${item} runs backwards`);
    if (last >= cpuCount) throw new Error(`${flag} ${text}: this machine has CPUs 0-${cpuCount - 1}`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b).join(',');
}

/** The command line that starts `command` on the CPUs of `part` (unchanged when the part is not placed). */
export function placedCommand(part: Part, command: string, args: readonly string[]): [string, string[]] {
  const cpus = placement[part];
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}

/** Moves running processes (and their descendants, every thread of each) onto the CPUs of `part`. */
export function placeRunning(part: Part, pids: readonly number[]): void {
  const cpus = placement[part];
  if (cpus === undefined) return;
  for (const pid of processTree(pids)) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** The CPUs a process may run on, as the kernel has them: what the report shows, checked rather than assumed. */
export function allowedCpus(pid: number): string {
  // 'gone': the run itself reports a front that died; this is only a note in its raw log.
  return statusField(pid, 'Cpus_allowed_list') ?? 'gone';
}

/** How the report describes the placement. */
export function describePlacement(): string {
  const parts = (['backend', 'front', 'load'] as const).filter((p) => placement[p] !== undefined);
  return parts.length === 0 ? 'all parts share every CPU' : parts.map((p) => `${p} ${placement[p]}`).join('; ');
}
