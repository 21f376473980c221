// How many listening sockets one front address gets. libuv accepts one connection per listening socket per
// event-loop turn, so on a busy loop new connections wait in the kernel's accept queue one turn each: 200
// connects against a loop busy 10 ms a turn took 2 s to be accepted through one socket, 0.6 s through four,
// 0.3 s through eight (Node 20 and 22 alike). Where Node can bind SO_REUSEPORT (>= 22.12, Linux), the front
// binds several sockets to the same address in this process, and each turn accepts from every one of them.

import * as net from 'node:net';
import { reusePortAvailable } from '../procs/port-sharing.js';

/** Listening sockets per address where SO_REUSEPORT is available. */
export const ACCEPTORS = 4;

/** Sockets to bind for one address: ACCEPTORS where the kernel lets them share it, else 1. */
export function acceptorsFor(): number {
  return reusePortAvailable() ? ACCEPTORS : 1;
}

/**
 * SO_REUSEPORT lets any process of the same user bind the port too, and it would silently share our
 * connections: a second ajplb started by mistake would not fail with EADDRINUSE. So, unless the port is shared
 * on purpose (--procs threads), first bind it plainly for a moment, which fails as before if it is taken.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
