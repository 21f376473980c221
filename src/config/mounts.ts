// Mount rules (uriworkermap.properties lines, JkMount, worker.X.mount) -> MountRule, as jk_uri_worker_map.c
// reads them: `X|Y` is both X and XY, a leading '-' disables, then '!' excludes, ';ext=val' after the worker.
import type { Diagnostics } from './diagnostics.js';
import { hintFor } from './diagnostics.js';
import { readProperties } from './properties.js';
import type { MountExtensions, MountRule, MountSource, SourceRef } from './types.js';
import { parseJkBool, splitJkList } from './values.js';

const EXTENSIONS = [
  'reply_timeout', 'sticky_ignore', 'stateless', 'active', 'disabled', 'stopped', 'fail_on_status',
  'use_server_errors', 'session_cookie', 'session_path', 'set_session_cookie', 'session_cookie_path',
] as const;

export interface MountParseOptions {
  /** JkMount refuses a path without a leading '/' (httpd stops); the uriworkermap file only logs it. */
  fatalBadPath: boolean;
}

/** One written rule, expanded to one or two MountRules. */
export function parseMountRule(
  patternText: string, workerSpec: string, source: MountSource, ref: SourceRef, diag: Diagnostics, opts: MountParseOptions,
): MountRule[] {
  const bar = patternText.indexOf('|');
  const patterns = bar >= 0
    ? [patternText.slice(0, bar), patternText.slice(0, bar) + patternText.slice(bar + 1)]
    : [patternText];
  const { worker, extensions } = parseWorkerSpec(workerSpec, ref, patternText, diag);
  const out: MountRule[] = [];
  for (let p of patterns) {
    let disabled = false;
    let exclude = false;
    if (p.startsWith('-')) {
      disabled = true;
      p = p.slice(1);
    }
    if (p.startsWith('!')) {
      exclude = true;
      p = p.slice(1);
    }
    if (!p.startsWith('/')) {
      const msg = `mount pattern '${p}' does not begin with '/'`;
      if (opts.fatalBadPath) diag.error(ref, patternText, `${msg}; httpd refuses to start`, `write '/${p}'`);
      else diag.warn(ref, patternText, `${msg}; mod_jk ignores the rule`, `write '/${p}'`);
      continue;
    }
    if (worker === '') {
      diag.warn(ref, patternText, 'no worker named; the rule is ignored');
      continue;
    }
    out.push({ pattern: p, worker, exclude, disabled, extensions, source, defined: ref });
  }
  return out;
}

/** parse_rule_extensions: the first ';' token is the worker, the rest are `name=value`. */
function parseWorkerSpec(spec: string, ref: SourceRef, directive: string, diag: Diagnostics): { worker: string; extensions: MountExtensions } {
  const tokens = spec.split(';').filter((t) => t.length > 0);
  const worker = (tokens.shift() ?? '').trim();
  const ext: MountExtensions = {};
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const eq = tok.indexOf('=');
    const name = eq >= 0 ? tok.slice(0, eq) : tok;
    const value = eq >= 0 ? tok.slice(eq + 1) : '';
    switch (eq >= 0 ? name : '') {
      case 'reply_timeout': ext.replyTimeoutMs = atoi(value); break;
      case 'sticky_ignore': ext.stickyIgnore = atoi(value) !== 0; break;
      case 'stateless': ext.stateless = atoi(value) !== 0; break;
      case 'use_server_errors': ext.useServerErrors = atoi(value); break;
      case 'active': once(ext, 'active', splitMembers(value), ref, directive, diag); break;
      case 'disabled': once(ext, 'disabled', splitMembers(value), ref, directive, diag); break;
      case 'stopped': once(ext, 'stopped', splitMembers(value), ref, directive, diag); break;
      case 'fail_on_status': once(ext, 'failOnStatus', splitJkList(value).map(atoi), ref, directive, diag); break;
      case 'session_cookie': once(ext, 'sessionCookie', value, ref, directive, diag); break;
      case 'session_path':
        // `session_path=;jsessionid`: the ';' split the value off into the next token.
        if (value === '' && i + 1 < tokens.length) once(ext, 'sessionPath', `;${tokens[++i]!}`, ref, directive, diag);
        else once(ext, 'sessionPath', value, ref, directive, diag);
        break;
      case 'set_session_cookie': once(ext, 'setSessionCookie', parseJkBool(value, atoi(value) !== 0).value, ref, directive, diag); break;
      case 'session_cookie_path': once(ext, 'sessionCookiePath', value, ref, directive, diag); break;
      default:
        diag.warn(ref, directive, `unknown rule extension '${tok}'; mod_jk ignores it`,
          hintFor(name, EXTENSIONS, `allowed: ${EXTENSIONS.join(', ')}`));
    }
  }
  return { worker, extensions: ext };
}

function once<K extends keyof MountExtensions>(
  ext: MountExtensions, key: K, value: MountExtensions[K], ref: SourceRef, directive: string, diag: Diagnostics,
): void {
  if (ext[key] !== undefined) {
    diag.warn(ref, directive, `rule extension '${key}' given twice; mod_jk keeps the first`);
    return;
  }
  ext[key] = value;
}

function splitMembers(v: string): string[] {
  return v.split(/[ ,]+/).filter((s) => s.length > 0);
}

/** C atoi: leading integer or 0. */
function atoi(s: string): number {
  const n = Number.parseInt(s.trim(), 10);
  return Number.isNaN(n) ? 0 : n;
}

/** uriworkermap.properties: a properties file read with overwrite-on-repeat, one rule per key. */
export function readUriWorkerMap(text: string, file: string, diag: Diagnostics, env?: Record<string, string | undefined>): MountRule[] {
  const map = readProperties(text, file, diag, { mode: 'mounts', env: env ?? {} });
  const rules: MountRule[] = [];
  for (const e of map.entries.values()) {
    rules.push(...parseMountRule(e.key, e.value, 'uriworkermap', e.ref, diag, { fatalBadPath: false }));
  }
  return rules;
}
