// What happened to one attempt, and whether the request may go to another member afterwards
// (mod_jk jk_ajp_common.c ajp_service / ajp_get_reply, recovery_options bits).

/** The result of one attempt on one member, as the forwarder classifies it. */
export type Outcome =
  | 'ok'
  /** The client failed (read/write error, request too large): no failover, no state change. */
  | 'client_error'
  /** Connecting or CPing failed: Tomcat never got the request. */
  | 'connect_error'
  /** Writing the request failed: Tomcat never got all of it. */
  | 'send_error'
  /** The connection failed after the request was sent, before the reply ended (mod_jk JK_FALSE). */
  | 'recv_error'
  /** Tomcat sent an invalid AJP packet: member stays as it is, this request skips it. */
  | 'protocol_error'
  | 'reply_timeout'
  /** Status in +fail_on_status: member goes to ERR now. */
  | 'status_fail'
  /** Status in -fail_on_status: fail over, member stays OK. */
  | 'status_failover'
  /** No pool slot, or busy_limit reached. */
  | 'busy';

/** Outcome kinds by small integer, as stored in shared memory (lastErrorKind; 0 = none). */
export const OUTCOME_KINDS: readonly Outcome[] = [
  'ok',
  'client_error',
  'connect_error',
  'send_error',
  'recv_error',
  'protocol_error',
  'reply_timeout',
  'status_fail',
  'status_failover',
  'busy',
];

export const RECOVER_ABORT_IF_TCGETREQUEST = 0x01;
export const RECOVER_ABORT_IF_TCSENDHEADER = 0x02;
export const RECOVER_ABORT_IF_CLIENTERROR = 0x04;
export const RECOVER_ALWAYS_HTTP_HEAD = 0x08;
export const RECOVER_ALWAYS_HTTP_GET = 0x10;

/** How far the failed attempt got; the forwarder knows, the balancer decides. */
export interface AttemptProgress {
  /** Tomcat has (part of) the request: the forward-request packet went out. */
  sent: boolean;
  /** Response headers were written to the client. */
  headersSent: boolean;
  method: string;
  /** The whole request body (if any) can still be sent to another member. */
  bodyReplayable: boolean;
}

/**
 * May the request go to another member after this outcome? recovery_options bits:
 * 1 = not once Tomcat has the request, 2 = not once headers reached the client,
 * 8/16 = HEAD/GET may always retry (mod_jk quirk kept: with both set only HEAD is checked).
 * Chosen where mod_jk differs: once headers reached the client we never retry whatever bit 2 says —
 * mod_jk would append a second response to the one already started.
 */
export function mayRetry(outcome: Outcome, progress: AttemptProgress, recoveryOptions: number): boolean {
  if (outcome === 'ok' || outcome === 'client_error') return false;
  if (progress.headersSent) return false;
  if (!progress.bodyReplayable) return false;
  switch (outcome) {
    case 'busy':
    case 'connect_error':
    case 'send_error':
    case 'status_fail':
    case 'status_failover':
      // Not yet at Tomcat, or a status mod_jk drops before the client sees it: always recoverable.
      return true;
    default:
      break;
  }
  if (!progress.sent) return true;
  if ((recoveryOptions & RECOVER_ABORT_IF_TCGETREQUEST) === 0) return true;
  if (recoveryOptions & RECOVER_ALWAYS_HTTP_HEAD) return progress.method === 'HEAD';
  if (recoveryOptions & RECOVER_ALWAYS_HTTP_GET) return progress.method === 'GET';
  return false;
}

/** The HTTP status mod_jk answers with when this outcome is the last one (0 for ok). */
export function httpStatusFor(outcome: Outcome): number {
  switch (outcome) {
    case 'ok':
      return 0;
    case 'client_error':
      return 400;
    case 'reply_timeout':
      return 504;
    case 'recv_error':
    case 'protocol_error':
      return 502;
    default:
      return 503;
  }
}

/**
 * Members already failed for this request (mod_jk's per-request `states[i] = ERROR`). A number
 * bitmask for lbs of up to 32 members (no allocation), a Uint32Array word set beyond that.
 */
export type TriedMask = number | Uint32Array;

export function emptyTried(memberCount: number): TriedMask {
  return memberCount <= 32 ? 0 : new Uint32Array((memberCount + 31) >>> 5);
}

export function markTried(mask: TriedMask, member: number): TriedMask {
  if (typeof mask === 'number') return (mask | (1 << member)) >>> 0;
  mask[member >>> 5]! |= 1 << (member & 31);
  return mask;
}

export function unmarkTried(mask: TriedMask, member: number): TriedMask {
  if (typeof mask === 'number') return (mask & ~(1 << member)) >>> 0;
  mask[member >>> 5]! &= ~(1 << (member & 31));
  return mask;
}

export function isTried(mask: TriedMask, member: number): boolean {
  if (typeof mask === 'number') return (mask & (1 << member)) !== 0;
  return ((mask[member >>> 5] ?? 0) & (1 << (member & 31))) !== 0;
}

export function clearTried(mask: TriedMask): TriedMask {
  if (typeof mask === 'number') return 0;
  mask.fill(0);
  return mask;
}
