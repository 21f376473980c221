// The container's side of AJP13: decoding what a web server sends and encoding Tomcat's replies. ajplb itself
// never needs it on the request path; the demo backends, the fake backend of the tests, the benchmark's light
// backend and the round-trip property tests do.

import {
  Attribute, MAGIC_TO_CONTAINER, METHOD_CODES, METHOD_STORED, REQUEST_HEADER_CODES, RequestType, ResponseType,
} from './constants.js';
import type { BodyMode, ForwardRequest } from './encode.js';
import { AjpProtocolError } from './errors.js';

const METHOD_NAMES = new Map<number, string>([...METHOD_CODES].map(([name, code]) => [code, name]));
const HEADER_NAMES = new Map<number, string>([...REQUEST_HEADER_CODES].map(([name, code]) => [code, name]));

/** A decoded FORWARD_REQUEST; header names by code come back lower-case, as Tomcat would treat them. */
export type DecodedForwardRequest = Omit<ForwardRequest, 'bodyMode'> & { bodyMode: BodyMode; headers: string[] };

class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }
  byte(): number {
    if (this.pos + 1 > this.end) throw new AjpProtocolError('truncated packet');
    return this.buf[this.pos++] as number;
  }
  int(): number {
    if (this.pos + 2 > this.end) throw new AjpProtocolError('truncated packet');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  str(): string | undefined {
    const len = this.int();
    if (len === 0xffff) return undefined;
    if (this.pos + len + 1 > this.end) throw new AjpProtocolError('truncated string');
    const s = this.buf.toString('latin1', this.pos, this.pos + len);
    this.pos += len + 1;
    return s;
  }
  strReq(): string {
    return this.str() ?? '';
  }
}

/** Decodes a whole FORWARD_REQUEST packet (header included). Throws AjpProtocolError. */
export function decodeForwardRequest(packet: Buffer): DecodedForwardRequest {
  if (packet.length < 5 || packet.readUInt16BE(0) !== MAGIC_TO_CONTAINER) throw new AjpProtocolError('bad magic');
  const end = 4 + packet.readUInt16BE(2);
  if (end > packet.length) throw new AjpProtocolError('truncated packet');
  const r = new Reader(packet, 4, end);
  if (r.byte() !== RequestType.ForwardRequest) throw new AjpProtocolError('not a FORWARD_REQUEST');
  const methodCode = r.byte();
  const req: DecodedForwardRequest = {
    method: methodCode === METHOD_STORED ? '' : METHOD_NAMES.get(methodCode) ?? `#${methodCode}`,
    protocol: r.strReq(), uri: r.strReq(), remoteAddr: r.strReq(), remoteHost: r.strReq(), serverName: r.strReq(),
    serverPort: r.int(), isSsl: r.byte() !== 0, headers: [], bodyMode: 'none',
  };
  const count = r.int();
  for (let i = 0; i < count; i++) {
    const first = r.buf.readUInt16BE(r.pos);
    let name: string;
    if ((first & 0xff00) === 0xa000) {
      r.pos += 2;
      name = HEADER_NAMES.get(first) ?? `#${first.toString(16)}`;
    } else {
      name = r.strReq();
    }
    req.headers.push(name, r.strReq());
  }
  const attributes: string[] = [];
  for (;;) {
    const code = r.byte();
    if (code === Attribute.Terminator) break;
    switch (code) {
      case Attribute.QueryString: req.queryString = r.strReq(); break;
      case Attribute.RemoteUser: req.remoteUser = r.strReq(); break;
      case Attribute.AuthType: req.authType = r.strReq(); break;
      case Attribute.Route: req.route = r.strReq(); break;
      case Attribute.SslCert: req.sslCert = r.strReq(); break;
      case Attribute.SslCipher: req.sslCipher = r.strReq(); break;
      case Attribute.SslSession: req.sslSession = r.strReq(); break;
      case Attribute.SslKeySize: req.sslKeySize = r.int(); break;
      case Attribute.Secret: req.secret = r.strReq(); break;
      case Attribute.StoredMethod: req.method = r.strReq(); break;
      case Attribute.ReqAttribute: attributes.push(r.strReq(), r.strReq()); break;
      case Attribute.Context: case Attribute.ServletPath: r.str(); break;
      default: throw new AjpProtocolError(`unknown attribute 0x${code.toString(16)}`);
    }
  }
  if (attributes.length > 0) req.attributes = attributes;
  const cl = headerValue(req.headers, 'content-length');
  const te = headerValue(req.headers, 'transfer-encoding');
  req.bodyMode = cl !== undefined && cl !== '0' ? 'length' : te !== undefined ? 'chunked' : 'none';
  return req;
}

function headerValue(headers: string[], lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === lowerName) return headers[i + 1];
  return undefined;
}

const RESPONSE_CODES = new Map<string, number>([
  ['content-type', 0xa001], ['content-language', 0xa002], ['content-length', 0xa003], ['date', 0xa004],
  ['last-modified', 0xa005], ['location', 0xa006], ['set-cookie', 0xa007], ['set-cookie2', 0xa008],
  ['servlet-engine', 0xa009], ['status', 0xa00a], ['www-authenticate', 0xa00b],
]);

function packet(payload: number[] | Buffer): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = 0x41;
  out[1] = 0x42;
  out.writeUInt16BE(body.length, 2);
  body.copy(out, 4);
  return out;
}

function strBytes(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length + 3);
  b.writeUInt16BE(s.length, 0);
  b.write(s, 2, 'latin1');
  b[s.length + 2] = 0;
  return b;
}

/** SEND_HEADERS; `message` defaults to the digits, as Tomcat 9+ sends. Names by code when Tomcat would. */
export function encodeSendHeaders(status: number, headers: readonly string[], message = String(status)): Buffer {
  const parts: Buffer[] = [Buffer.from([ResponseType.SendHeaders, status >> 8, status & 0xff]), strBytes(message)];
  const count = Buffer.allocUnsafe(2);
  count.writeUInt16BE(headers.length / 2, 0);
  parts.push(count);
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const code = RESPONSE_CODES.get((headers[i] as string).toLowerCase());
    if (code !== undefined) parts.push(Buffer.from([code >> 8, code & 0xff]));
    else parts.push(strBytes(headers[i] as string));
    parts.push(strBytes(headers[i + 1] as string));
  }
  return packet(Buffer.concat(parts));
}

export function encodeSendBodyChunk(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + data.length);
  out[0] = 0x41;
  out[1] = 0x42;
  out.writeUInt16BE(data.length + 4, 2);
  out[4] = ResponseType.SendBodyChunk;
  out.writeUInt16BE(data.length, 5);
  data.copy(out, 7);
  out[7 + data.length] = 0;
  return out;
}

export function encodeEndResponse(reuse: boolean): Buffer {
  return packet([ResponseType.EndResponse, reuse ? 1 : 0]);
}

export function encodeGetBodyChunk(requested: number): Buffer {
  return packet([ResponseType.GetBodyChunk, requested >> 8, requested & 0xff]);
}

export const CPONG_PACKET: Buffer = packet([ResponseType.CPong]);

/**
 * Splits a web server -> container byte stream into whole packets (header included). Body packets have no
 * type byte, so what a packet means is up to the caller's state.
 */
export class PacketSplitter {
  private pending: Buffer | null = null;

  constructor(private readonly maxPacketSize: number, private readonly onPacket: (packet: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let off = 0;
    while (buf.length - off >= 4) {
      if (buf.readUInt16BE(off) !== MAGIC_TO_CONTAINER) throw new AjpProtocolError('bad magic from web server');
      const total = 4 + buf.readUInt16BE(off + 2);
      if (total > this.maxPacketSize) throw new AjpProtocolError(`packet of ${total} bytes over ${this.maxPacketSize}`);
      if (buf.length - off < total) break;
      this.onPacket(buf.subarray(off, off + total));
      off += total;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    buf = Buffer.alloc(0);
  }
}
