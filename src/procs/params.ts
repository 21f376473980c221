// What the CLI hands to --procs: its parsed options as the few values and functions the primary and the
// workers need, so src/procs never parses flags or reads files itself.

import { availableParallelism } from 'node:os';
import type { AppConfig } from '../config/types.js';
import type { ListenSpec } from '../front/server.js';

export interface ProcsParams {
  /** Serving processes (> 1 here: 1 is the plain single-process path). */
  procs: number;
  /** --procs-mode: auto, threads or processes (see port-sharing.ts procsMode). */
  procsMode: string;
  /** Loads and validates the configuration files again (reload; each worker at start). */
  load(): AppConfig;
  listen(config: AppConfig): ListenSpec[];
  /** The public admin listener address, or 'off'. */
  admin: string;
  adminToken: string | undefined;
  drainTimeoutSec: number;
  maxBodyBytes: number;
  /** --keep-alive-timeout in ms: each worker's front closes client connections idle this long. */
  keepAliveTimeoutMs: number;
  accessLog: string;
  logLevel: string;
  version: string;
  /** --body-ahead. */
  bodyAhead: boolean;
}

export const MAX_PROCS = 256;

/** `--procs N|auto`: auto is one serving process per core Node may use (os.availableParallelism()). */
export function parseProcs(text: string): number {
  if (text.trim().toLowerCase() === 'auto') return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCS) throw new Error(`--procs: expected a number from 1 to ${MAX_PROCS} or "auto", got "${text}"`);
  return n;
}
