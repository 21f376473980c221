// AJP13 wire constants, as Tomcat's AjpProcessor and mod_jk's jk_ajp_common define them.

/** Web server -> container packets start with 0x12 0x34. */
export const MAGIC_TO_CONTAINER = 0x1234;
/** Container -> web server packets start with 'A' 'B'. */
export const MAGIC_FROM_CONTAINER = 0x4142;

export const HEADER_LENGTH = 4;
export const DEFAULT_PACKET_SIZE = 8192;
export const MIN_PACKET_SIZE = 8192;
export const MAX_PACKET_SIZE = 65536;
/** A request-body packet carries 2 more bytes of length after the packet header. */
export const BODY_PACKET_OVERHEAD = 6;
/** SEND_BODY_CHUNK: header(4) + type(1) + length(2) + trailing NUL(1). */
export const SEND_BODY_CHUNK_OVERHEAD = 8;

export const RequestType = {
  ForwardRequest: 2,
  Shutdown: 7,
  Ping: 8,
  CPing: 10,
} as const;

export const ResponseType = {
  SendBodyChunk: 3,
  SendHeaders: 4,
  EndResponse: 5,
  GetBodyChunk: 6,
  CPong: 9,
} as const;

/** HTTP method -> AJP method byte. Anything absent goes as 0xFF + the stored_method attribute. */
export const METHOD_CODES: ReadonlyMap<string, number> = new Map([
  ['OPTIONS', 1], ['GET', 2], ['HEAD', 3], ['POST', 4], ['PUT', 5], ['DELETE', 6], ['TRACE', 7],
  ['PROPFIND', 8], ['PROPPATCH', 9], ['MKCOL', 10], ['COPY', 11], ['MOVE', 12], ['LOCK', 13], ['UNLOCK', 14],
  ['ACL', 15], ['REPORT', 16], ['VERSION-CONTROL', 17], ['CHECKIN', 18], ['CHECKOUT', 19], ['UNCHECKOUT', 20],
  ['SEARCH', 21], ['MKWORKSPACE', 22], ['UPDATE', 23], ['LABEL', 24], ['MERGE', 25], ['BASELINE-CONTROL', 26],
  ['MKACTIVITY', 27],
]);
export const METHOD_STORED = 0xff;

/** Request header names Tomcat knows by code (0xA0xx); keys are lower case. */
export const REQUEST_HEADER_CODES: ReadonlyMap<string, number> = new Map([
  ['accept', 0xa001], ['accept-charset', 0xa002], ['accept-encoding', 0xa003], ['accept-language', 0xa004],
  ['authorization', 0xa005], ['connection', 0xa006], ['content-type', 0xa007], ['content-length', 0xa008],
  ['cookie', 0xa009], ['cookie2', 0xa00a], ['host', 0xa00b], ['pragma', 0xa00c], ['referer', 0xa00d],
  ['user-agent', 0xa00e],
]);

/** Response header codes 0xA001..0xA00B, index = code & 0xff. */
export const RESPONSE_HEADER_NAMES: readonly string[] = [
  '', 'Content-Type', 'Content-Language', 'Content-Length', 'Date', 'Last-Modified', 'Location',
  'Set-Cookie', 'Set-Cookie2', 'Servlet-Engine', 'Status', 'WWW-Authenticate',
];

export const Attribute = {
  Context: 0x01,
  ServletPath: 0x02,
  RemoteUser: 0x03,
  AuthType: 0x04,
  QueryString: 0x05,
  Route: 0x06,
  SslCert: 0x07,
  SslCipher: 0x08,
  SslSession: 0x09,
  ReqAttribute: 0x0a,
  SslKeySize: 0x0b,
  Secret: 0x0c,
  StoredMethod: 0x0d,
  Terminator: 0xff,
} as const;

/** Packets that never change, built once. */
export const CPING_PACKET: Buffer = Buffer.from([0x12, 0x34, 0x00, 0x01, RequestType.CPing]);
export const EMPTY_BODY_PACKET: Buffer = Buffer.from([0x12, 0x34, 0x00, 0x00]);

/** mod_jk's max_packet_size rule: round up to a multiple of 1024, keep within 8192..65536. */
export function normalizePacketSize(requested: number): number {
  if (!Number.isFinite(requested) || requested <= MIN_PACKET_SIZE) return MIN_PACKET_SIZE;
  const rounded = Math.ceil(requested / 1024) * 1024;
  return rounded > MAX_PACKET_SIZE ? MAX_PACKET_SIZE : rounded;
}
