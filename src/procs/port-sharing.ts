// How --procs workers share a listening port.
//
// - 'reuseport' (Node >= 22.12 / >= 23.1, Linux): every worker binds its own socket with SO_REUSEPORT and the
//   kernel spreads new connections over them by hash; no process hands connections to another.
// - 'shared' (the Node 20 fallback): the primary opens the socket once, every worker accepts from it
//   (cluster.SCHED_NONE). Measured on 2 vCPUs against cluster's round robin, where the primary accepts each
//   connection and passes it to a worker over IPC: new-connection-per-request traffic went from 3.7-3.8k to
//   5.6-7.3k req/s, keep-alive traffic stayed the same (15.5k vs 15.0k) and the workers' CPU time stayed even
//   at 16, 64 and 256 connections.
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

export function portSharing(ports: readonly number[], version = process.version, platform = process.platform): PortSharing {
  const kernelSpreads = platform === 'linux' || platform === 'freebsd';
  return kernelSpreads && nodeHasReusePort(version) && ports.every((p) => p !== 0) ? 'reuseport' : 'shared';
}

/** Set in the primary before the first fork. */
export function useSharedAccept(): void {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
}
