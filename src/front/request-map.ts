// HTTP request -> AJP forward request, as mod_jk fills it: the Host header gives server_name/port, the
// socket gives remote/local addresses, TLS details become the ssl_* attributes so request.isSecure() and the
// jakarta.servlet.request.* attributes work behind ajplb exactly as behind Apache.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BodyMode, ForwardRequest } from '../ajp/encode.js';
import { tlsDetailsOf } from './tls-details.js';

export interface ClientRequestShape {
  /** Raw path (no query) forwarded to Tomcat. */
  uri: string;
  query: string | undefined;
  bodyMode: BodyMode;
  /** host[:port] of an absolute-form target (`GET http://host/path`), which takes the Host header's place. */
  authority: string | undefined;
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/** Splits req.url and decides how the body travels; null when the framing is unsafe (smuggling shapes). */
export function classifyRequest(req: IncomingMessage): ClientRequestShape | string {
  let url = req.url ?? '/';
  let authority: string | undefined;
  if (url.charCodeAt(0) !== 47 /* / */) {
    // RFC 9112 3.2.2: a server accepts the absolute form, and its authority names the host (httpd sets
    // r->hostname from it and forwards the path).
    const m = ABSOLUTE_FORM.exec(url);
    if (m !== null) {
      const userinfoEnd = (m[1] as string).lastIndexOf('@');
      authority = (m[1] as string).slice(userinfoEnd + 1);
      url = url.slice(m[0].length);
      if (url.charCodeAt(0) !== 47) url = `/${url}`;
    }
  }
  // A fragment is the client's own business (RFC 9110 4.2.5); httpd answers a target carrying one 400.
  if (url.includes('#')) return 'fragment in the request target';
  const q = url.indexOf('?');
  const uri = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? undefined : url.slice(q + 1);
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) return 'both Content-Length and Transfer-Encoding';
    if (!/(?:^|,)\s*chunked\s*$/i.test(te)) return 'Transfer-Encoding without final chunked';
    return { uri, query, bodyMode: 'chunked', authority };
  }
  if (cl !== undefined) {
    // Node already refuses differing duplicates; a non-numeric value is refused here.
    if (!/^\d+$/.test(cl)) return 'invalid Content-Length';
    return { uri, query, bodyMode: cl === '0' || /^0+$/.test(cl) ? 'none' : 'length', authority };
  }
  return { uri, query, bodyMode: 'none', authority };
}

/** Strips the IPv4-mapped prefix Node reports on dual-stack sockets, as Apache shows plain IPv4. */
export function plainAddress(addr: string | undefined): string {
  if (addr === undefined) return '';
  return addr.startsWith('::ffff:') && addr.indexOf('.') > 0 ? addr.slice(7) : addr;
}

/**
 * server_name / server_port as httpd's ap_get_server_name/port give them to mod_jk (UseCanonicalName Off): the
 * Host header's name and port; without a port the scheme's default, without a Host (HTTP/1.0) the listener's
 * address (httpd: its ServerName) and again the default port, not the port the listener is on.
 */
export function serverNameAndPort(host: string | undefined, localAddr: string, isSsl: boolean): [string, number] {
  let port = isSsl ? 443 : 80;
  if (host === undefined || host === '') return [localAddr, port];
  let name = host;
  const close = host.charCodeAt(0) === 91 /* [ */ ? host.indexOf(']') : -1;
  const colon = host.lastIndexOf(':');
  if (colon > close) {
    name = host.slice(0, colon);
    const p = Number(host.slice(colon + 1));
    if (Number.isInteger(p) && p > 0 && p < 65536) port = p;
  }
  // As httpd's fix_hostname: lower case, and an IPv6 literal without its brackets.
  if (close > 0) name = name.slice(1, close);
  return [name.toLowerCase(), port];
}

/**
 * httpd joins the values of a request header field sent more than once into its first line, with ", "
 * (RFC 9110 5.3), so behind mod_jk the application sees one `X-Forwarded-For: a, b`, not two. The same array
 * comes back when nothing repeats, as almost always.
 */
export function mergeRepeatedFields(raw: string[]): string[] {
  let merged: string[] | null = null;
  for (let i = 2; i < raw.length; i += 2) {
    const first = firstWithName(raw, i);
    if (first < 0) {
      merged?.push(raw[i] as string, raw[i + 1] as string);
      continue;
    }
    merged ??= raw.slice(0, i);
    const at = outputIndex(merged, raw[first] as string);
    merged[at + 1] = `${merged[at + 1] as string}, ${raw[i + 1] as string}`;
  }
  return merged ?? raw;
}

/** Index of the first field before `i` named as raw[i] (any case), or -1. */
function firstWithName(raw: string[], i: number): number {
  const name = raw[i] as string;
  for (let j = 0; j < i; j += 2) {
    if (sameFieldName(raw[j] as string, name)) return j;
  }
  return -1;
}

/** ASCII case-insensitive equality of two field names (tokens), without lower-casing copies. */
function sameFieldName(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a.charCodeAt(k);
    const y = b.charCodeAt(k);
    if (x === y) continue;
    const folded = x | 0x20;
    if (folded !== (y | 0x20) || folded < 0x61 || folded > 0x7a) return false;
  }
  return true;
}

function outputIndex(merged: string[], name: string): number {
  for (let j = 0; j < merged.length; j += 2) if (merged[j] === name) return j;
  return -1;
}

export interface ForwardContext {
  shape: ClientRequestShape;
  route: string;
  secret: string | undefined;
  activation: string;
}

/** Builds the forward request; one small object and one attribute array per request. */
export function buildForwardRequest(req: IncomingMessage, ctx: ForwardContext): ForwardRequest {
  const socket = req.socket;
  const isSsl = (socket as TLSSocket).encrypted === true;
  const localAddr = plainAddress(socket.localAddress);
  const remoteAddr = plainAddress(socket.remoteAddress);
  const [serverName, serverPort] = serverNameAndPort(ctx.shape.authority ?? req.headers.host, localAddr, isSsl);
  const attributes = ['AJP_REMOTE_PORT', String(socket.remotePort ?? 0), 'AJP_LOCAL_ADDR', localAddr, 'JK_LB_ACTIVATION', ctx.activation];
  const fr: ForwardRequest = {
    method: req.method ?? 'GET',
    protocol: `HTTP/${req.httpVersion}`,
    uri: ctx.shape.uri,
    remoteAddr,
    remoteHost: remoteAddr,
    serverName,
    serverPort,
    isSsl,
    headers: mergeRepeatedFields(req.rawHeaders),
    bodyMode: ctx.shape.bodyMode,
    queryString: ctx.shape.query,
    route: ctx.route,
    secret: ctx.secret,
    attributes,
  };
  if (isSsl) {
    const tls = tlsDetailsOf(socket as TLSSocket);
    fr.sslCipher = tls.cipher;
    fr.sslKeySize = tls.keySize;
    fr.sslSession = tls.session;
    fr.sslCert = tls.certPem;
    if (tls.protocol !== undefined) attributes.push('AJP_SSL_PROTOCOL', tls.protocol);
  }
  return fr;
}
