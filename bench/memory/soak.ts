// The soak: wrk at 64 keep-alive connections for N minutes through one ajplb over the light AJP backend. "Flat"
// is judged against the warm-up (the first minute): no RSS sample later may exceed the warm-up's peak by more
// than 10 %, and the least-squares trend over the rest of the run may not add up to more than 10 % either. The
// peak rather than one sample is the reference because RSS moves in steps of 10-15 MiB as malloc takes and gives
// back the Buffers of streamed bodies (V8's heap stays level): which step the warm-up happened to end on would
// otherwise decide the verdict. In the 10-minute soak (~3 M requests) a leak of 10 bytes per request would
// already climb past both limits.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../fronts.js';
import { runWrk, writeScript, type LoadSpec } from '../wrk.js';
import { measured, mib, type CheckContext, type CheckResult } from './front.js';
import { maxOf, median, minOf, slopePerMinute } from './rss.js';

/** Allowed rise after the warm-up, relative to the warm-up's peak: for any sample and for the fitted trend. */
const TOLERANCE = 0.1;
const CONNECTIONS = 64;

/**
 * wrk repeats one request by default; a mix walks more of ajplb: small answers with and without a
 * sticky session cookie, a 100 KiB response streamed in AJP chunks, and a 64 KiB request body sent on
 * GET_BODY_CHUNK requests. Each wrk thread cycles through the prepared requests (no per-request formatting).
 */
const MIX_LUA = `
-- bench/memory soak: a mix of requests instead of one (appended after bench/wrk.ts's script, so this wins).
local mix = {}
local n = 0
function init(args)
  local sticky = { ["Cookie"] = "JSESSIONID=0123456789ABCDEF0123456789ABCDEF.was1" }
  local post = { ["Content-Type"] = "application/octet-stream" }
  for i = 1, 3 do
    mix[#mix + 1] = wrk.format("GET", "/status?code=200", {})
    mix[#mix + 1] = wrk.format("GET", "/status?code=200", sticky)
  end
  mix[#mix + 1] = wrk.format("GET", "/static/100k.bin", {})
  mix[#mix + 1] = wrk.format("POST", "/upload", post, string.rep("a", 65536))
end
function request()
  n = n % #mix + 1
  return mix[n]
end
`;

export async function soak(ctx: CheckContext, light: Backend, minutes: number, threads: number): Promise<CheckResult> {
  const durationSec = Math.round(minutes * 60);
  // The first minute, or half of a run under two minutes (RSS reaches its working level in about 20 s).
  const warmupSec = Math.min(60, durationSec / 2);
  const spec: LoadSpec = { path: '/status?code=200', keepAlive: true, connections: CONNECTIONS, threads, durationSec };
  const script = writeScript(ctx.scratch, 'memory-soak', spec);
  appendFileSync(script, MIX_LUA);
  const end = await measured(ctx, 'soak', light, [], async (m) => {
    const { result, output } = await runWrk(m.front.port, script, spec);
    appendFileSync(join(ctx.rawDir, 'soak.log'), output);
    return result;
  });
  const wrk = end.value;
  const warm = end.samples.filter((s) => s.sec <= warmupSec);
  const warmPeak = maxOf(warm);
  const warmEnd = median(warm.filter((s) => s.sec > warmupSec - 10).map((s) => s.rssMiB));
  const after = end.samples.filter((s) => s.sec > warmupSec);
  const low = minOf(after);
  const high = maxOf(after);
  const over = high / warmPeak - 1;
  const trend = slopePerMinute(after);
  const afterMinutes = ((after.at(-1)?.sec ?? warmupSec) - warmupSec) / 60;
  const rise = (trend * afterMinutes) / warmPeak;
  const reqPerSec = wrk.requests / wrk.durationSec;
  const pass = wrk.errors === 0 && after.length > 0 && over <= TOLERANCE && rise <= TOLERANCE;
  const errors = wrk.errors === 0 ? '' : `, ${wrk.errors} errors ${JSON.stringify(wrk.errorDetail)}`;
  const pct = (ratio: number): string => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)} %`;
  return {
    id: 'soak',
    title: `${minutes} min at ${CONNECTIONS} connections (light backend): RSS after the warm-up at most ${TOLERANCE * 100} % over it, no rising trend`,
    pass,
    line: `${Math.round(reqPerSec)} req/s; RSS in the ${warmupSec} s warm-up up to ${mib(warmPeak)} MiB (${mib(warmEnd)} at its end), `
      + `then ${mib(low)}..${mib(high)} MiB (max ${pct(over)}; trend ${trend.toFixed(2)} MiB/min = ${pct(rise)} over ${afterMinutes.toFixed(1)} min); `
      + `VmHWM ${mib(end.peakMiB)} MiB${errors}`,
    figures: {
      'duration s': durationSec, 'warm-up s': warmupSec, requests: wrk.requests, 'req/s': Math.round(reqPerSec), errors: wrk.errors,
      'p99 ms': wrk.latencyUs.p99 / 1000, 'RSS warm-up peak MiB': mib(warmPeak), 'RSS at warm-up end MiB': mib(warmEnd),
      'RSS min after MiB': mib(low), 'RSS max after MiB': mib(high), 'RSS last MiB': mib(after.at(-1)?.rssMiB ?? Number.NaN),
      'max over warm-up peak %': Number((over * 100).toFixed(1)), 'max over warm-up end %': Number(((high / warmEnd - 1) * 100).toFixed(1)),
      'min under warm-up end %': Number(((1 - low / warmEnd) * 100).toFixed(1)), 'trend MiB/min': Number(trend.toFixed(3)),
      'trend over the run %': Number((rise * 100).toFixed(1)), 'VmHWM MiB': mib(end.peakMiB), ...end.admin,
    },
    samples: end.samples,
  };
}
