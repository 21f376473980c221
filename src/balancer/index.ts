// Public surface of the balancer: lb policy and member state over shared typed arrays.
export { Balancer, type LbSnapshot, type MemberSnapshot } from './balancer.js';
export { ACT, ACT_UNSET, type BalancerOptions, type RetryPolicy, ST, STATE_TEXT } from './core.js';
export { BalancerError, LAYOUT_VERSION, sharedBytesFor } from './layout.js';
export { LbRequest, type Step } from './request.js';
export {
  type AttemptProgress,
  clearTried,
  emptyTried,
  httpStatusFor,
  isTried,
  markTried,
  mayRetry,
  type Outcome,
  type TriedMask,
} from './retry.js';
export type { PickReason, PickRequest, PickResult } from './selection.js';
export { routeOfSessionId, sessionIdsFrom } from './session.js';
