// A pool of AJP connections to one Tomcat (one ajp13 worker), with mod_jk's knobs: size, minimum kept on
// pruning, idle timeout, acquire timeout, and the C/P/I CPing probes. The pool owns sockets only; it knows
// nothing of HTTP or of balancing.

import { AjpConnection, connectAjp, type ConnectionOwner } from './connection.js';
import { AjpError } from './errors.js';

export interface PoolOptions {
  host: string;
  port: number;
  localAddress?: string | undefined;
  maxPacketSize: number;
  /** Request body one packet ahead of Tomcat's GET_BODY_CHUNK (ConnectionOptions.bodyAhead). */
  bodyAhead?: boolean | undefined;
  keepAlive: boolean;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  socketTimeoutMs: number;
  /** connection_pool_size: hard cap on open connections. */
  size: number;
  /** connection_pool_minsize: idle connections kept when pruning. */
  minSize: number;
  /** connection_pool_timeout in ms; 0 = idle connections are never closed by us. */
  idleTimeoutMs: number;
  /** connection_acquire_timeout: how long a request waits for a free slot. */
  acquireTimeoutMs: number;
  /** CPing right after connect (ping_mode C), with this timeout; 0 = off. */
  connectPingTimeoutMs: number;
  /** CPing before every request (ping_mode P); 0 = off. */
  prepostPingTimeoutMs: number;
  /** CPing a connection idle longer than this before use (ping_mode I); 0 = off. */
  idlePingIntervalMs: number;
  pingTimeoutMs: number;
}

export interface PoolStats {
  open: number;
  /** Most connections open at once (jkstatus max_connected). */
  maxOpen: number;
  /** Most connections busy at once, as seen when one comes back (jkstatus max_busy; see maxBusy). */
  maxBusySeen: number;
  idle: number;
  waiting: number;
  connects: number;
  connectErrors: number;
  waitsTotal: number;
  acquireTimeouts: number;
  pingFailures: number;
}

interface Waiter {
  resolve: (conn: AjpConnection) => void;
  reject: (err: AjpError) => void;
  timer: NodeJS.Timeout | null;
}

export class AjpPool implements ConnectionOwner {
  readonly options: PoolOptions;
  /** LIFO: the most recently used connection is reused first, so surplus ones age out. */
  private readonly idle: AjpConnection[] = [];
  private readonly all = new Set<AjpConnection>();
  private readonly waiters: Waiter[] = [];
  private connecting = 0;
  private closing = false;
  readonly stats: PoolStats = {
    open: 0, maxOpen: 0, maxBusySeen: 0, idle: 0, waiting: 0, connects: 0, connectErrors: 0, waitsTotal: 0, acquireTimeouts: 0, pingFailures: 0,
  };

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** Connections carrying an exchange (or a probe) right now. */
  get busy(): number {
    return this.all.size - this.idle.length;
  }

  /** Most connections busy at once so far, the current ones included. */
  get maxBusy(): number {
    return Math.max(this.stats.maxBusySeen, this.busy);
  }

  /**
   * The fast path: an idle connection that needs no probe, or null. Synchronous, so a warm request costs
   * no promise.
   */
  tryAcquire(now: number): AjpConnection | null {
    const { idlePingIntervalMs, prepostPingTimeoutMs } = this.options;
    if (prepostPingTimeoutMs > 0) return null;
    const conn = this.idle[this.idle.length - 1];
    if (conn === undefined) return null;
    if (idlePingIntervalMs > 0 && now - conn.idleSince > idlePingIntervalMs) return null;
    this.idle.pop();
    this.stats.idle = this.idle.length;
    return conn;
  }

  /** Any way to a connection: idle (probed when ping_mode asks), new, or the next one released. */
  async acquire(): Promise<AjpConnection> {
    if (this.closing) throw new AjpError('AJP_CONNECT', 'pool is closed');
    for (;;) {
      const conn = this.idle.pop();
      if (conn === undefined) break;
      this.stats.idle = this.idle.length;
      if (await this.probe(conn)) {
        return conn;
      }
    }
    if (this.all.size + this.connecting < this.options.size) {
      return this.open();
    }
    return this.wait();
  }

  /** Opens one connection, CPing'd when ping_mode C asks, and adopts it. */
  private async open(): Promise<AjpConnection> {
    const o = this.options;
    this.connecting++;
    let conn: AjpConnection;
    try {
      conn = await connectAjp(o.host, o.port, {
        maxPacketSize: o.maxPacketSize, replyTimeoutMs: o.replyTimeoutMs, socketTimeoutMs: o.socketTimeoutMs, bodyAhead: o.bodyAhead,
        connectTimeoutMs: o.connectTimeoutMs, keepAlive: o.keepAlive, localAddress: o.localAddress,
      });
    } catch (err) {
      this.stats.connectErrors++;
      throw err;
    } finally {
      this.connecting--;
    }
    this.stats.connects++;
    conn.setOwner(this);
    this.all.add(conn);
    this.stats.open = this.all.size;
    if (this.stats.open > this.stats.maxOpen) this.stats.maxOpen = this.stats.open;
    if (o.connectPingTimeoutMs > 0) {
      try {
        await conn.pingAsync(o.connectPingTimeoutMs);
      } catch (err) {
        this.stats.pingFailures++;
        conn.destroy();
        throw err;
      }
    }
    return conn;
  }

  private async probe(conn: AjpConnection): Promise<boolean> {
    const o = this.options;
    let timeout = o.prepostPingTimeoutMs;
    if (timeout === 0 && o.idlePingIntervalMs > 0 && Date.now() - conn.idleSince > o.idlePingIntervalMs) timeout = o.pingTimeoutMs;
    if (timeout === 0) return !conn.closed;
    try {
      await conn.pingAsync(timeout);
      return true;
    } catch {
      this.stats.pingFailures++;
      conn.destroy();
      return false;
    }
  }

  private wait(): Promise<AjpConnection> {
    this.stats.waitsTotal++;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      const ms = this.options.acquireTimeoutMs;
      if (ms > 0) {
        waiter.timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          this.stats.waiting = this.waiters.length;
          this.stats.acquireTimeouts++;
          reject(new AjpError('AJP_ACQUIRE_TIMEOUT',
            `no free connection to ${this.options.host}:${this.options.port} within ${ms} ms (connection_pool_size=${this.options.size})`));
        }, ms);
      }
      this.waiters.push(waiter);
      this.stats.waiting = this.waiters.length;
    });
  }

  // ConnectionOwner

  onReusable(conn: AjpConnection): void {
    // Every stretch of k busy connections ends with a connection coming back while k are busy.
    const busy = this.busy;
    if (busy > this.stats.maxBusySeen) this.stats.maxBusySeen = busy;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.stats.waiting = this.waiters.length;
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      waiter.resolve(conn);
      return;
    }
    if (this.closing) {
      conn.destroy();
      return;
    }
    this.idle.push(conn);
    this.stats.idle = this.idle.length;
  }

  onClosed(conn: AjpConnection): void {
    if (!this.all.delete(conn)) return;
    this.stats.open = this.all.size;
    const i = this.idle.indexOf(conn);
    if (i >= 0) {
      this.idle.splice(i, 1);
      this.stats.idle = this.idle.length;
    }
    // A slot came free: a waiter may open a new connection in it.
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.stats.waiting = this.waiters.length;
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      this.open().then(waiter.resolve, waiter.reject);
    }
  }

  /**
   * Periodic upkeep (mod_jk's maintain): close connections idle past the timeout, keeping `minSize`; the
   * oldest idle connections are at the bottom of the LIFO stack.
   */
  maintain(now: number): void {
    const { idleTimeoutMs, minSize } = this.options;
    if (idleTimeoutMs <= 0) return;
    while (this.idle.length > 0 && this.all.size > minSize) {
      const oldest = this.idle[0] as AjpConnection;
      if (now - oldest.idleSince < idleTimeoutMs) break;
      oldest.destroy();
    }
  }

  /**
   * Retire the pool (a reload replaced it): idle connections close now, busy ones when their exchange ends.
   * Requests already waiting for a slot are still served, so a reload fails none of them.
   */
  close(): void {
    this.closing = true;
    for (const conn of this.idle.slice()) conn.destroy();
  }

  /** Close everything now, in-flight exchanges and waiting requests included. */
  destroy(): void {
    this.closing = true;
    for (const w of this.waiters.splice(0)) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.reject(new AjpError('AJP_CONNECT', 'pool closed'));
    }
    for (const conn of [...this.all]) conn.destroy();
  }
}
