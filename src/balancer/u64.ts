// Unsigned 64-bit counters kept as two Uint32 words (lo at p, hi at p+1) so they can live in a
// SharedArrayBuffer, be added to atomically, and be read as a plain Number without allocating
// (a BigInt64Array read allocates a BigInt on every load, which the pick loop cannot afford).
// Values are exact up to 2^53; adds are atomic (carry goes to hi with a second atomic add); a read
// racing with a carry can be off by 2^32 for an instant, which only the lb_value comparison sees.

const TWO32 = 4294967296;

export function read64(w: Uint32Array, p: number): number {
  return Atomics.load(w, p + 1) * TWO32 + Atomics.load(w, p);
}

/** Plain store, not atomic as a pair: used by maintenance/admin paths where mod_jk is just as racy. */
export function store64(w: Uint32Array, p: number, v: number): void {
  const x = v > 0 ? Math.floor(v) : 0;
  Atomics.store(w, p + 1, Math.floor(x / TWO32) >>> 0);
  Atomics.store(w, p, x >>> 0);
}

export function add64(w: Uint32Array, p: number, v: number): void {
  if (v <= 0) return;
  const lo = v >>> 0;
  let hi = Math.floor(v / TWO32);
  const old = Atomics.add(w, p, lo);
  if (old + lo > 0xffffffff) hi++;
  if (hi !== 0) Atomics.add(w, p + 1, hi >>> 0);
}

/** Subtract, clamping at 0 (mod_jk's busyness correction). CAS on the low word when it fits. */
export function sub64(w: Uint32Array, p: number, v: number): void {
  for (;;) {
    const lo = Atomics.load(w, p);
    const hi = Atomics.load(w, p + 1);
    const cur = hi * TWO32 + lo;
    if (cur <= v) {
      if (hi === 0) {
        if (Atomics.compareExchange(w, p, lo, 0) === lo) return;
        continue;
      }
      store64(w, p, 0);
      return;
    }
    if (hi === 0) {
      if (Atomics.compareExchange(w, p, lo, lo - v) === lo) return;
      continue;
    }
    store64(w, p, cur - v);
    return;
  }
}

/** Monotonic max (max_busy and friends) on an Int32 slot. */
export function maxI32(a: Int32Array, i: number, v: number): void {
  let cur = Atomics.load(a, i);
  while (v > cur) {
    const seen = Atomics.compareExchange(a, i, cur, v);
    if (seen === cur) return;
    cur = seen;
  }
}
