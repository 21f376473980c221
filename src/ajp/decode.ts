// Incremental decoder of container -> web server packets. Socket reads can split packets anywhere; the decoder
// keeps only what it must: the 4-byte header, and whole small packets (SEND_HEADERS…) in a reused scratch
// buffer. Body data is handed on as subarrays of the socket's own chunks, never copied.

import { STATUS_CODES } from 'node:http';
import { HEADER_LENGTH, MAGIC_FROM_CONTAINER, RESPONSE_HEADER_NAMES, ResponseType } from './constants.js';
import { AjpProtocolError } from './errors.js';

/** What the decoder reports, in wire order. */
export interface ResponseHandler {
  /** `headers` is flat [name, value…]; repeated names (Set-Cookie) stay separate entries. */
  onHeaders(status: number, reason: string, headers: string[]): void;
  onBody(data: Buffer): void;
  /** A zero-length SEND_BODY_CHUNK: Tomcat asks for a flush. */
  onFlush(): void;
  onEnd(reuse: boolean): void;
  onGetBodyChunk(requested: number): void;
  onCPong(): void;
}

const enum Phase {
  Header,       // collecting the 4-byte packet header
  Payload,      // collecting a whole non-body payload into scratch
  ChunkPrefix,  // collecting type + 2-byte length of a SEND_BODY_CHUNK
  ChunkData,    // streaming body bytes
  ChunkTail,    // skipping the rest of a SEND_BODY_CHUNK payload (its NUL)
}

export class ResponseDecoder {
  private readonly maxPayload: number;
  private readonly scratch: Buffer;
  private phase = Phase.Header;
  private have = 0;
  private payloadLength = 0;
  private remaining = 0;
  private headersSeen = false;
  private ended = false;
  private handler: ResponseHandler;

  constructor(maxPacketSize: number, handler: ResponseHandler) {
    this.maxPayload = maxPacketSize - HEADER_LENGTH;
    this.scratch = Buffer.allocUnsafe(maxPacketSize);
    this.handler = handler;
  }

  setHandler(handler: ResponseHandler): void {
    this.handler = handler;
  }

  /** Forget any exchange state; call before each new request on a reused connection. */
  reset(): void {
    this.phase = Phase.Header;
    this.have = 0;
    this.headersSeen = false;
    this.ended = false;
  }

  /** Tomcat sends nothing after END_RESPONSE; bytes there mean the stream is out of step, so never reuse it. */
  private checkTrailing(extra: number): AjpProtocolError | undefined {
    return extra > 0 ? new AjpProtocolError(`${extra} unexpected bytes after END_RESPONSE`) : undefined;
  }

  /** True when no packet is partially read: the connection is at a message boundary. */
  get atBoundary(): boolean {
    return this.phase === Phase.Header && this.have === 0;
  }

  /**
   * Feeds bytes. Returns an error instead of throwing; after an error the connection must be destroyed.
   * Handler callbacks run synchronously; if one of them destroys the exchange the caller should stop feeding.
   */
  execute(chunk: Buffer): AjpProtocolError | undefined {
    let off = 0;
    const end = chunk.length;
    while (off < end) {
      switch (this.phase) {
        case Phase.Header: {
          const take = Math.min(HEADER_LENGTH - this.have, end - off);
          chunk.copy(this.scratch, this.have, off, off + take);
          this.have += take;
          off += take;
          if (this.have < HEADER_LENGTH) return undefined;
          const magic = this.scratch.readUInt16BE(0);
          if (magic !== MAGIC_FROM_CONTAINER) {
            return new AjpProtocolError(`bad magic 0x${magic.toString(16).padStart(4, '0')} from backend`);
          }
          const length = this.scratch.readUInt16BE(2);
          if (length === 0) return new AjpProtocolError('empty packet from backend');
          if (length > this.maxPayload) {
            return new AjpProtocolError(`packet of ${length} bytes exceeds max_packet_size payload ${this.maxPayload}`);
          }
          this.payloadLength = length;
          this.have = 0;
          this.phase = Phase.Payload;
          break;
        }
        case Phase.Payload: {
          if (this.have === 0 && this.payloadLength >= 3 && chunk[off] === ResponseType.SendBodyChunk) {
            this.phase = Phase.ChunkPrefix;
            break;
          }
          const take = Math.min(this.payloadLength - this.have, end - off);
          if (this.have === 0 && take === this.payloadLength) {
            // Whole payload present: decode in place, no copy.
            const err = this.dispatch(chunk, off, this.payloadLength);
            off += take;
            this.phase = Phase.Header;
            if (err !== undefined) return err;
            if (this.ended) return this.checkTrailing(end - off);
            break;
          }
          chunk.copy(this.scratch, this.have, off, off + take);
          this.have += take;
          off += take;
          if (this.have < this.payloadLength) return undefined;
          this.have = 0;
          this.phase = Phase.Header;
          const err = this.dispatch(this.scratch, 0, this.payloadLength);
          if (err !== undefined) return err;
          if (this.ended) return this.checkTrailing(end - off);
          break;
        }
        case Phase.ChunkPrefix: {
          const take = Math.min(3 - this.have, end - off);
          chunk.copy(this.scratch, this.have, off, off + take);
          this.have += take;
          off += take;
          if (this.have < 3) return undefined;
          if (!this.headersSeen) return new AjpProtocolError('SEND_BODY_CHUNK before SEND_HEADERS');
          const dataLength = this.scratch.readUInt16BE(1);
          if (dataLength + 3 > this.payloadLength) {
            return new AjpProtocolError(`body chunk of ${dataLength} bytes overflows its ${this.payloadLength}-byte packet`);
          }
          this.have = 0;
          this.remaining = dataLength;
          if (dataLength === 0) {
            this.handler.onFlush();
            this.remaining = this.payloadLength - 3;
            this.phase = this.remaining > 0 ? Phase.ChunkTail : Phase.Header;
          } else {
            this.phase = Phase.ChunkData;
          }
          break;
        }
        case Phase.ChunkData: {
          const take = Math.min(this.remaining, end - off);
          const data = off === 0 && take === end ? chunk : chunk.subarray(off, off + take);
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            const tail = this.payloadLength - 3 - this.scratch.readUInt16BE(1);
            this.remaining = tail;
            this.phase = tail > 0 ? Phase.ChunkTail : Phase.Header;
          }
          this.handler.onBody(data);
          break;
        }
        case Phase.ChunkTail: {
          const take = Math.min(this.remaining, end - off);
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) this.phase = Phase.Header;
          break;
        }
      }
    }
    return undefined;
  }

  private dispatch(buf: Buffer, start: number, length: number): AjpProtocolError | undefined {
    const type = buf[start];
    switch (type) {
      case ResponseType.SendHeaders:
        if (this.headersSeen) return new AjpProtocolError('second SEND_HEADERS in one response');
        this.headersSeen = true;
        return decodeHeaders(buf, start + 1, start + length, this.handler);
      case ResponseType.EndResponse:
        if (length < 2) return new AjpProtocolError('truncated END_RESPONSE');
        if (!this.headersSeen) return new AjpProtocolError('END_RESPONSE before SEND_HEADERS');
        this.ended = true;
        this.handler.onEnd(buf[start + 1] === 1);
        return undefined;
      case ResponseType.GetBodyChunk:
        if (length < 3) return new AjpProtocolError('truncated GET_BODY_CHUNK');
        this.handler.onGetBodyChunk(buf.readUInt16BE(start + 1));
        return undefined;
      case ResponseType.CPong:
        this.handler.onCPong();
        return undefined;
      default:
        return new AjpProtocolError(`unknown packet type ${String(type)} from backend`);
    }
  }
}

/** Decodes SEND_HEADERS' body (after the type byte) between `pos` and `end`. */
function decodeHeaders(buf: Buffer, pos: number, end: number, handler: ResponseHandler): AjpProtocolError | undefined {
  if (pos + 4 > end) return new AjpProtocolError('truncated SEND_HEADERS');
  const status = buf.readUInt16BE(pos);
  pos += 2;
  pos = readString(buf, pos, end);
  if (pos < 0) return new AjpProtocolError('truncated status message');
  let reason = lastString;
  // Tomcat 9+ sends the digits as the message; clients expect a phrase.
  if (reason === '' || isDigits(reason)) reason = STATUS_CODES[status] ?? 'Unknown';
  if (pos + 2 > end) return new AjpProtocolError('truncated header count');
  const count = buf.readUInt16BE(pos);
  pos += 2;
  const headers: string[] = new Array<string>(count * 2);
  for (let i = 0; i < count; i++) {
    if (pos + 2 > end) return new AjpProtocolError(`header ${i + 1} of ${count} is beyond the packet`);
    const first = buf.readUInt16BE(pos);
    let name: string;
    if ((first & 0xff00) === 0xa000) {
      const known = RESPONSE_HEADER_NAMES[first & 0xff];
      if (known === undefined || known === '') return new AjpProtocolError(`unknown response header code 0x${first.toString(16)}`);
      name = known;
      pos += 2;
    } else {
      if (first === 0xffff || pos + 2 + first + 1 > end) return new AjpProtocolError('truncated header name');
      name = buf.toString('latin1', pos + 2, pos + 2 + first);
      pos += 2 + first + 1;
    }
    pos = readString(buf, pos, end);
    if (pos < 0) return new AjpProtocolError('truncated header value');
    headers[2 * i] = name;
    headers[2 * i + 1] = lastString;
  }
  handler.onHeaders(status, reason, headers);
  return undefined;
}

/** The string `readString` decoded last; module state rather than a tuple, so decoding allocates no pairs. */
let lastString = '';

/** Reads an AJP string (uint16 length, bytes, NUL; 0xFFFF = null, read as '') at `pos`; new position or -1. */
function readString(buf: Buffer, pos: number, end: number): number {
  if (pos + 2 > end) return -1;
  const length = buf.readUInt16BE(pos);
  if (length === 0xffff) {
    lastString = '';
    return pos + 2;
  }
  if (pos + 2 + length + 1 > end) return -1;
  lastString = buf.toString('latin1', pos + 2, pos + 2 + length);
  return pos + 2 + length + 1;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
