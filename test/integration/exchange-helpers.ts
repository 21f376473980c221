import type { BodySource } from '../../src/ajp/body.js';
import type { ExchangeProgress, ExchangeSink } from '../../src/ajp/connection.js';
import type { ForwardRequest } from '../../src/ajp/encode.js';
import type { AjpError } from '../../src/ajp/errors.js';
import { WorkerExchange } from '../../src/ajp/exchange.js';
import { AjpPool, type PoolOptions } from '../../src/ajp/pool.js';

export interface ExchangeResult {
  status?: number;
  reason?: string;
  headers?: string[];
  body: Buffer;
  flushes: number;
  error?: AjpError;
  progress?: ExchangeProgress;
}

export function poolOptions(port: number, overrides: Partial<PoolOptions> = {}): PoolOptions {
  return {
    host: '127.0.0.1', port, maxPacketSize: 8192, keepAlive: false, connectTimeoutMs: 2000, replyTimeoutMs: 0,
    socketTimeoutMs: 0, size: 8, minSize: 0, idleTimeoutMs: 0, acquireTimeoutMs: 2000, connectPingTimeoutMs: 0,
    prepostPingTimeoutMs: 0, idlePingIntervalMs: 0, pingTimeoutMs: 2000, ...overrides,
  };
}

export function request(overrides: Partial<ForwardRequest> = {}): ForwardRequest {
  return {
    method: 'GET', protocol: 'HTTP/1.1', uri: '/', remoteAddr: '127.0.0.1', remoteHost: '127.0.0.1',
    serverName: 'localhost', serverPort: 80, isSsl: false, headers: ['Host', 'localhost'], bodyMode: 'none',
    ...overrides,
  };
}

/** Runs one exchange through a WorkerExchange and resolves with everything the sink saw. */
export function run(
  pool: AjpPool, req: ForwardRequest, body: BodySource | null = null,
  opts: { retries?: number; onBody?: (data: Buffer, ex: WorkerExchange) => boolean } = {},
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const result: ExchangeResult = { body: Buffer.alloc(0), flushes: 0 };
    const parts: Buffer[] = [];
    const ex = new WorkerExchange(pool, { retries: opts.retries ?? 2, retryIntervalMs: 10 });
    const sink: ExchangeSink = {
      onHeaders(status, reason, headers) {
        Object.assign(result, { status, reason, headers });
      },
      onBody(data) {
        parts.push(Buffer.from(data));
        return opts.onBody ? opts.onBody(data, ex) : true;
      },
      onFlush() {
        result.flushes++;
      },
      onComplete() {
        result.body = Buffer.concat(parts);
        resolve(result);
      },
      onError(error, progress) {
        result.body = Buffer.concat(parts);
        Object.assign(result, { error, progress: { ...progress } });
        resolve(result);
      },
    };
    ex.start(req, body, sink);
  });
}

export { AjpPool };
