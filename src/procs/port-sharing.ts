// How --procs workers share a listening port.
//
// - 'reuseport' (Node >= 22.12 / >= 23.1, Linux): every worker binds its own socket with SO_REUSEPORT and the
//   kernel spreads new connections over them by hash; no process hands connections to another.
// - 'shared' (the Node 20 fallback): the primary opens the socket and hands each new connection to a worker in
//   turn over IPC (cluster.SCHED_RR). Letting the workers accept from the shared socket themselves
//   (SCHED_NONE) was measured: 1.5-1.9x the throughput for a new connection per request, but on a quiet
//   machine one worker often wins every accept, so a handful of long keep-alive connections (an upstream load
//   balancer's) all land on one process and the other cores idle. Even spreading wins; SO_REUSEPORT gives both.
//
// An ephemeral port (0) is always 'shared': with SO_REUSEPORT each worker would get a port of its own.

import cluster from 'node:cluster';

export type PortSharing = 'reuseport' | 'shared';

/** Whether this Node's net.Server.listen() knows the reusePort option (v22.12.0, v23.1.0). */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major > 23;
}

/** Whether this process can bind SO_REUSEPORT sockets that the kernel spreads connections over. */
export function reusePortAvailable(version = process.version, platform = process.platform): boolean {
  return (platform === 'linux' || platform === 'freebsd') && nodeHasReusePort(version);
}

export function portSharing(ports: readonly number[], version = process.version, platform = process.platform): PortSharing {
  return reusePortAvailable(version, platform) && ports.every((p) => p !== 0) ? 'reuseport' : 'shared';
}

export type ProcsMode = 'processes' | 'threads';

/**
 * `--procs-mode`: threads (one lb state in shared memory, nothing relayed) wherever every thread can bind its
 * own listener, since a thread cannot be handed a connection; processes otherwise, or when asked for.
 */
export function procsMode(requested: string, sharing: PortSharing, version = process.version): ProcsMode {
  if (requested === 'processes') return 'processes';
  if (requested === 'auto') return sharing === 'reuseport' ? 'threads' : 'processes';
  if (requested !== 'threads') throw new Error(`--procs-mode: expected auto, threads or processes, got "${requested}"`);
  if (sharing !== 'reuseport') {
    throw new Error(`--procs-mode threads: each thread needs its own SO_REUSEPORT listener, which takes Node >= 22.12 on Linux and fixed ports (this is Node ${version}); use --procs-mode processes`);
  }
  return 'threads';
}

/** Set in the primary before the first fork: round robin on every platform (Windows defaults to the OS). */
export function useRoundRobin(): void {
  cluster.schedulingPolicy = cluster.SCHED_RR;
}
