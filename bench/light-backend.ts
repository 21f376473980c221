// A light AJP13 backend that answers at wire speed, so a benchmark measures the proxies and not Tomcat.
// Responses are precomputed (SEND_HEADERS + SEND_BODY_CHUNKs + END_RESPONSE in one buffer, one write); the
// request is parsed only as far as the URI and Content-Length. Handles CPing and request bodies (first chunk
// unsolicited, then GET_BODY_CHUNK until Content-Length is reached, or an empty packet without one).
//
// Run as its own process: `node light-backend.js PORT [PORT...]`; prints `READY p1 p2…` and exits when its
// stdin closes (the bench is gone), so it never outlives the run.

import { createServer, type Socket } from 'node:net';

const CPONG = Buffer.from([0x41, 0x42, 0x00, 0x01, 0x09]);
/** GET_BODY_CHUNK asking for 8186 bytes (8192 - 4 header - 2 length). */
const GET_BODY_CHUNK = Buffer.from([0x41, 0x42, 0x00, 0x03, 0x06, 0x1f, 0xfa]);
const END_RESPONSE = Buffer.from([0x41, 0x42, 0x00, 0x02, 0x05, 0x01]);
/** Body bytes per SEND_BODY_CHUNK so the packet is exactly 8192 bytes (as Tomcat: packetSize - 8). */
const CHUNK = 8184;
const HEADER_CONTENT_LENGTH = 0xa008;
const METHOD_GET = 2;
const METHOD_HEAD = 3;

function ajpString(value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  const out = Buffer.alloc(2 + bytes.length + 1);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function packet(payload: Buffer): Buffer {
  const head = Buffer.from([0x41, 0x42, 0, 0]);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}

/** The whole AJP answer for a 200 with this body, ready to write. */
export function buildResponse(body: Buffer, contentType: string): Buffer {
  const status = Buffer.from([0x04, 0x00, 200]);
  const count = Buffer.from([0x00, 0x02]);
  const headers = packet(Buffer.concat([
    status, ajpString('200'), count,
    Buffer.from([0xa0, 0x01]), ajpString(contentType),
    Buffer.from([0xa0, 0x03]), ajpString(String(body.length)),
  ]));
  const parts = [headers];
  for (let at = 0; at < body.length; at += CHUNK) {
    const piece = body.subarray(at, Math.min(at + CHUNK, body.length));
    const payload = Buffer.alloc(1 + 2 + piece.length + 1);
    payload[0] = 0x03;
    payload.writeUInt16BE(piece.length, 1);
    piece.copy(payload, 3);
    parts.push(packet(payload));
  }
  parts.push(END_RESPONSE);
  return Buffer.concat(parts);
}

/** Same sizes as the Tomcat test webapp's files, so bytes per request compare across backends. */
function pattern(size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + 7) & 0xff;
  return buf;
}

const SMALL = buildResponse(Buffer.from('{"light":true,"route":"light","count":1}\n'), 'application/json');
const RESPONSES = new Map<string, Buffer>([
  ['/static/64.txt', buildResponse(Buffer.from(`${'0123456789abcdef'.repeat(4).slice(0, 63)}\n`), 'text/plain')],
  ['/static/100k.bin', buildResponse(pattern(100 * 1024), 'application/octet-stream')],
  ['/static/1m.bin', buildResponse(pattern(1024 * 1024), 'application/octet-stream')],
]);

/** Offset just past an AJP string starting at `at` (0xFFFF = null string, no bytes follow). */
function skipString(p: Buffer, at: number): number {
  const len = p.readUInt16BE(at);
  return len === 0xffff ? at + 2 : at + 2 + len + 1;
}

interface Request {
  response: Buffer;
  /** Body bytes still to come; -1: until an empty body packet (no Content-Length). */
  remaining: number;
}

function parseForward(p: Buffer): Request {
  const method = p[1] as number;
  let at = skipString(p, 2); // protocol
  const uriLength = p.readUInt16BE(at);
  const uri = p.toString('latin1', at + 2, at + 2 + uriLength);
  at = skipString(p, at);
  at = skipString(p, at); // remote_addr
  at = skipString(p, at); // remote_host
  at = skipString(p, at); // server_name
  at += 3; // server_port, is_ssl
  const headers = p.readUInt16BE(at);
  at += 2;
  let contentLength = -1;
  for (let i = 0; i < headers; i++) {
    let code = 0;
    if (p[at] === 0xa0) {
      code = p.readUInt16BE(at);
      at += 2;
    } else {
      at = skipString(p, at);
    }
    if (code === HEADER_CONTENT_LENGTH) {
      const len = p.readUInt16BE(at);
      contentLength = Number(p.toString('latin1', at + 2, at + 2 + len));
    }
    at = skipString(p, at);
  }
  const bodyless = method === METHOD_GET || method === METHOD_HEAD;
  return {
    response: RESPONSES.get(uri) ?? SMALL,
    remaining: contentLength >= 0 ? contentLength : bodyless ? 0 : -1,
  };
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  let current: Request | undefined;

  const onPacket = (p: Buffer): void => {
    if (current !== undefined) {
      // A request-body packet: 2 bytes of length, then data (an empty packet has no payload at all).
      const length = p.length >= 2 ? p.readUInt16BE(0) : 0;
      if (current.remaining > 0) current.remaining -= length;
      const done = current.remaining < 0 ? length === 0 : current.remaining <= 0;
      if (!done) {
        socket.write(GET_BODY_CHUNK);
        return;
      }
      socket.write(current.response);
      current = undefined;
      return;
    }
    const type = p[0];
    if (type === 0x0a) {
      socket.write(CPONG);
    } else if (type === 0x02 && p.length > 4) {
      const request = parseForward(p);
      // With a body the front sends its first chunk unsolicited, as Tomcat expects.
      if (request.remaining === 0) socket.write(request.response);
      else current = request;
    }
    // Anything else between requests (a stray empty body packet) is ignored.
  };

  socket.on('data', (chunk: Buffer) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (buf.length - at >= 4) {
      if (buf[at] !== 0x12 || buf[at + 1] !== 0x34) {
        socket.destroy();
        return;
      }
      const length = buf.readUInt16BE(at + 2);
      if (buf.length - at < 4 + length) break;
      onPacket(buf.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    pending = at === buf.length ? undefined : Buffer.from(buf.subarray(at));
  });
  socket.on('error', () => socket.destroy());
}

async function main(): Promise<void> {
  const ports = process.argv.slice(2).map(Number);
  if (ports.length === 0 || ports.some((port) => !Number.isInteger(port))) {
    process.stderr.write('usage: light-backend PORT [PORT...]\n');
    process.exit(2);
  }
  const bound: number[] = [];
  for (const port of ports) {
    const server = createServer({ noDelay: true }, serve);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', backlog: 1024 }, resolve);
    });
    const address = server.address();
    bound.push(typeof address === 'object' && address !== null ? address.port : port);
  }
  process.stdout.write(`READY ${bound.join(' ')}\n`);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

void main();
