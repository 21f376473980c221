// Encoding of web server -> container packets into caller-owned Buffers (no allocation per request).
// Strings go out as latin1: Node hands us header and URL bytes decoded as latin1, so this writes back exactly
// the bytes the client sent; UTF-8 in URLs stays %-encoded or raw bytes, as on the wire.

import {
  Attribute, BODY_PACKET_OVERHEAD, CPING_PACKET, EMPTY_BODY_PACKET, HEADER_LENGTH, METHOD_CODES,
  METHOD_STORED, REQUEST_HEADER_CODES, RequestType,
} from './constants.js';
import { AjpRequestTooLargeError } from './errors.js';

/** How the request body will be sent, decided from Content-Length / Transfer-Encoding by the caller. */
export type BodyMode = 'none' | 'length' | 'chunked';

/** Everything a FORWARD_REQUEST carries. Optional fields are left out of the packet when undefined. */
export interface ForwardRequest {
  method: string;
  protocol: string;
  /** Raw %-encoded path without the query. */
  uri: string;
  remoteAddr: string;
  remoteHost: string;
  serverName: string;
  serverPort: number;
  isSsl: boolean;
  /** Flat [name, value, name, value…] as in Node's rawHeaders; repeats are sent as given (the front merges them). */
  headers: readonly string[];
  bodyMode: BodyMode;
  queryString?: string | undefined;
  remoteUser?: string | undefined;
  authType?: string | undefined;
  route?: string | undefined;
  sslCert?: string | undefined;
  sslCipher?: string | undefined;
  sslSession?: string | undefined;
  sslKeySize?: number | undefined;
  secret?: string | undefined;
  /** req_attribute pairs, flat [name, value…]: AJP_REMOTE_PORT, AJP_LOCAL_ADDR, JK_LB_ACTIVATION… */
  attributes?: readonly string[] | undefined;
}

// The writer is module state rather than closures: encoding is synchronous and single-threaded, and this way
// a forward request costs no allocation beyond the strings Node already made.
let out: Buffer = Buffer.alloc(0);
let pos = 0;

function need(n: number): void {
  if (pos + n > out.length) throw new AjpRequestTooLargeError(pos + n, out.length);
}
function putByte(v: number): void {
  need(1);
  out[pos++] = v;
}
function putInt(v: number): void {
  need(2);
  out[pos++] = (v >>> 8) & 0xff;
  out[pos++] = v & 0xff;
}
function putString(s: string): void {
  const len = s.length;
  if (len >= 0xffff) throw new AjpRequestTooLargeError(len, 0xfffe);
  need(len + 3);
  out[pos++] = (len >>> 8) & 0xff;
  out[pos++] = len & 0xff;
  pos += out.write(s, pos, len, 'latin1');
  out[pos++] = 0;
}
function putAttribute(code: number, value: string | undefined): void {
  if (value === undefined) return;
  putByte(code);
  putString(value);
}

/** Writes a FORWARD_REQUEST packet at offset 0 of `target`; returns its total length. */
export function encodeForwardRequest(req: ForwardRequest, target: Buffer): number {
  out = target;
  pos = HEADER_LENGTH;
  try {
    putByte(RequestType.ForwardRequest);
    const methodCode = METHOD_CODES.get(req.method);
    putByte(methodCode ?? METHOD_STORED);
    putString(req.protocol);
    putString(req.uri);
    putString(req.remoteAddr);
    putString(req.remoteHost);
    putString(req.serverName);
    putInt(req.serverPort);
    putByte(req.isSsl ? 1 : 0);
    putHeaders(req.headers, req.bodyMode);

    // An empty query ("/x?") still goes out: httpd's r->args is "", and the servlet sees "" rather than null.
    if (req.queryString !== undefined) putAttribute(Attribute.QueryString, req.queryString);
    putAttribute(Attribute.RemoteUser, req.remoteUser);
    putAttribute(Attribute.AuthType, req.authType);
    if (req.route) putAttribute(Attribute.Route, req.route);
    putAttribute(Attribute.SslCert, req.sslCert);
    putAttribute(Attribute.SslCipher, req.sslCipher);
    putAttribute(Attribute.SslSession, req.sslSession);
    if (req.sslKeySize !== undefined) {
      putByte(Attribute.SslKeySize);
      putInt(req.sslKeySize);
    }
    if (req.secret) putAttribute(Attribute.Secret, req.secret);
    if (methodCode === undefined) putAttribute(Attribute.StoredMethod, req.method);
    const attrs = req.attributes;
    if (attrs !== undefined) {
      for (let i = 0; i + 1 < attrs.length; i += 2) {
        putAttribute(Attribute.ReqAttribute, attrs[i] as string);
        putString(attrs[i + 1] as string);
      }
    }
    putByte(Attribute.Terminator);
    writePacketHeader(out, pos - HEADER_LENGTH);
    return pos;
  } finally {
    out = EMPTY;
  }
}
const EMPTY = Buffer.alloc(0);

/**
 * The header codes mod_jk actually sends: its name match (sc_for_req_header) compares "ACCEPT" with its
 * terminator, so Accept-Charset, Accept-Encoding and Accept-Language always go out as strings and Tomcat's
 * getHeaderNames() reports them as the client spelled them. Sending them the same way keeps that view.
 */
const FORWARDED_HEADER_CODES: ReadonlyMap<string, number> = new Map(
  [...REQUEST_HEADER_CODES].filter(([name]) => !name.startsWith('accept-')),
);

function putHeaders(headers: readonly string[], bodyMode: BodyMode): void {
  let hasContentLength = false;
  const countPos = pos;
  putInt(0);
  let count = 0;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const code = FORWARDED_HEADER_CODES.get(name.length <= 15 ? name.toLowerCase() : '');
    if (code === undefined) {
      putString(name);
    } else {
      putInt(code);
      if (code === 0xa008) hasContentLength = true;
    }
    putString(headers[i + 1] as string);
    count++;
  }
  // An absent Content-Length means "unknown, non-zero" to Tomcat, which would then wait for body packets.
  if (bodyMode === 'none' && !hasContentLength) {
    putInt(0xa008);
    putString('0');
    count++;
  }
  out[countPos] = (count >>> 8) & 0xff;
  out[countPos + 1] = count & 0xff;
}

function writePacketHeader(out: Buffer, payloadLength: number): void {
  out[0] = 0x12;
  out[1] = 0x34;
  out[2] = (payloadLength >>> 8) & 0xff;
  out[3] = payloadLength & 0xff;
}

/**
 * Writes the 6-byte header of a request-body packet carrying `dataLength` bytes into `out` at `offset`.
 * The data itself is written separately (writev), so body bytes are never copied.
 */
export function writeBodyPacketHeader(out: Buffer, offset: number, dataLength: number): void {
  const payload = dataLength + 2;
  out[offset] = 0x12;
  out[offset + 1] = 0x34;
  out[offset + 2] = (payload >>> 8) & 0xff;
  out[offset + 3] = payload & 0xff;
  out[offset + 4] = (dataLength >>> 8) & 0xff;
  out[offset + 5] = dataLength & 0xff;
}

/** A complete body packet as one new Buffer: for tests and replays, not the hot path. */
export function encodeBodyPacket(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(BODY_PACKET_OVERHEAD + data.length);
  writeBodyPacketHeader(out, 0, data.length);
  data.copy(out, BODY_PACKET_OVERHEAD);
  return out;
}

export { CPING_PACKET, EMPTY_BODY_PACKET };
