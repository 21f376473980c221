// Seed and corpus files name private-range hosts; tests must never contact them. This copies a config
// directory and rewrites every worker's host to 127.0.0.1 and its port through a caller-given map.

import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type PortMap = (worker: string, host: string, port: number) => number;

export interface LoopbackCopy {
  dir: string;
  remove(): void;
}

export function rewriteWorkers(text: string, mapPort: PortMap): string {
  const hosts = new Map<string, string>();
  for (const m of text.matchAll(/^\s*worker\.([^.\s]+)\.host\s*=\s*(.*?)\s*$/gm)) hosts.set(m[1] as string, m[2] as string);
  return text
    .replace(/^(\s*worker\.[^.\s]+\.host\s*=).*$/gm, '$1127.0.0.1')
    .replace(/^(\s*worker\.([^.\s]+)\.port\s*=\s*)(\d+)\s*$/gm, (_, prefix: string, worker: string, port: string) =>
      `${prefix}${mapPort(worker, hosts.get(worker) ?? 'localhost', Number(port))}`);
}

/** Copies `src` to a temp dir and rewrites every *.properties file that defines workers. */
export function loopbackCopy(src: string, mapPort: PortMap): LoopbackCopy {
  const dir = mkdtempSync(join(tmpdir(), 'ajplb-seed-'));
  cpSync(src, dir, { recursive: true });
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.properties')) {
        const text = readFileSync(p, 'utf8');
        if (/^\s*worker\./m.test(text)) writeFileSync(p, rewriteWorkers(text, mapPort));
      }
    }
  };
  walk(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
