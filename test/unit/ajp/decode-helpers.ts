import { ResponseDecoder } from '../../../src/ajp/decode.js';

export type DecodeEvent = unknown[];

/** Feeds `bytes` to a decoder in pieces of the given sizes (cycled) and records what it reports. */
export function decodeAll(bytes: Buffer, sizes: number[], maxPacketSize = 8192): DecodeEvent[] {
  const events: DecodeEvent[] = [];
  const decoder = new ResponseDecoder(maxPacketSize, {
    onHeaders: (status, reason, headers) => events.push(['headers', status, reason, headers]),
    onBody: (data) => events.push(['body', data.toString('latin1')]),
    onFlush: () => events.push(['flush']),
    onEnd: (reuse) => events.push(['end', reuse]),
    onGetBodyChunk: (n) => events.push(['getBody', n]),
    onCPong: () => events.push(['cpong']),
  });
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const size = sizes[i++ % sizes.length] as number;
    const err = decoder.execute(bytes.subarray(off, off + size));
    off += size;
    if (err !== undefined) {
      events.push(['error', err.message, err.code]);
      break;
    }
  }
  return events;
}

/** Body pieces depend on the split; join adjacent ones so that only meaning is compared. */
export function collect(events: DecodeEvent[]): DecodeEvent[] {
  const out: DecodeEvent[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (e[0] === 'body' && prev !== undefined && prev[0] === 'body') prev[1] = `${String(prev[1])}${String(e[1])}`;
    else out.push([...e]);
  }
  return out;
}
