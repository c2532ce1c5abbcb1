// The operations table every map family fills (the kernel's struct bpf_map_ops).
//
// The generic layer (syscall.ts for user space, helpers.ts for programs) checks arguments once,
// then calls these; a family file holds only its own logic. Ops return 0 or a negative errno, as
// kernel ops do, so the program face allocates nothing on failure either.

import type { BpfMap, MapAttr } from './syscall.js';
import type { ValueView } from './layout.js';

/** A key on the program face: bytes, or a number for 4- and 8-byte keys. */
export type Key = number | Uint8Array;
/** A value a program passes to an update: bytes, or a view (a struct on the program's stack, or another map's value). */
export type ValueSource = Uint8Array | ValueView;

/** What map_alloc decides: the shared buffers to create and the family's numbers that go with them. */
export interface MapAlloc {
  /** Byte sizes of the SharedArrayBuffers the family needs. */
  readonly bufferSizes: readonly number[];
  /** Plain data the family needs to reopen the map in another thread (crosses to workers). */
  readonly meta: Readonly<Record<string, number>>;
  /** The max_entries the kernel really uses when it differs from the one asked for (LRU with BPF_F_NO_COMMON_LRU). */
  readonly maxEntries?: number;
}

export interface BpfMapOps {
  /** The kernel's name for this table, e.g. 'array_map_ops'. */
  readonly name: string;

  /** map_alloc_check: creation checks that need no memory. 0 or -errno. */
  allocCheck(attr: MapAttr, cpus: number): number;
  /** map_alloc: size the storage. A MapAlloc, or -errno. */
  alloc(attr: MapAttr, cpus: number): MapAlloc | number;
  /** Initialise freshly created storage (free lists, ...), once, in the creating thread. */
  init?(map: BpfMap): void;
  /** Build this thread's private state over the shared buffers (typed arrays, view caches). */
  open(map: BpfMap): void;
  /** Whether a bpf_spin_lock in the value is allowed (BTF check; else EOPNOTSUPP). */
  readonly spinLockAllowed: boolean;

  // ---- the program face (helpers) ----
  /** map_lookup_elem: a live view of this CPU's slot, or null. */
  lookupElem(map: BpfMap, key: Key, cpu: number): ValueView | null;
  /**
   * map_gen_lookup: the kernel's verifier inlines an array lookup into the program (a bounds check
   * and an address). Here: the views of `cpu`'s elements by index, which bpf_map_lookup_elem reads
   * directly; a hole means "ask lookupElem" (the view is made on first lookup).
   */
  mapGenLookup?(map: BpfMap, cpu: number): readonly (ValueView | undefined)[];
  /** map_update_elem: onAllCpus is true from user space (per-CPU maps take every CPU's value). */
  updateElem(map: BpfMap, key: Key, value: ValueSource | Uint8Array, flags: number, cpu: number, onAllCpus: boolean): number;
  /** map_delete_elem. */
  deleteElem(map: BpfMap, key: Key, cpu: number): number;

  // ---- the user-space face (syscalls) ----
  /** Copy the value (every CPU's slot for per-CPU maps) into out. 0 or -errno. */
  lookupElemSys(map: BpfMap, key: Uint8Array | null, out: Uint8Array, flags: number, cpu: number): number;
  /** map_get_next_key: write the key after `key` (the first key when null) into next. */
  getNextKey(map: BpfMap, key: Uint8Array | null, next: Uint8Array): number;
  /** map_lookup_and_delete_elem; absent means ENOTSUPP, as in the kernel. */
  lookupAndDeleteElem?(map: BpfMap, key: Uint8Array | null, out: Uint8Array, flags: number, cpu: number): number;

  // ---- queue, stack, bloom filter (bpf_map_push_elem / pop_elem / peek_elem) ----
  /** map_push_elem: add a value (flags: BPF_ANY, or BPF_EXIST to overwrite the oldest when full). */
  pushElem?(map: BpfMap, value: ValueSource, flags: number, cpu: number): number;
  /** map_pop_elem: copy the next value into `out` and remove it; ENOENT (out zeroed) when empty. */
  popElem?(map: BpfMap, out: ValueSource, cpu: number): number;
  /** map_peek_elem: as pop without removing; the bloom filter reads `value` as the value to test. */
  peekElem?(map: BpfMap, value: ValueSource, cpu: number): number;

  // ---- batch commands (BPF_MAP_*_BATCH; a type without one gets ENOTSUPP) ----
  /** The generic_map_*_batch commands of the type (batch.ts runs them over the element ops). */
  readonly genericBatch?: { readonly lookup?: boolean; readonly update?: boolean; readonly delete?: boolean };
  /**
   * map_lookup_batch of the type's own (htab: the cursor is a bucket index). Fills keys and values
   * (packed, user value size) and sets res.count / res.outBatch when the kernel writes them. 0 or -errno.
   */
  lookupBatch?(map: BpfMap, inBatch: number | null, maxCount: number, keys: Uint8Array, values: Uint8Array,
    elemFlags: number, flags: number, cpu: number, res: BatchCursor): number;
  /** map_lookup_and_delete_batch: as lookupBatch, unlinking what it copies. */
  lookupAndDeleteBatch?(map: BpfMap, inBatch: number | null, maxCount: number, keys: Uint8Array, values: Uint8Array,
    elemFlags: number, flags: number, cpu: number, res: BatchCursor): number;
}

/** What a batch command leaves in attr.batch: count, and out_batch as a bucket index (-1: not written). */
export interface BatchCursor {
  count: number;
  outBatch: number;
}
