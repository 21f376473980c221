// The path mod_jk matches mounts against: httpd's decoded r->uri, then jk_servlet_normalize (strip ;params
// from every segment, collapse '//', drop '.' segments, resolve '..'). null means "answer 400".
// Decoding rejects what httpd (AllowEncodedSlashes Off) and Tomcat reject by default: an encoded '/' (%2F),
// an encoded NUL, a malformed %-escape and bytes that are not UTF-8.

/** Decoded, normalized path for mount matching, or null when the request must be refused with 400. */
export function normalizePath(rawPathWithoutQuery: string): string | null {
  let path = rawPathWithoutQuery;
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  if (path.charCodeAt(0) !== 47 /* / */) return null;
  if (isAlreadyNormal(path)) return path;
  if (path.includes('%')) {
    const decoded = decode(path);
    if (decoded === null) return null;
    path = decoded;
  }
  return servletNormalize(path);
}

/**
 * What httpd's ap_unescape_url finds wrong with the %-escapes of a path, answered before mod_jk sees it: a
 * malformed escape ('malformed', 400) wins over an encoded '/' or NUL ('badpath', 404, AllowEncodedSlashes Off).
 */
export function escapeProblem(path: string): 'malformed' | 'badpath' | null {
  let problem: 'badpath' | null = null;
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
    const hi = hex(path.charCodeAt(i + 1));
    const lo = hex(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return 'malformed';
    const byte = hi * 16 + lo;
    if (byte === 0x2f || byte === 0) problem = 'badpath';
  }
  return problem;
}

/** Fast path: nothing to decode, no params, no empty or dot segments. */
function isAlreadyNormal(p: string): boolean {
  for (let i = 1; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 37 /* % */ || c === 59 /* ; */) return false;
    if (c === 47 /* / */ && p.charCodeAt(i - 1) === 47) return false;
    if (c === 46 /* . */ && p.charCodeAt(i - 1) === 47) return false;
  }
  return true;
}

function decode(p: string): string | null {
  if (escapeProblem(p) !== null) return null;
  try {
    return decodeURIComponent(p);
  } catch {
    return null;
  }
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** jk_servlet_normalize, pass by pass; the input starts with '/'. */
export function servletNormalize(input: string): string | null {
  // 1: remove ;params up to the next '/'
  let p = input;
  if (p.includes(';')) {
    let out = '';
    for (let i = 0; i < p.length; i++) {
      if (p[i] === ';') {
        while (i + 1 < p.length && p[i + 1] !== '/') i++;
      } else {
        out += p[i];
      }
    }
    p = out;
  }
  // 2: collapse runs of '/'
  if (p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  // 3 and 4: walk the segments, dropping '.' and resolving '..'
  const segs = p.split('/');
  const out: string[] = [];
  const last = segs.length - 1;
  for (let i = 1; i <= last; i++) {
    const s = segs[i]!;
    if (s === '.') {
      if (i === last) out.push('');
      continue;
    }
    if (s === '..') {
      if (out.length === 0 || (out.length === 1 && out[0] === '')) return null;
      out.pop();
      if (i === last) out.push('');
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}`;
}
