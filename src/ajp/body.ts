// The request body as AJP wants it: pulled a packet at a time when Tomcat asks (GET_BODY_CHUNK), never
// buffered whole. Only the first packet is remembered, because that is all mod_jk can replay on another
// backend; once Tomcat has asked for more, the body is spent and the request can no longer move.

import type { Readable } from 'node:stream';

export interface BodySource {
  /**
   * Up to `max` bytes now, or null when none are ready yet (then `onReadable` fires once, later).
   * A zero-length Buffer means the body is complete.
   */
  read(max: number): Buffer | null;
  /** Register the one waiter to call when `read` may return non-null. */
  waitReadable(callback: () => void): void;
  /** Forget the waiter: the exchange it belonged to is over. */
  cancelWait(): void;
  /** Start again from the first byte for a retry; false when that is no longer possible. */
  rewind(): boolean;
  /** The stream failed (client went away): no more bytes will come. */
  readonly failed: Error | undefined;
}

const END = Buffer.alloc(0);

/**
 * Reads a Node Readable (an IncomingMessage) in paused mode. Memory held: at most the stream's own buffer
 * plus one chunk and less than one packet, whatever the body size.
 */
export class StreamBodySource implements BodySource {
  private readonly stream: Readable;
  private pending: Buffer | null = null;
  /** The next packet, being filled from the client's chunks (its first `carryLength` bytes are set). */
  private carry: Buffer | null = null;
  private carryLength = 0;
  private ended = false;
  private waiter: (() => void) | null = null;
  private first: Buffer | null = null;
  private replaying = false;
  private packets = 0;
  /** Bytes taken from the stream (a replayed first packet is not counted twice). */
  bytesRead = 0;
  failed: Error | undefined;

  /** Set when the body grew past `maxBytes`: the request must be answered 413. */
  tooLarge = false;

  constructor(stream: Readable, private readonly maxBytes = 0) {
    this.stream = stream;
    stream.pause();
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('aborted', this.onAborted);
  }

  read(max: number): Buffer | null {
    if (this.replaying) {
      this.replaying = false;
      this.packets = 1;
      return this.first as Buffer;
    }
    const out = this.take(max);
    if (out === null) {
      if (this.failed === undefined) this.stream.resume();
      return null;
    }
    if (this.packets++ === 0) this.first = out;
    this.bytesRead += out.length;
    return out;
  }

  /**
   * A full packet of `max` bytes, or what is left at the end. Like mod_jk (ajp_read_fully_from_server), a short
   * remainder of a client chunk waits for the next chunk instead of going out as a runt: 16 KiB reads cut into
   * 8 KiB packets made a third of an upload's packets tiny, and each costs Tomcat a GET_BODY_CHUNK round trip
   * (it spent 1.5x mod_jk's CPU per 1 MiB upload). A packet assembled from several chunks is copied once into
   * a buffer of its own; a chunk that holds whole packets goes out as slices of itself.
   */
  private take(max: number): Buffer | null {
    for (;;) {
      const pending = this.pending;
      const carry = this.carry;
      if (carry !== null) {
        const limit = Math.min(max, carry.length);
        if (this.carryLength < limit && pending !== null) {
          const n = Math.min(limit - this.carryLength, pending.length);
          pending.copy(carry, this.carryLength, 0, n);
          this.carryLength += n;
          this.consumed(n === pending.length ? null : pending.subarray(n));
        }
        // Not full means the chunk is used up: wait for the next one, unless the body has ended.
        return this.carryLength >= limit || this.ended ? this.takeCarry(limit) : null;
      }
      if (pending === null) return this.ended ? END : null;
      if (pending.length > max) {
        this.pending = pending.subarray(max);
        return pending.subarray(0, max);
      }
      this.consumed(null);
      if (pending.length === max) return pending;
      this.carry = Buffer.allocUnsafe(max);
      this.carryLength = pending.copy(this.carry);
    }
  }

  /** Up to `limit` bytes of the packet being filled; a remainder (Tomcat asked for less than before) stays. */
  private takeCarry(limit: number): Buffer {
    const carry = this.carry as Buffer;
    if (this.carryLength <= limit) {
      const out = carry.subarray(0, this.carryLength);
      this.carry = null;
      this.carryLength = 0;
      return out;
    }
    const rest = Buffer.allocUnsafe(carry.length);
    this.carryLength = carry.copy(rest, 0, limit, this.carryLength);
    this.carry = rest;
    return carry.subarray(0, limit);
  }

  /** What is left of the current client chunk; once it is all taken, the stream may flow again. */
  private consumed(rest: Buffer | null): void {
    this.pending = rest;
    if (rest === null && !this.ended && this.failed === undefined) this.stream.resume();
  }

  waitReadable(callback: () => void): void {
    this.waiter = callback;
    if (this.pending !== null || this.ended || this.failed !== undefined) this.wake();
  }

  cancelWait(): void {
    this.waiter = null;
  }

  rewind(): boolean {
    if (this.packets > 1) return false;
    if (this.packets === 1) this.replaying = true;
    return true;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter();
    }
  }

  private received = 0;

  private readonly onData = (chunk: Buffer): void => {
    // Hold one chunk at most; the stream stays paused until Tomcat has taken it.
    this.stream.pause();
    this.received += chunk.length;
    if (this.maxBytes > 0 && this.received > this.maxBytes) {
      this.tooLarge = true;
      this.failed = new Error(`request body over the ${this.maxBytes}-byte limit`);
      this.wake();
      return;
    }
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.wake();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  private readonly onError = (err: Error): void => {
    this.failed = err;
    this.wake();
  };

  private readonly onAborted = (): void => {
    this.failed ??= new Error('client aborted the request body');
    this.wake();
  };
}

/** A body already in memory (tests, small replayable bodies). */
export class BufferBodySource implements BodySource {
  private offset = 0;
  readonly failed = undefined;
  constructor(private readonly data: Buffer) {}
  read(max: number): Buffer | null {
    const chunk = this.data.subarray(this.offset, this.offset + max);
    this.offset += chunk.length;
    return chunk;
  }
  waitReadable(callback: () => void): void {
    callback();
  }
  cancelWait(): void {}
  rewind(): boolean {
    this.offset = 0;
    return true;
  }
}
