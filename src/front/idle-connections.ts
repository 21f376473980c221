// Keep-alive expiry without a timer per request. Node's own keepAliveTimeout re-arms a socket timeout after
// every response, which measured as the largest single cost a Node front can remove (reference/performance.md);
// here each connection carries two numbers and one sweep a second closes those idle past the limit.

import type { Socket } from 'node:net';

const kBusy = Symbol('ajplb.busy');
const kIdleSince = Symbol('ajplb.idleSince');
/** bytesRead at the previous sweep: a connection that received bytes since is not idle, whatever it awaits. */
const kReadAtSweep = Symbol('ajplb.readAtSweep');

interface Tracked extends Socket {
  [kBusy]: number;
  [kIdleSince]: number;
  [kReadAtSweep]: number;
}

export class IdleConnections {
  private readonly sockets = new Set<Tracked>();
  private timer: NodeJS.Timeout | null = null;
  /** Refreshed by the sweep: request bookkeeping reads this instead of the clock. */
  private now = Date.now();

  constructor(private readonly idleLimitMs: number) {}

  start(): void {
    if (this.timer !== null || this.idleLimitMs <= 0) return;
    this.timer = setInterval(this.sweep, Math.min(1000, this.idleLimitMs));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  readonly add = (socket: Socket): void => {
    const s = socket as Tracked;
    s[kBusy] = 0;
    s[kIdleSince] = this.now;
    s[kReadAtSweep] = -1;
    this.sockets.add(s);
    socket.once('close', () => this.sockets.delete(s));
  };

  /** Returns how many requests were already being served on this connection (> 0: pipelined). */
  requestStarted(socket: Socket): number {
    return (socket as Tracked)[kBusy]++;
  }

  requestEnded(socket: Socket | null): void {
    if (socket === null) return;
    const s = socket as Tracked;
    s[kBusy]--;
    s[kIdleSince] = this.now;
  }

  get size(): number {
    return this.sockets.size;
  }

  private readonly sweep = (): void => {
    const now = (this.now = Date.now());
    const limit = now - this.idleLimitMs;
    for (const s of this.sockets) {
      // A connection with a request half-read is covered by Node's headersTimeout instead.
      if (s[kBusy] <= 0 && s[kIdleSince] < limit && s.bytesRead === s[kReadAtSweep]) s.destroySoon();
      s[kReadAtSweep] = s.bytesRead;
    }
  };
}
