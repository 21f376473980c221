// A minimal AJP13 container: accepts connections, decodes forward requests and lets a handler answer. It backs
// the out-of-the-box demo, the fake backend of the fault tests and the benchmark's light backend. It is not
// Tomcat and never stands in for it in the tests that prove compatibility.

import * as net from 'node:net';
import { CPING_PACKET } from '../ajp/constants.js';
import {
  CPONG_PACKET, PacketSplitter, decodeForwardRequest, encodeEndResponse, encodeGetBodyChunk, encodeSendBodyChunk,
  encodeSendHeaders, type DecodedForwardRequest,
} from '../ajp/container.js';

export interface AjpReply {
  readonly socket: net.Socket;
  /**
   * Reads the request body, asking for it packet by packet as Tomcat does: all of it, or (as a servlet that
   * stops reading) no more packets once `atMost` bytes are in.
   */
  readBody(atMost?: number): Promise<Buffer>;
  /**
   * The next request-body packet, without asking for it: only a sender one packet ahead of GET_BODY_CHUNK
   * sends it (it is counted in earlyBodyPackets); from any other this never resolves.
   */
  unaskedBodyPacket(): Promise<Buffer>;
  sendHeaders(status: number, headers: readonly string[], message?: string): void;
  write(data: Buffer | string): void;
  /** Zero-length SEND_BODY_CHUNK. */
  flush(): void;
  end(reuse?: boolean): void;
}

export type AjpHandler = (req: DecodedForwardRequest, reply: AjpReply) => void | Promise<void>;

export interface AjpServerOptions {
  host?: string;
  port?: number;
  maxPacketSize?: number;
  handler: AjpHandler;
}

export interface AjpServer {
  readonly port: number;
  readonly host: string;
  /** Forward requests received so far. */
  readonly requests: number;
  /** Responses ended with a request-body packet sent and never asked for still unread. */
  readonly unreadBodyPackets: number;
  /** Request-body packets that arrived before anything waited for them (sent ahead of GET_BODY_CHUNK). */
  readonly earlyBodyPackets: number;
  readonly connections: ReadonlySet<net.Socket>;
  close(): Promise<void>;
}

export async function startAjpServer(options: AjpServerOptions): Promise<AjpServer> {
  const maxPacketSize = options.maxPacketSize ?? 8192;
  const connections = new Set<net.Socket>();
  let requests = 0;
  let unreadBodyPackets = 0;
  let earlyBodyPackets = 0;
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let bodyWaiter: ((data: Buffer) => void) | null = null;
    // Body packets that came before they were asked for wait here, as in Tomcat's socket buffer.
    const bodyQueue: Buffer[] = [];
    let expectBody = false;
    const splitter = new PacketSplitter(maxPacketSize, (packet) => {
      if (expectBody) {
        const data = packet.subarray(6, 6 + (packet.length >= 6 ? packet.readUInt16BE(4) : 0));
        const waiter = bodyWaiter;
        bodyWaiter = null;
        if (waiter !== null) {
          waiter(data);
        } else {
          earlyBodyPackets++;
          bodyQueue.push(Buffer.from(data));
        }
        return;
      }
      if (packet.length === 5 && packet.equals(CPING_PACKET)) {
        socket.write(CPONG_PACKET);
        return;
      }
      const req = decodeForwardRequest(packet);
      requests++;
      expectBody = true;
      const nextBodyPacket = (): Promise<Buffer> => {
        const queued = bodyQueue.shift();
        return queued !== undefined ? Promise.resolve(queued) : new Promise((resolve) => { bodyWaiter = resolve; });
      };
      // The first body packet comes unasked when there is a Content-Length; it may already be on its way.
      const firstPacket = req.bodyMode === 'length' ? nextBodyPacket() : null;
      let bodyRead = req.bodyMode === 'none';
      const reply: AjpReply = {
        socket,
        async readBody(atMost = Infinity) {
          if (bodyRead) return Buffer.alloc(0);
          bodyRead = true;
          const parts: Buffer[] = [];
          let total = 0;
          const length = req.bodyMode === 'length' ? Number(headerOf(req, 'content-length')) : Infinity;
          if (firstPacket !== null) {
            const first = await firstPacket;
            parts.push(Buffer.from(first));
            total += first.length;
          }
          while (total < length && total < atMost) {
            const next = nextBodyPacket();
            socket.write(encodeGetBodyChunk(maxPacketSize - 6));
            const data = await next;
            if (data.length === 0) break;
            parts.push(Buffer.from(data));
            total += data.length;
          }
          return Buffer.concat(parts);
        },
        unaskedBodyPacket() {
          // A queued packet was counted as it came; one still to come reaches the waiter, which does not count.
          if (bodyQueue.length === 0) earlyBodyPackets++;
          return nextBodyPacket().then((data) => Buffer.from(data));
        },
        sendHeaders(status, headers, message) {
          socket.write(encodeSendHeaders(status, headers, message));
        },
        write(data) {
          const buf = typeof data === 'string' ? Buffer.from(data) : data;
          const max = maxPacketSize - 8;
          for (let off = 0; off < buf.length; off += max) socket.write(encodeSendBodyChunk(buf.subarray(off, off + max)));
        },
        flush() {
          socket.write(encodeSendBodyChunk(Buffer.alloc(0)));
        },
        end(reuse = true) {
          expectBody = false;
          // Tomcat would take a body packet left unread for the next request's first bytes: count it for the tests.
          if (bodyQueue.length > 0) unreadBodyPackets++;
          bodyQueue.length = 0;
          socket.write(encodeEndResponse(reuse));
          if (!reuse) socket.end();
        },
      };
      Promise.resolve(options.handler(req, reply)).catch(() => socket.destroy());
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    host: address.address,
    get requests() {
      return requests;
    },
    get unreadBodyPackets() {
      return unreadBodyPackets;
    },
    get earlyBodyPackets() {
      return earlyBodyPackets;
    },
    connections,
    close() {
      for (const s of connections) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function headerOf(req: DecodedForwardRequest, lowerName: string): string | undefined {
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) if ((h[i] as string).toLowerCase() === lowerName) return h[i + 1];
  return undefined;
}
