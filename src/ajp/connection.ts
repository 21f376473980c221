// One AJP13 connection: one socket, one exchange at a time. It turns the decoder's packets into calls on the
// exchange's sink, answers GET_BODY_CHUNK from the body source, and reports every failure as one AjpError
// with enough progress information (sent? anything received?) for the caller to decide on a retry.

import * as net from 'node:net';
import type { BodySource } from './body.js';
import { BodyPump, type BodyPumpOwner } from './body-pump.js';
import { CPING_PACKET } from './constants.js';
import { ResponseDecoder, type ResponseHandler } from './decode.js';
import { encodeForwardRequest, type ForwardRequest } from './encode.js';
import { AjpError, type AjpErrorCode } from './errors.js';
import { ReadTarget } from './read-buffer.js';

/** What the caller gets back from an exchange. Implemented by the front server's per-request object. */
export interface ExchangeSink {
  onHeaders(status: number, reason: string, headers: string[]): void;
  /** Return false to apply backpressure; call `resumeResponse()` when ready for more. */
  onBody(data: Buffer): boolean;
  onFlush(): void;
  onComplete(): void;
  /** The exchange failed; the connection is already destroyed. */
  onError(err: AjpError, progress: ExchangeProgress): void;
  /** The callbacks caused by one socket read are over (called after onComplete/onError too). */
  onBatchEnd?(): void;
  /**
   * Asked after onBatchEnd: true when no body chunk of that batch is referenced any more (all of it already
   * copied into the kernel), so the connection may read the next bytes into the same buffer. Absent = false.
   */
  chunksReleased?(): boolean;
}

/** How far an exchange got before it failed: the input of every retry decision. */
export interface ExchangeProgress {
  /** The forward request was handed to the socket. */
  sent: boolean;
  /** Any response packet arrived (so Tomcat certainly processed the request). */
  responded: boolean;
  /** Headers reached the sink. */
  headersDelivered: boolean;
  /** Tomcat asked for body beyond the first packet, so the body cannot be replayed. */
  bodyConsumed: boolean;
  /** The connection had served an earlier exchange (a stale pooled socket is the usual suspect). */
  reused: boolean;
}

export interface ConnectionOptions {
  maxPacketSize: number;
  replyTimeoutMs: number;
  socketTimeoutMs: number;
  /** Send request body one packet ahead of GET_BODY_CHUNK (see body-pump.ts); default off. */
  bodyAhead?: boolean;
}

/** Told about the end of each exchange, so a pool can take the connection back or forget it. */
export interface ConnectionOwner {
  onReusable(conn: AjpConnection): void;
  onClosed(conn: AjpConnection): void;
}

const enum State { Idle, Exchange, Ping, Closed }

// A 403 with END_RESPONSE reuse=0 is how Tomcat rejects a bad or missing secret; we hold 403s back until the
// end (they are small error pages) so that case can be reported as such rather than passed on.
const HELD_403_LIMIT = 16 * 1024;

export class AjpConnection implements ResponseHandler, BodyPumpOwner {
  readonly socket: net.Socket;
  readonly options: ConnectionOptions;
  private readonly decoder: ResponseDecoder;
  private sendBuffer: Buffer;
  private owner: ConnectionOwner | null = null;
  private state = State.Idle;
  private sink: ExchangeSink | null = null;
  private readonly progress: ExchangeProgress = {
    sent: false, responded: false, headersDelivered: false, bodyConsumed: false, reused: false,
  };
  private readonly pump: BodyPump;
  private ended = false;
  private reuse = false;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private timerCode: AjpErrorCode = 'AJP_REPLY_TIMEOUT';
  private pingCallback: ((err: AjpError | undefined) => void) | null = null;
  private held403: { reason: string; headers: string[]; body: Buffer[]; size: number } | null = null;
  private secretSent = false;
  /** The buffer the socket reads into, reused while the sink lets go of each read's bytes. */
  private readonly reads: ReadTarget;
  /** A body chunk of the current read went to the sink. */
  private lent = false;
  /** Exchanges completed on this socket. */
  uses = 0;
  /** Date.now() when the connection last went idle. */
  idleSince = Date.now();

  /** `reads`: the onread hooks the socket was made with (connectAjp). */
  constructor(socket: net.Socket, options: ConnectionOptions, reads: ReadTarget) {
    this.socket = socket;
    this.options = options;
    this.decoder = new ResponseDecoder(options.maxPacketSize, this);
    this.sendBuffer = Buffer.allocUnsafe(options.maxPacketSize);
    this.pump = new BodyPump(socket, this, options.bodyAhead === true, options.maxPacketSize);
    this.reads = reads;
    socket.setNoDelay(true);
    reads.conn = this;
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketError);
  }

  setOwner(owner: ConnectionOwner): void {
    this.owner = owner;
  }

  get idle(): boolean {
    return this.state === State.Idle;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** Sends a forward request; the outcome arrives on `sink`. */
  exchange(request: ForwardRequest, body: BodySource | null, sink: ExchangeSink): void {
    if (this.state !== State.Idle) throw new Error('AjpConnection.exchange on a busy connection');
    this.state = State.Exchange;
    this.sink = sink;
    const p = this.progress;
    p.sent = false;
    p.responded = false;
    p.headersDelivered = false;
    p.bodyConsumed = false;
    p.reused = this.uses > 0;
    this.ended = false;
    this.reuse = false;
    this.held403 = null;
    this.secretSent = request.secret !== undefined && request.secret !== '';
    this.decoder.reset();

    let length: number;
    try {
      if (this.socket.writableLength > 0) this.sendBuffer = Buffer.allocUnsafe(this.options.maxPacketSize);
      length = encodeForwardRequest(request, this.sendBuffer);
    } catch (err) {
      // Nothing was written: the connection stays good, only this request is refused.
      this.state = State.Idle;
      this.sink = null;
      sink.onError(err as AjpError, p);
      this.owner?.onReusable(this);
      return;
    }
    this.socket.cork();
    this.socket.write(this.sendBuffer.subarray(0, length));
    this.pump.start(body, request.bodyMode === 'length' && !zeroContentLength(request.headers));
    this.socket.uncork();
    p.sent = true;
    this.armTimer();
  }

  /** The sink drained: let response bytes flow again. */
  resumeResponse(): void {
    if (!this.paused || this.state !== State.Exchange) return;
    this.paused = false;
    this.socket.resume();
    this.armTimer();
  }

  /** The client went away mid-exchange: Tomcat is still talking, so the socket cannot be reused. */
  abort(reason = 'client aborted'): void {
    if (this.state === State.Closed) return;
    this.sink = null;
    this.destroy(new AjpError('AJP_CLIENT', reason));
  }

  /** CPing/CPong on an idle connection. */
  ping(timeoutMs: number, callback: (err: AjpError | undefined) => void): void {
    if (this.state !== State.Idle) {
      callback(new AjpError('AJP_PING', 'CPing on a busy connection'));
      return;
    }
    this.state = State.Ping;
    this.pingCallback = callback;
    this.decoder.reset();
    this.socket.write(CPING_PACKET);
    this.timerCode = 'AJP_PING';
    this.startTimer(timeoutMs);
  }

  pingAsync(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => this.ping(timeoutMs, (err) => (err ? reject(err) : resolve())));
  }

  destroy(err?: AjpError): void {
    if (this.state === State.Closed) return;
    const previous = this.state;
    this.state = State.Closed;
    this.clearTimer();
    this.socket.destroy();
    if (previous === State.Exchange) this.failExchange(err ?? new AjpError('AJP_CLOSED', 'connection closed'));
    else if (previous === State.Ping) this.finishPing(err ?? new AjpError('AJP_PING', 'connection closed during CPing'));
    this.owner?.onClosed(this);
  }

  // ResponseHandler: called by the decoder.

  onHeaders(status: number, reason: string, headers: string[]): void {
    this.progress.responded = true;
    if (status === 403) {
      this.held403 = { reason, headers, body: [], size: 0 };
      return;
    }
    this.progress.headersDelivered = true;
    this.sink?.onHeaders(status, reason, headers);
  }

  onBody(data: Buffer): void {
    const held = this.held403;
    if (held !== null) {
      // Copied: the read buffer is reused once this read is handled.
      held.body.push(Buffer.from(data));
      held.size += data.length;
      if (held.size > HELD_403_LIMIT) this.releaseHeld403();
      return;
    }
    this.lent = true;
    if (this.sink?.onBody(data) === false && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.clearTimer();
    }
  }

  onFlush(): void {
    if (this.held403 === null) this.sink?.onFlush();
  }

  onEnd(reuse: boolean): void {
    this.ended = true;
    this.reuse = reuse;
  }

  onGetBodyChunk(requested: number): void {
    this.progress.responded = true;
    if (this.pump.onAsked(requested)) this.progress.bodyConsumed = true;
  }

  onBodyFailed(err: Error): void {
    this.destroy(new AjpError('AJP_CLIENT', `request body failed: ${err.message}`));
  }

  onCPong(): void {
    if (this.state === State.Ping) {
      this.clearTimer();
      this.state = State.Idle;
      this.finishPing(undefined);
    }
    // A stray CPong during an exchange is tolerated, as mod_jk does.
  }

  /** One read into the reused buffer (ReadTarget calls this). */
  onChunk(chunk: Buffer): void {
    const sink = this.handleRead(chunk);
    if (this.lent) {
      this.lent = false;
      // Unless the sink vouches that nothing of this read is still queued, the bytes stay where they are and
      // the next read goes into a new buffer.
      if (sink?.chunksReleased?.() !== true) this.reads.retire();
    }
  }

  /** Returns the sink the read went to (the exchange may end, and drop its sink, within the read). */
  private handleRead(chunk: Buffer): ExchangeSink | null {
    if (this.state === State.Exchange || this.state === State.Ping) {
      if (this.timer !== null) this.timer.refresh();
      // Everything one socket read produces (often headers, body and END together) reaches the sink as one
      // batch, so it can hand the client one write instead of three.
      const sink = this.sink;
      let err: AjpError | undefined;
      try {
        err = this.decoder.execute(chunk);
      } catch (thrown) {
        // A sink that throws must not take the process down; it ends this exchange only.
        err = new AjpError('AJP_CLIENT', `response handling failed: ${(thrown as Error).message}`, { cause: thrown });
      }
      if (err !== undefined) this.destroy(err);
      else if (this.ended && this.state === State.Exchange) this.completeExchange();
      sink?.onBatchEnd?.();
      return sink;
    }
    if (this.state === State.Idle) {
      // Tomcat never speaks unasked: bytes on an idle socket mean it is out of step.
      this.destroy();
    }
    return null;
  }

  private completeExchange(): void {
    this.clearTimer();
    if (this.paused) {
      // END_RESPONSE came in the same read as the chunk that pushed back: the socket must not go back to
      // the pool paused, or the next exchange on it would never hear its answer.
      this.paused = false;
      this.socket.resume();
    }
    const sink = this.sink;
    const held = this.held403;
    this.sink = null;
    this.held403 = null;
    this.uses++;
    // A packet sent ahead and never read would be taken for the next request's first bytes.
    const unread = this.pump.unread;
    this.pump.finish();
    if (held !== null && !this.reuse) {
      const why = this.secretSent ? 'the secret sent does not match the connector\'s' : 'no secret was sent and the connector requires one';
      this.state = State.Closed;
      this.socket.destroy();
      sink?.onError(new AjpError('AJP_SECRET', `Tomcat refused the request (403 and close): ${why}; check worker secret`), this.progress);
      this.owner?.onClosed(this);
      return;
    }
    if (held !== null && sink !== null) this.deliverHeld(sink, held);
    if (this.reuse && !unread) {
      this.state = State.Idle;
      this.idleSince = Date.now();
      sink?.onComplete();
      this.owner?.onReusable(this);
    } else {
      this.state = State.Closed;
      this.socket.destroy();
      sink?.onComplete();
      this.owner?.onClosed(this);
    }
  }

  private releaseHeld403(): void {
    const held = this.held403;
    this.held403 = null;
    if (held !== null && this.sink !== null) this.deliverHeld(this.sink, held);
  }

  private deliverHeld(sink: ExchangeSink, held: { reason: string; headers: string[]; body: Buffer[] }): void {
    this.progress.headersDelivered = true;
    sink.onHeaders(403, held.reason, held.headers);
    for (const chunk of held.body) sink.onBody(chunk);
  }

  private failExchange(err: AjpError): void {
    const sink = this.sink;
    this.sink = null;
    this.pump.finish();
    sink?.onError(err, this.progress);
  }

  private finishPing(err: AjpError | undefined): void {
    const cb = this.pingCallback;
    this.pingCallback = null;
    if (err === undefined) this.idleSince = Date.now();
    cb?.(err);
  }

  private armTimer(): void {
    const { replyTimeoutMs, socketTimeoutMs } = this.options;
    if (replyTimeoutMs > 0) {
      this.timerCode = 'AJP_REPLY_TIMEOUT';
      this.startTimer(replyTimeoutMs);
    } else if (socketTimeoutMs > 0) {
      this.timerCode = 'AJP_SOCKET_TIMEOUT';
      this.startTimer(socketTimeoutMs);
    }
  }

  private startTimer(ms: number): void {
    if (this.timer === null) {
      this.timer = setTimeout(this.onTimeout, ms);
    } else {
      clearTimeout(this.timer);
      this.timer = setTimeout(this.onTimeout, ms);
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly onTimeout = (): void => {
    this.timer = null;
    const what = this.state === State.Ping ? 'no CPong' : 'no reply from backend';
    this.destroy(new AjpError(this.timerCode, `${what} within the timeout`));
  };

  private readonly onSocketClose = (): void => {
    if (this.state === State.Closed) return;
    const code = this.state === State.Ping ? 'AJP_PING' : 'AJP_CLOSED';
    this.destroy(new AjpError(code, 'backend closed the connection'));
  };

  private readonly onSocketError = (err: Error): void => {
    if (this.state === State.Closed) return;
    const code = this.state === State.Ping ? 'AJP_PING' : this.progress.responded ? 'AJP_CLOSED' : 'AJP_SEND';
    this.destroy(new AjpError(code, `backend socket error: ${err.message}`, { cause: err }));
  };
}

/**
 * Tomcat reads the unasked first body packet only when Content-Length > 0. With "Content-Length: 0" it would
 * take that packet for the start of the next request on the socket, answer it with a 500 and leave the
 * connection out of step, so such a request gets no body packet even when the caller says bodyMode 'length'.
 */
function zeroContentLength(headers: readonly string[]): boolean {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return /^\s*0+\s*$/.test(headers[i + 1] as string);
  }
  return false;
}

/** Opens a TCP connection with a connect timeout; resolves to a ready AjpConnection. */
export function connectAjp(
  host: string,
  port: number,
  opts: ConnectionOptions & { connectTimeoutMs: number; keepAlive: boolean; localAddress?: string | undefined },
): Promise<AjpConnection> {
  return new Promise((resolve, reject) => {
    const reads = new ReadTarget();
    const socket = net.connect({
      host, port, noDelay: true, keepAlive: opts.keepAlive, localAddress: opts.localAddress || undefined,
      onread: { buffer: reads.nextBuffer, callback: reads.onRead },
    });
    let timer: NodeJS.Timeout | null = null;
    const fail = (err: Error): void => {
      if (timer !== null) clearTimeout(timer);
      socket.destroy();
      reject(new AjpError('AJP_CONNECT', `connect to ${host}:${port} failed: ${err.message}`, { cause: err }));
    };
    if (opts.connectTimeoutMs > 0) {
      timer = setTimeout(() => fail(new Error(`timed out after ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    }
    socket.once('error', fail);
    socket.once('connect', () => {
      if (timer !== null) clearTimeout(timer);
      socket.off('error', fail);
      if (connectedToItself(socket)) {
        // An RST, not a FIN: a closed socket would sit in TIME_WAIT on Tomcat's port for a minute, and Tomcat,
        // restarting, could not bind it.
        socket.resetAndDestroy();
        reject(new AjpError('AJP_CONNECT', `connect to ${host}:${port} failed: nothing listens there (the kernel connected the socket to itself)`));
        return;
      }
      resolve(new AjpConnection(socket, opts, reads));
    });
  });
}

/**
 * TCP's simultaneous open: connecting to a local port nobody listens on, the kernel may pick that very port as
 * the source and connect the socket to itself (on Linux, within ~100 attempts for an even port in the
 * ephemeral range, where tests' Tomcats live). We would read our own CPing back, and hold Tomcat's port.
 */
export function connectedToItself(socket: net.Socket): boolean {
  return socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
}
