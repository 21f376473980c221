// What mod_jk forwards about a TLS connection (JkExtractSSL, from mod_ssl's SSL_* variables), read from Node's
// TLS socket so that the servlet's jakarta.servlet.request.* attributes read as they do behind Apache.

import type { TLSSocket } from 'node:tls';

export interface TlsDetails {
  /** OpenSSL's name, as SSL_CIPHER ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"). */
  cipher: string;
  keySize: number;
  /** SSL_SESSION_ID: hex; undefined when the session has none (TLS 1.2 with a session ticket). */
  session: string | undefined;
  protocol: string | undefined;
  certPem: string | undefined;
}

/**
 * Read once per connection, not per request: each read builds the peer certificate object and copies the whole
 * DER session, and a keep-alive connection keeps its handshake. Only a renegotiation could change them, and
 * there is none: ajplb never starts one, and OpenSSL 3 (Node 18 and later) refuses a client's by default.
 */
const perConnection = new WeakMap<TLSSocket, TlsDetails>();

export function tlsDetailsOf(socket: TLSSocket): TlsDetails {
  let details = perConnection.get(socket);
  if (details === undefined) {
    details = readTlsDetails(socket);
    perConnection.set(socket, details);
  }
  return details;
}

function readTlsDetails(socket: TLSSocket): TlsDetails {
  const cipher = socket.getCipher();
  const peer = socket.getPeerCertificate(false);
  let certPem: string | undefined;
  if (peer !== null && peer !== undefined && 'raw' in peer && peer.raw !== undefined) {
    const b64 = peer.raw.toString('base64').replace(/(.{64})/g, '$1\n');
    certPem = `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  }
  return {
    cipher: cipher.name,
    keySize: cipherKeyBits(cipher.name),
    session: sessionIdOf(socket.getSession()),
    protocol: socket.getProtocol() ?? undefined,
    certPem,
  };
}

/** Node does not report the symmetric key size; it is in the cipher suite's name. */
export function cipherKeyBits(name: string): number {
  const m = /AES[_-]?(\d{3})|CAMELLIA[_-]?(\d{3})/i.exec(name);
  if (m) return Number(m[1] ?? m[2]);
  if (/CHACHA20/i.test(name)) return 256;
  if (/3DES|DES-CBC3/i.test(name)) return 168;
  return 0;
}

/**
 * Node gives the whole session in OpenSSL's DER form (SSL_SESSION_ASN1: SEQUENCE { version INTEGER,
 * sslVersion INTEGER, cipher OCTET STRING, sessionId OCTET STRING, … }); the id is its fourth field.
 * Lower-case hex, as mod_ssl's SSL_SESSION_ID; undefined when absent, empty or not in that shape.
 */
export function sessionIdOf(der: Buffer | undefined): string | undefined {
  if (der === undefined || der[0] !== 0x30) return undefined;
  let at = contentStart(der, 0);
  for (let field = 0; field < 3 && at >= 0; field++) at = next(der, at);
  if (at < 0 || der[at] !== 0x04) return undefined;
  // A session id is at most 32 bytes: its length is always in the short form.
  const length = der[at + 1] ?? 0;
  if (length === 0 || length >= 0x80 || at + 2 + length > der.length) return undefined;
  return der.toString('hex', at + 2, at + 2 + length);
}

/** Offset of the content of the element at `at` (definite lengths up to 0xFFFF), or -1. */
function contentStart(der: Buffer, at: number): number {
  const first = der[at + 1];
  if (first === undefined) return -1;
  if (first < 0x80) return at + 2;
  const bytes = first & 0x7f;
  return bytes >= 1 && bytes <= 2 ? at + 2 + bytes : -1;
}

/** Offset of the element after the one at `at`, or -1. */
function next(der: Buffer, at: number): number {
  const start = contentStart(der, at);
  if (start < 0) return -1;
  const first = der[at + 1] as number;
  const length = first < 0x80 ? first : first === 0x81 ? (der[at + 2] as number) : der.readUInt16BE(at + 2);
  return start + length <= der.length ? start + length : -1;
}
