// One error class per way an AJP exchange can fail, each with a stable `code`, so that the balancer can decide
// on failover from the kind alone and operators can grep logs for it.

export type AjpErrorCode =
  | 'AJP_CONNECT'          // TCP connect refused / unreachable / connect timeout
  | 'AJP_PING'             // no CPong within ping_timeout
  | 'AJP_SEND'             // writing the request failed (peer closed or reset)
  | 'AJP_CLOSED'           // the backend closed before the response was complete
  | 'AJP_REPLY_TIMEOUT'    // no packet within reply_timeout
  | 'AJP_SOCKET_TIMEOUT'   // socket_timeout expired
  | 'AJP_PROTOCOL'         // malformed packet from the backend
  | 'AJP_REQUEST_TOO_LARGE' // the forward request does not fit one AJP packet
  | 'AJP_SECRET'           // Tomcat refused the secret (403 + close)
  | 'AJP_ACQUIRE_TIMEOUT'  // no pool slot within connection_acquire_timeout
  | 'AJP_CLIENT';          // the client side (request body / response write) failed

export class AjpError extends Error {
  readonly code: AjpErrorCode;
  constructor(code: AjpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AjpError';
  }
}

export class AjpProtocolError extends AjpError {
  constructor(message: string) {
    super('AJP_PROTOCOL', message);
    this.name = 'AjpProtocolError';
  }
}

export class AjpRequestTooLargeError extends AjpError {
  constructor(size: number, limit: number) {
    super('AJP_REQUEST_TOO_LARGE', `forward request needs ${size} bytes, max_packet_size allows ${limit}`);
    this.name = 'AjpRequestTooLargeError';
  }
}
