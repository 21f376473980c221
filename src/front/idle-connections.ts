// Keep-alive expiry without a timer per request. Node's own keepAliveTimeout re-arms a socket timeout after
// every response, which measured as the largest single cost a Node front can remove (reference/performance.md);
// here each connection carries two numbers and one sweep a second closes those idle past the limit.
//
// Connections are held in an array, not a Set: a long-lived Set that young objects pass through keeps them
// alive until the next full GC (V8 leaves the old entries in the hash table it rehashes away from, and the
// scavenger treats every slot of an old object as a root), so each connection's whole object graph was copied
// and promoted. The same held for a Set of in-flight responses; see currentResponse below.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const kBusy = Symbol('ajplb.busy');
const kIdleSince = Symbol('ajplb.idleSince');
/** bytesRead at the previous sweep: a connection that received bytes since is not idle, whatever it awaits. */
const kReadAtSweep = Symbol('ajplb.readAtSweep');
/** Where the connection sits in `sockets`, -1 once it has left. */
const kSlot = Symbol('ajplb.slot');
/** The response to the newest request on the connection, until that response closes. */
const kCurrent = Symbol('ajplb.current');

interface Tracked extends Socket {
  [kBusy]: number;
  [kIdleSince]: number;
  [kReadAtSweep]: number;
  [kSlot]: number;
  [kCurrent]: ServerResponse | null;
}

export class IdleConnections {
  private readonly sockets: Tracked[] = [];
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
    s[kCurrent] = null;
    s[kSlot] = this.sockets.push(s) - 1;
    socket.once('close', () => this.remove(s));
  };

  /** Returns how many requests were already being served on this connection (> 0: pipelined). */
  requestStarted(socket: Socket, res: ServerResponse): number {
    const s = socket as Tracked;
    s[kCurrent] = res;
    return s[kBusy]++;
  }

  requestEnded(socket: Socket | null, res: ServerResponse): void {
    if (socket === null) return;
    const s = socket as Tracked;
    s[kBusy]--;
    s[kIdleSince] = this.now;
    if (s[kCurrent] === res) s[kCurrent] = null;
  }

  /** The response to the newest request on this connection while it is being served, else null. */
  currentResponse(socket: Socket): ServerResponse | null {
    return (socket as Partial<Tracked>)[kCurrent] ?? null;
  }

  get size(): number {
    return this.sockets.length;
  }

  /** The response to the newest request of every connection that is serving one. */
  currentResponses(): ServerResponse[] {
    const out: ServerResponse[] = [];
    for (const s of this.sockets) if (s[kCurrent] !== null) out.push(s[kCurrent]);
    return out;
  }

  private readonly sweep = (): void => {
    const now = (this.now = Date.now());
    const limit = now - this.idleLimitMs;
    const sockets = this.sockets;
    // Backwards: a connection that leaves during the sweep swaps in one already visited.
    for (let i = sockets.length - 1; i >= 0; i--) {
      const s = sockets[i] as Tracked;
      // A connection with a request half-read is covered by Node's headersTimeout instead.
      if (s[kBusy] <= 0 && s[kIdleSince] < limit && s.bytesRead === s[kReadAtSweep]) s.destroySoon();
      s[kReadAtSweep] = s.bytesRead;
    }
  };

  /** Swap-remove: the last connection takes the leaver's slot, and the array's tail slot is cleared. */
  private remove(s: Tracked): void {
    const slot = s[kSlot];
    if (slot < 0) return;
    const sockets = this.sockets;
    const last = sockets.pop() as Tracked;
    if (last !== s) {
      sockets[slot] = last;
      last[kSlot] = slot;
    }
    s[kSlot] = -1;
    s[kCurrent] = null;
  }
}
