import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamBodySource } from '../../../src/ajp/body.js';

const PACKET = 8186;

/** Reads packets as the AJP connection does: read, and when nothing is ready, wait for the source to call back. */
function drain(source: StreamBodySource, max: number): Promise<Buffer[]> {
  const packets: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const next = (): void => {
      for (;;) {
        if (source.failed !== undefined) return reject(source.failed);
        const data = source.read(max);
        if (data === null) return source.waitReadable(next);
        if (data.length === 0) return resolve(packets);
        packets.push(Buffer.from(data));
      }
    };
    next();
  });
}

function bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

describe('StreamBodySource', () => {
  it.each([
    ['16 KiB reads', 16_384],
    ['64 KiB reads', 65_536],
    ['reads smaller than a packet', 3_000],
    ['reads of exactly one packet', PACKET],
    ['100-byte reads', 100],
  ])('fills every packet but the last, whatever the client chunks (%s)', async (_, chunkSize) => {
    const data = bytes(1024 * 1024 + 123);
    const stream = new PassThrough({ highWaterMark: chunkSize });
    const source = new StreamBodySource(stream);
    const packets = drain(source, PACKET);
    for (let off = 0; off < data.length; off += chunkSize) stream.write(data.subarray(off, off + chunkSize));
    stream.end();
    const got = await packets;
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(got.slice(0, -1).every((p) => p.length === PACKET)).toBe(true);
    expect(got.length).toBe(Math.ceil(data.length / PACKET));
    expect(source.bytesRead).toBe(data.length);
  });

  it('sends a body shorter than a packet as one packet once the client is done', async () => {
    const stream = new PassThrough();
    const source = new StreamBodySource(stream);
    const packets = drain(source, PACKET);
    stream.write('abc');
    stream.write('def');
    stream.end();
    expect((await packets).map(String)).toEqual(['abcdef']);
  });

  it('replays a filled first packet after rewind, and refuses once a second packet was taken', async () => {
    const data = bytes(PACKET + 10);
    const stream = new PassThrough();
    const source = new StreamBodySource(stream);
    stream.write(data.subarray(0, 5000));
    stream.write(data.subarray(5000));
    stream.end();
    const first = await new Promise<Buffer>((resolve) => {
      const next = (): void => {
        const got = source.read(PACKET);
        if (got === null) source.waitReadable(next);
        else resolve(Buffer.from(got));
      };
      next();
    });
    expect(first.equals(data.subarray(0, PACKET))).toBe(true);
    expect(source.rewind()).toBe(true);
    const all = await drain(source, PACKET);
    expect(Buffer.concat(all).equals(data)).toBe(true);
    expect(source.rewind()).toBe(false);
  });

  it('hands out a packet being filled in order when Tomcat then asks for less than it holds', async () => {
    const data = bytes(3000);
    const stream = new PassThrough();
    const source = new StreamBodySource(stream);
    expect(source.read(PACKET)).toBeNull();
    stream.write(data);
    await new Promise<void>((resolve) => source.waitReadable(resolve));
    // The 3000 bytes become the start of a packet, which waits for more of the body.
    expect(source.read(PACKET)).toBeNull();
    const packets: Buffer[] = [Buffer.from(source.read(1000) as Buffer)];
    stream.end(data);
    packets.push(...(await drain(source, 1000)));
    expect(packets.map((p) => p.length)).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    expect(Buffer.concat(packets).equals(Buffer.concat([data, data]))).toBe(true);
  });
});
