// BPF atomic instructions on fields of map values (__sync_fetch_and_add, __sync_lock_test_and_set,
// __sync_val_compare_and_swap), 32- and 64-bit. 32-bit fields use Atomics on the Int32Array lane
// directly; 64-bit fields use a BigInt64Array lane because a 64-bit read-modify-write must be one
// indivisible operation (two 32-bit halves would tear). Results are JS numbers (exact to 2^53).

/** What an atomic op needs from a value view: its memory and word offset (see maps/layout.ts). */
export interface AtomicTarget {
  readonly _mem: { readonly i32: Int32Array; readonly i64: BigInt64Array };
  readonly _w: number;
}
/** A struct field, as maps/layout.ts describes it. */
export interface AtomicField {
  readonly name: string;
  readonly offset: number;
  readonly type: { readonly kind: string };
}

function width(field: AtomicField): 4 | 8 {
  switch (field.type.kind) {
    case 'u32': case 's32': return 4;
    case 'u64': case 's64': return 8;
    default: throw new TypeError(`atomic operations need a 32- or 64-bit integer field; '${field.name}' is ${field.type.kind}`);
  }
}

function unsigned(field: AtomicField): boolean {
  return field.type.kind === 'u32' || field.type.kind === 'u64';
}

function fromBig(field: AtomicField, v: bigint): number {
  return Number(unsigned(field) ? BigInt.asUintN(64, v) : v);
}

/** __sync_fetch_and_add(&v->field, delta): add atomically, return the old value. */
export function __sync_fetch_and_add(v: AtomicTarget, field: AtomicField, delta: number): number {
  const i = v._w + (field.offset >>> 2);
  if (width(field) === 4) {
    const old = Atomics.add(v._mem.i32, i, delta);
    return unsigned(field) ? old >>> 0 : old;
  }
  return fromBig(field, Atomics.add(v._mem.i64, i >>> 1, BigInt(delta)));
}

/** __sync_lock_test_and_set(&v->field, x) (BPF_XCHG): store x, return the old value. */
export function __sync_lock_test_and_set(v: AtomicTarget, field: AtomicField, x: number): number {
  const i = v._w + (field.offset >>> 2);
  if (width(field) === 4) {
    const old = Atomics.exchange(v._mem.i32, i, x | 0);
    return unsigned(field) ? old >>> 0 : old;
  }
  return fromBig(field, Atomics.exchange(v._mem.i64, i >>> 1, BigInt.asIntN(64, BigInt(x))));
}

/** __sync_val_compare_and_swap(&v->field, expected, x) (BPF_CMPXCHG): return the old value. */
export function __sync_val_compare_and_swap(v: AtomicTarget, field: AtomicField, expected: number, x: number): number {
  const i = v._w + (field.offset >>> 2);
  if (width(field) === 4) {
    const old = Atomics.compareExchange(v._mem.i32, i, expected | 0, x | 0);
    return unsigned(field) ? old >>> 0 : old;
  }
  const a = v._mem.i64;
  return fromBig(field, Atomics.compareExchange(a, i >>> 1, BigInt.asIntN(64, BigInt(expected)), BigInt.asIntN(64, BigInt(x))));
}

/**
 * READ_ONCE(v->field) for a 32-bit field: one real load of shared memory. Atomics.load is a plain
 * load on x86 that the JIT may not hoist out of a loop or merge with the load of the next event,
 * so a racy read-modify-write really races instead of running in a register.
 */
export function READ_ONCE(v: AtomicTarget & { readonly _mem: { readonly u32: Uint32Array } }, field: AtomicField): number {
  return Atomics.load(v._mem.u32, v._w + (field.offset >>> 2));
}

/**
 * WRITE_ONCE(v->field, x) for a 32-bit field: one plain store (not a locked instruction). Paired
 * with READ_ONCE it is the unlocked `cnt++` of the seed: a separate load and store per event.
 */
export function WRITE_ONCE(v: AtomicTarget & { readonly _mem: { readonly u32: Uint32Array } }, field: AtomicField, x: number): void {
  v._mem.u32[v._w + (field.offset >>> 2)] = x;
}
