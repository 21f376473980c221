// The V8 flags ajplb is meant to run with (package.json start, the Dockerfile, conf/ajplb.service and the bin
// shebang pass them; a --procs primary hands them to its workers itself).
//
// --initial-old-space-size=64: measured under 1 MiB uploads (bench/, light backend, 16 connections): on its
// ~10 MB heap V8 started a full mark-compact every ~50 ms ("allocation limit"), about 70 in 4 s; with a 64 MB
// initial old space 4, and ~20 % less CPU per upload. Small requests are unchanged; peak RSS moves by a few MB.

import { setFlagsFromString } from 'node:v8';

export const V8_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** Whether the operator's node flags already set `flag` (V8 takes - and _ alike in names). */
function given(execArgv: readonly string[], flag: string): boolean {
  const name = flag.split('=')[0] as string;
  return execArgv.some((a) => a.replace(/_/g, '-').split('=')[0] === name);
}

/** execArgv for a worker process: ours added where the operator did not set the same flag. */
export function withV8Flags(execArgv: readonly string[]): string[] {
  return [...execArgv, ...V8_FLAGS.filter((f) => !given(execArgv, f))];
}

/** Worker threads take V8's flags as they are when the thread starts: set ours before starting any. */
export function applyV8FlagsToNewThreads(execArgv: readonly string[] = process.execArgv): void {
  for (const f of V8_FLAGS) if (!given(execArgv, f)) setFlagsFromString(f);
}
