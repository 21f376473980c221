// The URI Tomcat receives, as mod_jk's default JkOptions +ForwardURIProxy makes it: the decoded, normalised
// path (dot segments resolved, '//' collapsed, ;path-params such as ;jsessionid kept) re-encoded. Tomcat thus
// sees exactly the path the mount rules were matched against, so an encoded or dotted path cannot reach a
// servlet that a JkUnMount excluded. Clean paths (nearly all) are forwarded as they came, with no work.

/** null when the path cannot be decoded (the caller has already refused such requests with 400). */
export function forwardUri(raw: string): string | null {
  if (isClean(raw)) return raw;
  let decoded: string;
  try {
    decoded = raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    return null;
  }
  const segments = decoded.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  for (let i = 1; i <= last; i++) {
    const seg = segments[i] as string;
    const semi = seg.indexOf(';');
    const name = semi < 0 ? seg : seg.slice(0, semi);
    if (name === '' && semi < 0 && i < last) continue;
    if (name === '.') {
      if (i === last) out.push('');
      continue;
    }
    if (name === '..') {
      if (out.length === 0) return null;
      out.pop();
      if (i === last) out.push('');
      continue;
    }
    out.push(encodeSegment(seg));
  }
  return `/${out.join('/')}`;
}

/** Nothing to decode, collapse, resolve or encode: the path goes to Tomcat as it came. */
function isClean(p: string): boolean {
  for (let i = 1; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c >= 128 || PATH_SAFE[c] === 0) return false;
    if (c === 47 /* / */ && p.charCodeAt(i - 1) === 47) return false;
    if (c === 46 /* . */ && p.charCodeAt(i - 1) === 47) return false;
  }
  return true;
}

// What jk_canonenc leaves alone in a path: RFC 3986 unreserved and sub-delims, ':' and '@'.
const SAFE_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@";
const SAFE = new RegExp(`[^${SAFE_CHARS}]`, 'g');
/** The same set and '/', by char code (1 = kept as is); '%' is not in it, so an escape takes the slow path. */
const PATH_SAFE = new Uint8Array(128);
const SAFE_OR_SLASH = new RegExp(`[${SAFE_CHARS}/]`);
for (let c = 0; c < 128; c++) PATH_SAFE[c] = SAFE_OR_SLASH.test(String.fromCharCode(c)) ? 1 : 0;

function encodeSegment(seg: string): string {
  return seg.replace(SAFE, (ch) => {
    const bytes = Buffer.from(ch, 'utf8');
    let s = '';
    for (const b of bytes) s += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    return s;
  });
}
