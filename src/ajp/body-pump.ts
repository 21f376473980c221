// The request body's way to Tomcat: the first packet with the forward request (when the length is known),
// then one packet per GET_BODY_CHUNK. Optionally one packet ahead: Tomcat writes GET_BODY_CHUNK and reads at
// once, and a packet that is not there yet costs it a trip through its poller and a thread wake-up; a single
// event loop answering many sockets is rarely that fast. Every GET_BODY_CHUNK stands for exactly one packet
// read (Tomcat writes the next one only after it has read a packet), so we always know how many of ours it
// has not read: when the response ends with one of them unread, the connection must not carry another request.

import type { Socket } from 'node:net';
import type { BodySource } from './body.js';
import { BODY_PACKET_OVERHEAD, EMPTY_BODY_PACKET } from './constants.js';
import { writeBodyPacketHeader } from './encode.js';

export interface BodyPumpOwner {
  /** The client's body failed (went away, or past the size limit) while Tomcat waits for it. */
  onBodyFailed(err: Error): void;
}

export class BodyPump {
  private body: BodySource | null = null;
  /** Packets written, the empty end packet included. */
  private sent = 0;
  /** Packets Tomcat has read or asked for: the unasked first one, plus one per GET_BODY_CHUNK. */
  private expected = 0;
  private asked = 0;
  private ended = false;
  private waiting = false;
  private max = 0;
  /** Largest body a packet of this connection carries. */
  private readonly packetMax: number;

  constructor(
    private readonly socket: Socket,
    private readonly owner: BodyPumpOwner,
    /** Send one packet ahead once the body is spent anyway (Tomcat has taken two packets or asked twice). */
    private readonly ahead: boolean,
    maxPacketSize: number,
  ) {
    this.packetMax = maxPacketSize - BODY_PACKET_OVERHEAD;
  }

  /** A new exchange; `sendFirst`: the length is known and not zero, so the first packet goes unasked. */
  start(body: BodySource | null, sendFirst: boolean): void {
    this.body = body;
    this.sent = 0;
    this.asked = 0;
    this.ended = false;
    this.waiting = false;
    this.max = this.packetMax;
    this.expected = sendFirst && body !== null ? 1 : 0;
    if (this.expected > 0) this.pump();
  }

  /**
   * GET_BODY_CHUNK: Tomcat reads one more packet of at most `requested` bytes. True when that is beyond the
   * first packet, so the body can no longer be replayed on another backend.
   */
  onAsked(requested: number): boolean {
    const beyondFirst = this.asked > 0 || this.sent > 0;
    this.asked++;
    this.expected++;
    this.max = Math.min(requested, this.packetMax);
    if (this.body === null) {
      // Nothing to send (no body, or the exchange is over): the empty packet ends Tomcat's read.
      this.sent++;
      this.socket.write(EMPTY_BODY_PACKET);
      return beyondFirst;
    }
    if (!this.waiting) this.pump();
    return beyondFirst;
  }

  /** Packets of ours Tomcat has not read: sent ahead and never asked for. */
  get unread(): boolean {
    return this.sent > this.expected;
  }

  /** The exchange is over: drop the body and any wait on it. */
  finish(): void {
    if (this.waiting) this.body?.cancelWait();
    this.waiting = false;
    this.body = null;
  }

  private readonly onReadable = (): void => {
    this.waiting = false;
    if (this.body !== null) this.pump();
  };

  private pump(): void {
    const body = this.body as BodySource;
    for (;;) {
      const target = this.ahead && this.expected >= 2 ? this.expected + 1 : this.expected;
      if (this.sent >= target) return;
      if (this.ended) {
        // The end goes only where it was asked for: Tomcat, which knows the length, may never ask again.
        if (this.sent >= this.expected) return;
        this.sent++;
        this.socket.write(EMPTY_BODY_PACKET);
        continue;
      }
      if (body.failed !== undefined) {
        this.owner.onBodyFailed(body.failed);
        return;
      }
      const data = body.read(this.max);
      if (data === null) {
        this.waiting = true;
        // Set before waiting: a source with data ready calls back at once.
        body.waitReadable(this.onReadable);
        return;
      }
      if (data.length === 0) {
        this.ended = true;
        continue;
      }
      this.sent++;
      const header = Buffer.allocUnsafe(BODY_PACKET_OVERHEAD);
      writeBodyPacketHeader(header, 0, data.length);
      this.socket.cork();
      this.socket.write(header);
      this.socket.write(data);
      this.socket.uncork();
    }
  }
}
