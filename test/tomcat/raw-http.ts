// A client that sends exactly the bytes it is given (an HTTP client would normalise them), over TCP or TLS, and
// reads the answer until the server closes the connection; 1xx interim responses are skipped, chunked bodies
// decoded.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

export interface RawResponse {
  status: number;
  /** Lower-cased names, values in the order received. */
  headers: Map<string, string[]>;
  body: Buffer;
}

const EXCHANGE_TIMEOUT_MS = 15_000;

/** A request without a body: the request line and header lines, CRLF-joined, and the blank line. */
export const req = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
/** The same with a body after the blank line. */
export const withBody = (head: string[], body: string): string => `${head.join('\r\n')}\r\n\r\n${body}`;

/** `tls`: connect with TLS using these options (certificates are not verified). */
export function exchangeRaw(port: number, request: string, tls?: ConnectionOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let socket: Socket;
    if (tls === undefined) {
      socket = connect({ host: '127.0.0.1', port });
      socket.on('connect', () => socket.write(request, 'latin1'));
    } else {
      socket = connectTls({ ...tls, host: '127.0.0.1', port, rejectUnauthorized: false });
      socket.on('secureConnect', () => socket.write(request, 'latin1'));
    }
    socket.setTimeout(EXCHANGE_TIMEOUT_MS, () => socket.destroy(new Error(`no end of the response within ${EXCHANGE_TIMEOUT_MS} ms`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        const head = request.slice(0, request.indexOf(' '));
        resolve(parseFinalResponse(Buffer.concat(chunks), head === 'HEAD'));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseFinalResponse(raw: Buffer, headRequest: boolean): RawResponse {
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`incomplete response: ${JSON.stringify(raw.toString('latin1').slice(0, 300))}`);
    const lines = raw.toString('latin1', at, end).split('\r\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    at = end + 4;
    if (status >= 100 && status < 200) continue;
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const rest = raw.subarray(at);
    const noBody = headRequest || status === 204 || status === 304;
    const chunked = (headers.get('transfer-encoding') ?? []).some((v) => v.toLowerCase().includes('chunked'));
    return { status, headers, body: noBody ? Buffer.alloc(0) : chunked ? dechunk(rest) : bodyOf(rest, headers) };
  }
}

function bodyOf(rest: Buffer, headers: Map<string, string[]>): Buffer {
  const length = headers.get('content-length');
  return length === undefined ? rest : rest.subarray(0, Number(length[0]));
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('chunked body cut short');
    const size = parseInt(data.toString('latin1', at, lineEnd), 16);
    if (size === 0) return Buffer.concat(out);
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
