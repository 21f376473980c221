// A properties reader with mod_jk's own rules (jk_map.c): '#' starts a comment anywhere, keys and values are
// trimmed, the first '=' splits, no line continuation, $(var) from earlier keys then the environment,
// repeated keys joined or overwritten, and reference= inheritance resolved afterwards (depth 20).
// The `ini` package was considered and not used: it treats ';' and '[' specially, which mod_jk does not.
import type { SourceRef } from './types.js';
import type { Diagnostics } from './diagnostics.js';
import { FIRST_WINS_ATTRS, LIST_ATTRS, splitWorkerKey } from './workers-schema.js';

export interface PropertyEntry {
  key: string;
  value: string;
  /** The line that gave the current value (the template's line for an inherited entry). */
  ref: SourceRef;
  /** Every line that contributed, in order. */
  refs: SourceRef[];
  /** Set when the entry was copied from a reference= template. */
  inheritedFrom?: string;
}

export interface RawLine {
  ref: SourceRef;
  text: string;
}

export interface PropertyMap {
  file: string;
  /** Insertion order is file order, like mod_jk's map. */
  entries: Map<string, PropertyEntry>;
  /** Every physical line as read, for dumps and messages. */
  lines: RawLine[];
}

/** 'workers': mod_jk's JK_MAP_HANDLE_DUPLICATES (lists joined). 'mounts': JK_MAP_HANDLE_NORMAL (overwrite). */
export type DuplicateMode = 'workers' | 'mounts';

export interface ReadOptions {
  mode: DuplicateMode;
  env?: Record<string, string | undefined>;
}

const MAX_LINE = 8192;
const MAX_SUBSTITUTIONS = 20;

export function readProperties(text: string, file: string, diag: Diagnostics, opts: ReadOptions): PropertyMap {
  const map: PropertyMap = { file, entries: new Map(), lines: [] };
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  for (let i = 0; i < physical.length; i++) addPropertyLine(map, physical[i]!, { file, line: i + 1 }, diag, opts);
  return map;
}

/** Read one more line into a map (also how httpd's JkWorkerProperty lines join the workers file). */
export function addPropertyLine(map: PropertyMap, raw: string, ref: SourceRef, diag: Diagnostics, opts: ReadOptions): void {
  map.lines.push({ ref, text: raw.endsWith('\r') ? raw.slice(0, -1) : raw });
  if (raw.length > MAX_LINE) {
    diag.warn(ref, undefined, `line longer than ${MAX_LINE} characters; mod_jk would split it`);
  }
  const hash = raw.indexOf('#');
  const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
  if (body === '') return;
  const eq = body.indexOf('=');
  if (eq < 0) {
    diag.warn(ref, body, "not a property (no '='); mod_jk ignores the line", 'write key=value');
    return;
  }
  const key = body.slice(0, eq).trim();
  let value = body.slice(eq + 1).trim();
  if (key === '' || value === '') {
    diag.warn(ref, key || body, key === '' ? 'empty key; line ignored' : 'empty value; line ignored, as in mod_jk');
    return;
  }
  if (value.endsWith('\\')) {
    diag.warn(ref, key, "mod_jk has no line continuation: the '\\' stays in the value and the next line stands alone");
  }
  value = substitute(value, map, opts.env ?? {});
  store(map, key, value, ref, diag, opts.mode);
}

/** jk_map_replace_properties: left to right, at most 20 times, never re-scanning substituted text. */
function substitute(value: string, map: PropertyMap, env: Record<string, string | undefined>): string {
  let out = value;
  let from = 0;
  for (let n = 0; n <= MAX_SUBSTITUTIONS; n++) {
    const start = out.indexOf('$(', from);
    if (start < 0) break;
    const end = out.indexOf(')', start);
    if (end < 0) break;
    const name = out.slice(start + 2, end);
    const v = map.entries.get(name)?.value ?? env[name];
    if (v === undefined) {
      from = end;
      continue;
    }
    out = out.slice(0, start) + v + out.slice(end + 1);
    from = start + v.length;
  }
  return out;
}

function attrOf(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot >= 0 ? key.slice(dot + 1) : key;
}

function store(map: PropertyMap, key: string, value: string, ref: SourceRef, diag: Diagnostics, mode: DuplicateMode) {
  const old = map.entries.get(key);
  if (!old) {
    map.entries.set(key, { key, value, ref, refs: [ref] });
    return;
  }
  const prevLine = old.ref.line;
  old.refs.push(ref);
  const attr = attrOf(key);
  const isWorkerKey = key.startsWith('worker.');
  if (mode === 'workers' && isWorkerKey && (LIST_ATTRS.has(attr) || key === 'worker.list')) {
    old.value = `${old.value},${value}`;
    return;
  }
  if (mode === 'workers' && isWorkerKey && (FIRST_WINS_ATTRS.has(attr) || key === 'worker.maintain')) {
    diag.warn(ref, key, `repeated (first at line ${prevLine}); mod_jk keeps the first value '${old.value}', so '${value}' is ignored`,
      'remove one of the two lines');
    return;
  }
  diag.warn(ref, key, `repeated (first at line ${prevLine}); '${old.value}' is overwritten with '${value}'`,
    'remove one of the two lines');
  old.value = value;
  old.ref = ref;
}

/**
 * jk_map_resolve_references(m, "worker.", wildcard, ...): every `worker.X.reference=worker.T` copies each
 * `worker.T.*` key that X lacks, after T's own references are resolved. Errors are what mod_jk refuses.
 */
export function resolveReferences(map: PropertyMap, diag: Diagnostics): void {
  const done = new Set<string>();
  for (const entry of [...map.entries.values()]) {
    const parts = splitWorkerKey(entry.key);
    if (!parts || parts.attr !== 'reference') continue;
    resolveOne(map, `worker.${parts.worker}`, diag, 1, done, []);
  }
}

function resolveOne(map: PropertyMap, prefix: string, diag: Diagnostics, depth: number, done: Set<string>, chain: string[]): boolean {
  if (done.has(prefix)) return true;
  const refEntry = map.entries.get(`${prefix}.reference`);
  if (!refEntry) return true;
  const target = refEntry.value;
  if (depth > 20 || chain.includes(prefix)) {
    diag.error(refEntry.ref, refEntry.key, `reference chain deeper than 20 (or circular): ${[...chain, prefix].join(' -> ')}`,
      'break the cycle; a template must not reference its user');
    done.add(prefix);
    return false;
  }
  if (!resolveOne(map, target, diag, depth + 1, done, [...chain, prefix])) {
    done.add(prefix);
    return false;
  }
  const from = `${target}.`;
  const to = `${prefix}.`;
  let found = false;
  for (const e of [...map.entries.values()]) {
    if (!e.key.startsWith(from)) continue;
    found = true;
    const k = to + e.key.slice(from.length);
    if (!map.entries.has(k)) {
      map.entries.set(k, { key: k, value: e.value, ref: e.ref, refs: [e.ref], inheritedFrom: target });
    }
  }
  if (!found) {
    const names = [...new Set([...map.entries.keys()].map((k) => splitWorkerKey(k)?.worker).filter((w) => w))];
    const guess = names.map((n) => `worker.${n}`);
    diag.error(refEntry.ref, refEntry.key, `reference '${target}' not found: no '${from}*' keys exist`,
      hintOrFullPrefix(target, guess));
  }
  done.add(prefix);
  return found;
}

function hintOrFullPrefix(target: string, candidates: string[]): string {
  if (!target.startsWith('worker.')) return `write the full prefix, e.g. 'worker.${target}'`;
  return candidates.length ? `known prefixes: ${candidates.slice(0, 8).join(', ')}` : 'define the template first';
}
