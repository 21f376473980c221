// AjpConnection reads into one reused buffer (src/ajp/read-buffer.ts). These tests pin both halves
// of that bargain: the buffer really is reused when the sink says its chunks are gone, and it is never
// overwritten under a sink that still holds them.

import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeProgress, ExchangeSink } from '../../src/ajp/connection.js';
import type { AjpError } from '../../src/ajp/errors.js';
import { WorkerExchange } from '../../src/ajp/exchange.js';
import { startAjpServer, type AjpServer } from '../../src/demo/ajp-server.js';
import { AjpPool, poolOptions, request } from './exchange-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const BODY_BYTES = 300 * 1024;

/** Each response is BODY_BYTES of one byte value, taken from the URI (/fill/N), so responses differ. */
async function filler(): Promise<AjpServer> {
  const server = await startAjpServer({
    handler: async (req, reply) => {
      reply.sendHeaders(200, ['Content-Length', String(BODY_BYTES)]);
      reply.write(Buffer.alloc(BODY_BYTES, Number(req.uri.split('/')[2])));
      reply.end(true);
    },
  });
  cleanups.push(() => server.close());
  return server;
}

interface Kept {
  chunks: Buffer[];
  error?: AjpError;
}

/** Keeps every chunk as given (no copy) and answers chunksReleased with `released`. */
function fetchKeeping(pool: AjpPool, uri: string, released: boolean | undefined): Promise<Kept> {
  return new Promise((resolve) => {
    const kept: Kept = { chunks: [] };
    const sink: ExchangeSink = {
      onHeaders() {},
      onBody(data) {
        kept.chunks.push(data);
        return true;
      },
      onFlush() {},
      onComplete() {
        resolve(kept);
      },
      onError(error: AjpError, _progress: ExchangeProgress) {
        kept.error = error;
        resolve(kept);
      },
      ...(released === undefined ? {} : { chunksReleased: () => released }),
    };
    new WorkerExchange(pool, { retries: 1, retryIntervalMs: 10 }).start(request({ uri }), null, sink);
  });
}

function pool(server: AjpServer): AjpPool {
  const p = new AjpPool(poolOptions(server.port, { size: 1 }));
  cleanups.push(() => p.destroy());
  return p;
}

describe('AjpConnection read buffer', () => {
  it('never overwrites chunks a sink still holds, whether it says so or says nothing', async () => {
    const p = pool(await filler());
    for (const released of [false, undefined]) {
      const first = await fetchKeeping(p, '/fill/1', released);
      const second = await fetchKeeping(p, '/fill/2', released);
      expect(first.error).toBeUndefined();
      expect(second.error).toBeUndefined();
      // Had the second response been read into the memory the first one's chunks point at, they would hold 2s.
      expect(Buffer.concat(first.chunks).equals(Buffer.alloc(BODY_BYTES, 1))).toBe(true);
      expect(Buffer.concat(second.chunks).equals(Buffer.alloc(BODY_BYTES, 2))).toBe(true);
    }
    expect(p.stats.connects).toBe(1);
  });

  it('reads into the same memory again once the sink has let go of the last read', async () => {
    const p = pool(await filler());
    const seen = new Set<ArrayBufferLike>();
    let chunkCount = 0;
    for (let i = 0; i < 4; i++) {
      const kept = await fetchKeeping(p, `/fill/${i + 3}`, true);
      expect(kept.error).toBeUndefined();
      for (const chunk of kept.chunks) seen.add(chunk.buffer);
      chunkCount += kept.chunks.length;
    }
    // 1.2 MiB arrived in many chunks over many reads; at most the first, smaller buffer and the grown one were used.
    expect(chunkCount).toBeGreaterThan(8);
    expect(seen.size).toBeLessThanOrEqual(2);
  });
});
