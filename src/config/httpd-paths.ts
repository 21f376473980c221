// Finding the files an httpd.conf names on a machine that is not the one it was written for: path prefix
// remapping, a ServerRoot that does not exist here, and "next to the including file" as a last resort.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

export interface PathRemap {
  from: string;
  to: string;
}

export interface PathContext {
  /** ServerRoot as written (may not exist here). */
  declaredRoot: string | undefined;
  /** The ServerRoot we actually use. */
  root: string;
  remap: readonly PathRemap[];
}

export interface Resolved {
  path: string;
  /** Set when we had to look somewhere other than what was written. */
  note?: string;
}

export function applyRemap(p: string, remap: readonly PathRemap[]): string {
  for (const r of remap) {
    if (p === r.from || p.startsWith(r.from.endsWith('/') ? r.from : `${r.from}/`)) return r.to + p.slice(r.from.length);
  }
  return p;
}

/** Where a written path really is, or undefined. `includingFile` is the config file that names it. */
export function locate(written: string, ctx: PathContext, includingFile: string): Resolved | undefined {
  const mapped = applyRemap(written, ctx.remap);
  const direct = isAbsolute(mapped) ? mapped : join(ctx.root, mapped);
  if (existsSync(direct)) return mapped === written ? { path: direct } : { path: direct, note: `remapped to ${direct}` };
  if (isAbsolute(written) && ctx.declaredRoot && written.startsWith(`${ctx.declaredRoot.replace(/\/$/, '')}/`)) {
    const rel = written.slice(ctx.declaredRoot.replace(/\/$/, '').length + 1);
    const p = join(ctx.root, rel);
    if (existsSync(p)) return { path: p, note: `does not exist here; using ${p} (relative to the ServerRoot in use)` };
  }
  if (isAbsolute(written)) {
    const guessRoot = conventionalRoot(written);
    if (guessRoot !== undefined) {
      const p = join(ctx.root, written.slice(guessRoot.length + 1));
      if (existsSync(p)) return { path: p, note: `does not exist here; using ${p} (same place under the ServerRoot in use)` };
    }
  }
  const beside = join(dirname(includingFile), basename(written));
  if (existsSync(beside)) return { path: beside, note: `does not exist here; using ${beside} next to ${basename(includingFile)}` };
  return undefined;
}

/** `/usr/local/apache/conf/x` -> `/usr/local/apache`: the part before a conventional conf/ directory. */
function conventionalRoot(p: string): string | undefined {
  const i = p.lastIndexOf('/conf/');
  return i > 0 ? p.slice(0, i) : undefined;
}

/** httpd's Include: a file, a directory (all files, sorted), or a glob in the last components. */
export function expandInclude(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) {
    if (!existsSync(pattern)) return [];
    if (statSync(pattern).isDirectory()) {
      return readdirSync(pattern).sort().map((f) => join(pattern, f)).filter((f) => statSync(f).isFile());
    }
    return [pattern];
  }
  const parts = resolve(pattern).split('/');
  let bases = ['/'];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?[]/.test(part)) {
        const p = join(b, part);
        if (existsSync(p)) next.push(p);
        continue;
      }
      if (!existsSync(b) || !statSync(b).isDirectory()) continue;
      const re = globRegExp(part);
      for (const f of readdirSync(b).sort()) if (re.test(f)) next.push(join(b, f));
    }
    bases = next;
  }
  return bases.filter((f) => statSync(f).isFile());
}

function globRegExp(part: string): RegExp {
  let src = '^';
  for (const ch of part) {
    if (ch === '*') src += '[^/]*';
    else if (ch === '?') src += '[^/]';
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`${src}$`);
}
