// Session ids as mod_jk's get_sessionid finds them (jk_lb_worker.c get_path_param / get_cookie).

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * The session ids of a request, in the order mod_jk tries them: the `session_path` path parameter
 * (`;jsessionid=...`, value ends at '?', ';' or '/') when present — and then only that one, as in
 * mod_jk — otherwise every cookie named exactly `sessionCookie` across all Cookie headers, surrounding
 * quotes removed. Empty ids are dropped (mod_jk logs them and ignores the session).
 */
export function sessionIdsFrom(
  path: string,
  cookieHeader: string | string[] | undefined,
  sessionPath: string,
  sessionCookie: string,
): string[] {
  const ids: string[] = [];
  const fromPath = pathParam(path, sessionPath);
  if (fromPath !== null) {
    if (fromPath.length > 0) ids.push(fromPath);
    return ids;
  }
  if (cookieHeader === undefined) return ids;
  if (typeof cookieHeader === 'string') cookieValues(cookieHeader, sessionCookie, ids);
  else for (const h of cookieHeader) cookieValues(h, sessionCookie, ids);
  return ids;
}

function pathParam(uri: string, name: string): string | null {
  if (name.length === 0) return null;
  for (let at = uri.indexOf(name); at >= 0; at = uri.indexOf(name, at + 1)) {
    const eq = at + name.length;
    if (uri.charCodeAt(eq) !== 61 /* = */ || eq + 1 >= uri.length) continue;
    let end = uri.length;
    // mod_jk cuts at '?', then ';', then '/': the first of them wins.
    for (let i = eq + 1; i < uri.length; i++) {
      const c = uri.charCodeAt(i);
      if (c === 63 || c === 59 || c === 47) {
        end = i;
        break;
      }
    }
    return uri.slice(eq + 1, end);
  }
  return null;
}

function cookieValues(header: string, name: string, out: string[]): void {
  if (name.length === 0) return;
  for (let at = header.indexOf(name); at >= 0; at = header.indexOf(name, at + 1)) {
    if (at > 0) {
      const prev = header.charCodeAt(at - 1);
      if (prev !== 59 && prev !== 44 && !isSpace(prev)) continue;
    }
    let i = at + name.length;
    while (i < header.length && isSpace(header.charCodeAt(i))) i++;
    if (header.charCodeAt(i) !== 61 || i + 1 >= header.length) continue;
    const start = i + 1;
    let end = start;
    while (end < header.length) {
      const c = header.charCodeAt(end);
      if (c === 59 || c === 44) break;
      end++;
    }
    let s = start;
    let e = end;
    if (e - s > 1 && header.charCodeAt(s) === 34 && header.charCodeAt(e - 1) === 34) {
      s++;
      e--;
    }
    if (e > s) out.push(header.slice(s, e));
    at = end - 1 < at ? at : end - 1;
  }
}

/** The route part of a session id: everything after the FIRST '.', or '' when there is none. */
export function routeOfSessionId(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? '' : id.slice(dot + 1);
}
