// The shared-memory layout of one lb worker: everything that must be the same for every serving
// thread (mod_jk keeps exactly this in its shm file). Names, routes and other strings come from the
// config and stay thread-local; only numbers live here.
//
// Byte layout from `byteOffset` (must be a multiple of 8), n = member count:
//   Int32  header      8 words  [magic, n, lbBusy, lbMaxBusy, maintainLock, layoutVersion, -, -]
//   Int32  members     n x 8    [state, activation, lbfactor, distance, busy, maxBusy,
//                                routeMismatch flag, lastErrorKind]
//   Uint32 header64    4 pairs  [lastMaintainMs, lastResetMs, -, -]
//   Uint32 members64   n x 21 pairs (lo, hi), see U below
//   Uint8  mismatch    n x 64   [length, utf-8 bytes of the route Tomcat was seen setting]
// u64 values are (lo, hi) Uint32 pairs (see u64.ts): exact to 2^53, atomic adds, allocation-free reads.

export const MAGIC = 0x414a4c42; // 'AJLB'
export const LAYOUT_VERSION = 1;
const INITIALIZING = -1;

export const HDR_I32 = 8;
export const MEMBER_I32 = 8;
export const H = { magic: 0, count: 1, lbBusy: 2, lbMaxBusy: 3, maintainLock: 4, version: 5 } as const;
export const I = {
  state: 0,
  activation: 1,
  lbfactor: 2,
  distance: 3,
  busy: 4,
  maxBusy: 5,
  routeMismatch: 6,
  lastErrorKind: 7,
} as const;

export const HDR_U64 = 4;
export const MEMBER_U64 = 21;
export const H64 = { lastMaintainMs: 0, lastResetMs: 1 } as const;
/** `*Total` fields are monotonic (for /metrics); their twins are cleared by resetMember (status page). */
export const U = {
  lbValue: 0,
  lbMult: 1,
  elected: 2,
  electedTotal: 3,
  electedSnapshot: 4,
  sessions: 5,
  sessionsTotal: 6,
  errors: 7,
  errorsTotal: 8,
  clientErrors: 9,
  clientErrorsTotal: 10,
  replyTimeouts: 11,
  replyTimeoutsTotal: 12,
  bytesIn: 13,
  bytesInTotal: 14,
  bytesOut: 15,
  bytesOutTotal: 16,
  firstErrorMs: 17,
  lastErrorMs: 18,
  lastResetMs: 19,
  /** Time of the last failed attempt of any kind but client_error; never cleared by success. */
  lastFailureMs: 20,
} as const;

export const MISMATCH_BYTES = 64;

export function sharedBytesFor(memberCount: number): number {
  const i32 = (HDR_I32 + memberCount * MEMBER_I32) * 4;
  const u64 = (HDR_U64 + memberCount * MEMBER_U64) * 8;
  return i32 + u64 + memberCount * MISMATCH_BYTES;
}

export class BalancerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BalancerError';
  }
}

/** Typed-array views over one lb's shared state; `created` tells whether this runtime initialised it. */
export class SharedLbState {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly mismatch: Uint8Array;
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  readonly created: boolean;

  constructor(
    readonly n: number,
    buffer?: SharedArrayBuffer,
    readonly byteOffset = 0,
  ) {
    if (byteOffset % 8 !== 0) throw new BalancerError('ERR_LB_SHM_ALIGN', `byteOffset ${byteOffset} is not a multiple of 8`);
    const need = sharedBytesFor(n);
    // Without a buffer given, a SharedArrayBuffer still lets the owner hand it to worker threads later.
    this.buffer = buffer ?? new SharedArrayBuffer(need);
    if (this.buffer.byteLength < byteOffset + need) {
      throw new BalancerError('ERR_LB_SHM_SIZE', `shared buffer needs ${need} bytes from offset ${byteOffset}`);
    }
    const i32Len = HDR_I32 + n * MEMBER_I32;
    const u32Len = (HDR_U64 + n * MEMBER_U64) * 2;
    this.i32 = new Int32Array(this.buffer, byteOffset, i32Len);
    this.u32 = new Uint32Array(this.buffer, byteOffset + i32Len * 4, u32Len);
    this.mismatch = new Uint8Array(this.buffer, byteOffset + i32Len * 4 + u32Len * 4, n * MISMATCH_BYTES);
    const seen = Atomics.compareExchange(this.i32, H.magic, 0, INITIALIZING);
    if (seen === 0) {
      this.created = true;
      return; // the caller fills the initial values, then calls publish()
    }
    this.created = false;
    if (seen === INITIALIZING) {
      throw new BalancerError('ERR_LB_SHM_BUSY', 'shared lb state is being initialised by another thread; create it before sharing it');
    }
    if (seen !== MAGIC || Atomics.load(this.i32, H.version) !== LAYOUT_VERSION) {
      throw new BalancerError('ERR_LB_SHM_FOREIGN', 'shared buffer does not hold ajplb lb state of this layout version');
    }
    if (Atomics.load(this.i32, H.count) !== n) {
      throw new BalancerError('ERR_LB_SHM_MEMBERS', `shared lb state has ${Atomics.load(this.i32, H.count)} members, config has ${n}`);
    }
  }

  publish(): void {
    Atomics.store(this.i32, H.count, this.n);
    Atomics.store(this.i32, H.version, LAYOUT_VERSION);
    Atomics.store(this.i32, H.magic, MAGIC);
  }

  /** Index of an Int32 member field. */
  mi(member: number, field: number): number {
    return HDR_I32 + member * MEMBER_I32 + field;
  }

  /** Index (low word) of a u64 member field in `u32`. */
  mu(member: number, field: number): number {
    return (HDR_U64 + member * MEMBER_U64 + field) * 2;
  }
}
