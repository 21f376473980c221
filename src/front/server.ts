// The HTTP(S) front: accepts requests, refuses the malformed ones with the right 4xx, finds the mount for
// host + path, and hands the request to a Forwarding. Which runtime (config) serves a request is read once per
// request, so a reload swaps it without touching requests in flight.

import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, ListenOptions } from 'node:net';
import { classifyRequest } from './request-map.js';
import { sendError } from './errors.js';
import { Forwarding, type ForwardObserver } from './forward.js';
import type { Runtime } from './runtime.js';
import { escapeProblem, normalizePath } from './normalize-uri.js';
import { forwardUri } from './forward-uri.js';
import { IdleConnections } from './idle-connections.js';
import { acceptorsFor, assertPortFree } from './acceptors.js';

export interface FrontLimits {
  /** Longest request line target, as Apache's LimitRequestLine (8190). */
  maxUriLength: number;
  /** Most header fields, as Apache's LimitRequestFields (100). */
  maxHeaderCount: number;
  /** Total header bytes Node will parse (431 beyond). */
  maxHeaderBytes: number;
  /** Largest request body, as Apache's LimitRequestBody (413 beyond); 0 = no limit. */
  maxBodyBytes: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: FrontLimits = {
  maxUriLength: 8190, maxHeaderCount: 100, maxHeaderBytes: 16384, maxBodyBytes: 0, keepAliveTimeoutMs: 5000,
};

export interface ListenSpec {
  host: string;
  port: number;
  /** The port name-based vhosts see for this listener (httpd's Listen port when ajplb listens elsewhere). */
  vhostPort?: number | undefined;
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean } | undefined;
  /** Bind a socket of our own with SO_REUSEPORT (--procs workers on Node >= 22.12; see procs/port-sharing). */
  reusePort?: boolean | undefined;
}

/** Hooks for what a non-forwarded request needs (status worker, metrics). */
export interface FrontHooks extends ForwardObserver {
  onStatusRequest(req: http.IncomingMessage, res: http.ServerResponse, workerName: string): void;
  onRejected(req: http.IncomingMessage, status: number, why: string): void;
}

export class FrontServer {
  private runtime: Runtime;
  private readonly hooks: FrontHooks;
  private readonly limits: FrontLimits;
  readonly servers: Array<http.Server | https.Server> = [];
  private draining = false;
  private readonly vhostPorts = new Map<number, number>();
  inFlight = 0;
  private readonly idle: IdleConnections;

  constructor(runtime: Runtime, hooks: FrontHooks, limits: FrontLimits = DEFAULT_LIMITS) {
    this.runtime = runtime;
    this.hooks = hooks;
    this.limits = limits;
    this.idle = new IdleConnections(limits.keepAliveTimeoutMs);
  }

  /** Client connections open now, for the open-connections gauge. */
  get openConnections(): number {
    return this.idle.size;
  }

  swapRuntime(runtime: Runtime): void {
    this.runtime = runtime;
  }

  async listen(spec: ListenSpec): Promise<AddressInfo> {
    const count = acceptorsFor();
    const reusePort = count > 1 || spec.reusePort === true;
    if (reusePort && spec.reusePort !== true) await assertPortFree(spec.host, spec.port);
    // The first socket picks the port when it is 0; the others join it.
    const first = await this.listenOne(spec, spec.port, reusePort);
    for (let i = 1; i < count; i++) await this.listenOne(spec, first.port, reusePort);
    return first;
  }

  private async listenOne(spec: ListenSpec, port: number, reusePort: boolean): Promise<AddressInfo> {
    const options: http.ServerOptions = {
      maxHeaderSize: this.limits.maxHeaderBytes,
      // 0: no per-response timer; IdleConnections expires idle keep-alive connections with one sweep.
      keepAliveTimeout: 0,
      requestTimeout: 0,
      headersTimeout: 60_000,
      // Node merges duplicate headers into req.headers only; rawHeaders (what we forward) keeps every one.
      joinDuplicateHeaders: false,
      // Room for a few 8 KiB AJP chunks before the client socket pushes back and the backend socket pauses.
      highWaterMark: 64 * 1024,
    };
    const server = spec.tls
      ? https.createServer({ ...options, cert: spec.tls.cert, key: spec.tls.key, ca: spec.tls.ca, requestCert: spec.tls.requestCert ?? false, rejectUnauthorized: false }, this.handle)
      : http.createServer(options, this.handle);
    // A client that sends its request and then shuts down its side (`printf … | nc -N`, health probes) gets
    // its answer, as from httpd; Node's default aborts the request at the client's FIN and answers nothing.
    (server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
    server.on('clientError', this.onClientError);
    const connectionEvent = spec.tls ? 'secureConnection' : 'connection';
    server.on(connectionEvent, this.idle.add);
    this.idle.start();
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // reusePort is not in @types/node 20; exclusive keeps cluster from routing the bind through the primary.
      const own = reusePort ? { reusePort: true, exclusive: true } : {};
      server.listen({ host: spec.host, port, ...own } as ListenOptions, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.vhostPorts.set(address.port, spec.vhostPort ?? address.port);
    if (address.address !== '0.0.0.0' && address.address !== '::') {
      // Every connection on a listener bound to one address has that local address: fill Node's getsockname
      // cache (net.Socket#_sockname) so AJP's local addr/port cost no syscall per connection (3 % of the CPU
      // with a new connection per request). Were Node to drop the cache, the getters would just ask the kernel.
      const local = { address: address.address, family: address.family, port: address.port };
      server.prependListener(connectionEvent, (socket: { _sockname?: unknown }) => {
        socket._sockname = local;
      });
    }
    return address;
  }

  private readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.inFlight++;
    (res as ResponseWithFront)[kFront] = this;
    // Node never emits 'close' for a pipelined response still queued when its connection goes away; without
    // this, each one would count as in flight for ever (and hold a drain until its timeout).
    if (this.idle.requestStarted(req.socket, res) > 0) untilConnectionGone(this, req.socket, res);
    res.on('close', onResponseClose);
    if (this.draining) {
      res.setHeader('Connection', 'close');
      this.reject(req, res, 503, 'shutting down');
      return;
    }
    const url = req.url ?? '/';
    if (url.length > this.limits.maxUriLength) return this.reject(req, res, 414, 'URI too long');
    if (req.rawHeaders.length > this.limits.maxHeaderCount * 2) return this.reject(req, res, 431, 'too many header fields');
    const shape = classifyRequest(req);
    if (typeof shape === 'string') return this.reject(req, res, 400, shape);
    const maxBody = this.limits.maxBodyBytes;
    if (maxBody > 0 && shape.bodyMode === 'length' && Number(req.headers['content-length']) > maxBody) {
      return this.reject(req, res, 413, 'request body over the limit');
    }
    if (shape.uri.charCodeAt(0) !== 47 /* / */) {
      if (req.method === 'OPTIONS' && shape.uri === '*') return this.answerOptionsStar(req, res);
      return this.reject(req, res, 400, 'request target is not a path');
    }
    const escapes = escapeProblem(shape.uri);
    if (escapes === 'malformed') return this.reject(req, res, 400, 'malformed %-escape in the path');
    if (escapes === 'badpath') return this.reject(req, res, 404, 'encoded slash or NUL in the path');
    const path = normalizePath(shape.uri);
    if (path === null) return this.reject(req, res, 400, 'URI escapes the root');
    const forwarded = forwardUri(shape.uri);
    if (forwarded === null) return this.reject(req, res, 400, 'URI cannot be decoded');
    shape.uri = forwarded;
    const runtime = this.runtime;
    const localPort = req.socket.localPort ?? 0;
    const local = this.vhostPorts.get(localPort) ?? localPort;
    // Not read otherwise: on a listener bound to every address it costs a getsockname per connection.
    const localAddress = runtime.router.byAddress ? req.socket.localAddress : undefined;
    const rule = runtime.router.match(shape.authority ?? req.headers.host, local, localAddress, path);
    if (rule === undefined) return this.reject(req, res, 404, 'no mount matches');
    const target = runtime.targets.byName.get(rule.worker);
    if (target === undefined) return this.reject(req, res, 503, `worker ${rule.worker} is not defined`);
    if (target.kind === 'status') {
      this.hooks.onStatusRequest(req, res, target.name);
      return;
    }
    new Forwarding(req, res, shape, target, rule.extensions, this.hooks, maxBody).start();
  };

  /** Called once per response, from onResponseClose (or its connection's close, for a queued pipelined one). */
  responseClosed(res: http.ServerResponse): void {
    const tracked = res as ResponseWithFront;
    if (tracked[kFront] !== this) return;
    tracked[kFront] = undefined;
    this.inFlight--;
    // Not res.socket: Node detaches it from a finished response before 'close', which left every answered
    // connection counted busy and never expired by the keep-alive sweep.
    this.idle.requestEnded(res.req.socket, res);
  }

  /** The server-wide OPTIONS names no resource to forward; httpd answers it itself, 200 with no body. */
  private answerOptionsStar(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hooks.onRejected(req, 200, 'OPTIONS * answered by the front');
    res.writeHead(200, { 'Content-Length': '0' });
    res.end();
    if (!req.complete) req.resume();
  }

  private reject(req: http.IncomingMessage, res: http.ServerResponse, status: number, why: string): void {
    this.hooks.onRejected(req, status, why);
    sendError(res, status);
    // An unread body would otherwise be parsed as the next request.
    if (!req.complete) req.resume();
  }

  /** Stop accepting; answer late requests with 503 + close; resolves when in-flight requests are done or the deadline passes. */
  async drain(deadlineMs: number): Promise<boolean> {
    this.draining = true;
    for (const s of this.servers) {
      s.close();
      s.closeIdleConnections();
    }
    // Node keeps promising keep-alive on a closed server; a client taking the promise sends its next request on
    // a connection the drain is about to close, and that request fails unanswered. Connection: close instead.
    // Only the last answer on each connection: one earlier in a pipeline must not close it under those behind it.
    for (const res of this.idle.currentResponses()) if (!res.headersSent) res.shouldKeepAlive = false;
    const until = Date.now() + deadlineMs;
    while (this.inFlight > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const clean = this.inFlight === 0;
    this.idle.stop();
    for (const s of this.servers) s.closeAllConnections();
    return clean;
  }

  /**
   * Node's parser refused what came on the connection. The requests before it on the same connection (pipelined)
   * are answered first, as httpd does: written at once, the error would overtake their answers and cut them off.
   * Responses leave in order, so once the newest one is written, all are.
   */
  private readonly onClientError = (err: ParseError, socket: import('node:stream').Duplex): void => {
    const status = clientErrorStatus(err);
    const last = this.idle.currentResponse(socket as import('node:net').Socket);
    // An incomplete newest request is the one refused (its body broke off): nothing to wait for.
    if (last !== null && last.req.complete && !last.writableFinished && socket.writable) {
      // Before Node's own 'finish' handler, which ends the socket when the client has shut down its side.
      last.prependOnceListener('finish', () => sendClientError(socket, status));
      return;
    }
    sendClientError(socket, status);
  };

  close(): void {
    this.idle.stop();
    for (const s of this.servers) {
      s.close();
      s.closeAllConnections();
    }
  }
}

const kFront = Symbol('ajplb.front');
type ResponseWithFront = http.ServerResponse & { [kFront]?: FrontServer };

function onResponseClose(this: http.ServerResponse): void {
  (this as ResponseWithFront)[kFront]?.responseClosed(this);
}

/** Rare path (pipelining): two closures per request are acceptable here. */
function untilConnectionGone(front: FrontServer, socket: import('node:net').Socket, res: http.ServerResponse): void {
  const gone = (): void => front.responseClosed(res);
  socket.once('close', gone);
  res.once('close', () => socket.off('close', gone));
}

type ParseError = NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number };

/** A method httpd would pass on (a token) but Node's parser does not know: Tomcat would answer it 501. */
const TOKEN_METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^ \r\n]/;

/** The status for what Node's parser refused, as httpd (and Tomcat behind it) would answer it. */
function clientErrorStatus(err: ParseError): number {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (err.code === 'HPE_INVALID_METHOD' && err.rawPacket !== undefined) {
    // The refused request line starts after the last line break before where parsing stopped.
    const stop = Math.min(err.bytesParsed ?? 0, err.rawPacket.length);
    const start = err.rawPacket.lastIndexOf(10, stop) + 1;
    if (TOKEN_METHOD.test(err.rawPacket.toString('latin1', start, start + 64))) return 501;
  }
  return 400;
}

function sendClientError(socket: import('node:stream').Duplex, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = http.STATUS_CODES[status] ?? 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}
