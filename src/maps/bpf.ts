// The ground types of the map layer (the kernel's include/linux/bpf.h): what a user asks for
// (MapSpec), the checked attributes (MapAttr), the handle that opens a map in another thread, the
// ops table every map family fills (struct bpf_map_ops), the part of a map the ops see (struct
// bpf_map), and the size limits and checks the families share. Every family stands on this file
// and imports nothing above it; syscall.ts (user space) and helpers.ts (programs) sit on top.
//
// The generic layer (syscall.ts for user space, helpers.ts for programs) checks arguments once,
// then calls the ops; a family file holds only its own logic. Ops return 0 or a negative errno, as
// kernel ops do, so the program face allocates nothing on failure either.

import type { SharedMemory, StructLayout, ValueView, ViewClass } from './layout.js';
import type { MapMemory, MapRegion } from './memory.js';
import { roundUp8 } from './limits.js';
import { BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG } from './uapi.js';

// ---- what a user asks for, and what the kernel keeps ------------------------------------------

/** What a user asks for: the fields of BPF_MAP_CREATE, plus the simulator's layout knobs. */
export interface MapSpec {
  /** bpftool's type name ('array', 'percpu_hash', ...) or the BPF_MAP_TYPE_* number. */
  type: string | number;
  /** key_size in bytes: 4 for arrays (the u32 index), 0 for queue, stack, bloom filter and ring buffer. */
  keySize: number;
  /** value_size in bytes (the value layout's size when `value` is given; 0 for a ring buffer). */
  valueSize: number;
  /** max_entries: elements (a ring buffer: its size in bytes, a power-of-two number of pages). */
  maxEntries: number;
  /** map_flags: BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_F_RDONLY, ... */
  flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.], as the kernel allows. */
  name?: string;
  /** map_extra (the bloom filter's number of hash functions). */
  mapExtra?: number;
  /** The value's C layout. A bpf_spin_lock in it plays the role of the BTF the kernel needs for one. */
  value?: StructLayout<any>;
  /** Per-CPU maps: each CPU's slab starts on a multiple of this many bytes (8, 64 or 128; default 128). */
  slabAlign?: number;
  /**
   * ARRAY_OF_MAPS and HASH_OF_MAPS: the inner map template (the kernel's inner_map_fd). A created
   * map, or a spec (checked as a map of its own would be, as libbpf creates one from the BTF).
   * Every map placed in the outer map must match it (type, sizes, flags; max_entries for arrays
   * without BPF_F_INNER_MAP).
   */
  innerMap?: BpfMapCore | MapSpec;
}

/** What an outer map keeps of its inner map template (the kernel's inner_map_meta). Plain data. */
export interface InnerMapMeta {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly lockOffset: number;
  /** The template is itself a map-in-map (refused: one level only). */
  readonly isMapInMap: boolean;
}

/** A checked spec, as the kernel keeps it in struct bpf_map. Plain data: it crosses to workers. */
export interface MapAttr {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly mapExtra: number;
  /** Offset of the bpf_spin_lock in the value, or -1. */
  readonly lockOffset: number;
  readonly slabAlign: number;
  /** ARRAY_OF_MAPS and HASH_OF_MAPS: the inner map template. */
  readonly inner?: InnerMapMeta;
}

/** Everything another thread needs to open the same map: plain data and shared buffers. */
export interface MapHandle {
  /** The map's id (bpf_map_info.id): what a map-in-map lookup returns for it (see idr.ts). */
  readonly id: number;
  readonly attr: MapAttr;
  readonly cpus: number;
  /** Words shared by every thread (syscall.ts: the frozen word). */
  readonly header: MapRegion;
  /** The family's buffers, as MapAlloc.bufferSizes asked for them. */
  readonly regions: readonly MapRegion[];
  /** Which regions hold values and records a program may point into (MapAlloc.valueBuffers). */
  readonly valueRegions: readonly number[];
  readonly meta: Readonly<Record<string, number>>;
  /**
   * The MapMemory the map was created in (its id), absent for a map of its own: a translated
   * program can reach a map only in its object's memory, and a thread cannot tell two posted
   * SharedArrayBuffers of the same memory apart by identity.
   */
  readonly memory?: number;
}

/** What info() reports, as bpf_map_info does. */
export interface MapInfo {
  /** The map's id: the value that places it in an ARRAY_OF_MAPS or HASH_OF_MAPS. */
  id: number;
  type: number;
  typeName: string;
  name: string;
  keySize: number;
  valueSize: number;
  /** The max_entries the kernel actually uses (LRU with BPF_F_NO_COMMON_LRU rounds it up to a multiple of the CPUs). */
  maxEntries: number;
  flags: number;
  mapExtra: number;
  cpus: number;
  frozen: boolean;
}

/** Options of createMap() and BpfMap.create(). */
export interface CreateOptions {
  /** Number of possible CPUs: per-CPU values cross the API as cpus x round_up(valueSize, 8). */
  cpus?: number;
  /** Allocate the map's buffers in this memory (a loaded object's maps share one); default: buffers of its own. */
  memory?: MapMemory;
}

/**
 * What the ops and the generic layer see of a map (the kernel's struct bpf_map): the BpfMap class
 * of syscall.ts implements it, so a family needs nothing from the layer that dispatches to it.
 */
export interface BpfMapCore {
  /** The name for messages ('(unnamed)' when the spec gave none). */
  readonly name: string;
  readonly attr: MapAttr;
  readonly ops: BpfMapOps;
  /** Possible CPUs: per-CPU maps keep one slot per CPU. */
  readonly cpus: number;
  /** The shared memory, once created or opened (null before). */
  readonly handle: MapHandle | null;
  /** Typed arrays over each of handle.regions, in order. */
  readonly mems: readonly SharedMemory[];
  /** The view class of a value (the layout's, or raw bytes). */
  readonly View: ViewClass;
  /** The family's private, per-thread state (the kernel's container_of(map, struct bpf_array, map)). */
  priv: any;
  /** The CPU user-space calls run on (LRU lists and free lists depend on it). */
  readonly userCpu: number;
  /** BPF_MAP_FREEZE ran: user-space writes fail with EPERM. */
  readonly frozen: boolean;
  /** The handle, or an error naming the map when it does not exist yet. */
  getHandle(): MapHandle;
}

// ---- the ops table ----------------------------------------------------------------------------

/** A key on the program face: bytes, or a number for 4- and 8-byte keys. */
export type Key = number | Uint8Array;
/** A value a program passes to an update: bytes, or a view (a struct on the program's stack, or another map's value). */
export type ValueSource = Uint8Array | ValueView;

/** What map_alloc decides: the shared buffers to create and the family's numbers that go with them. */
export interface MapAlloc {
  /** Byte sizes of the buffers the family needs (each a SharedArrayBuffer, or a region of a MapMemory). */
  readonly bufferSizes: readonly number[];
  /** Plain data the family needs to reopen the map in another thread (crosses to workers). */
  readonly meta: Readonly<Record<string, number>>;
  /** The max_entries the kernel really uses when it differs from the one asked for (LRU with BPF_F_NO_COMMON_LRU). */
  readonly maxEntries?: number;
  /**
   * The buffers holding what a program may get a pointer into (values, ring records), by index:
   * a translated program run in checked mode may touch these and no other part of the map.
   */
  readonly valueBuffers?: readonly number[];
}

export interface BpfMapOps {
  /** The kernel's name for this table, e.g. 'array_map_ops'. */
  readonly name: string;
  /** A per-CPU type: a value is one slot per CPU, and crosses the user-space face as cpus x round_up(value_size, 8) bytes. */
  readonly percpu: boolean;

  /** map_alloc_check: creation checks that need no memory. 0 or -errno. */
  allocCheck(attr: MapAttr, cpus: number): number;
  /** map_alloc: size the storage. A MapAlloc, or -errno. */
  alloc(attr: MapAttr, cpus: number): MapAlloc | number;
  /** Initialise freshly created storage (free lists, ...), once, in the creating thread. */
  init?(map: BpfMapCore): void;
  /** Build this thread's private state over the shared buffers (typed arrays, view caches). */
  open(map: BpfMapCore): void;
  /** Whether a bpf_spin_lock in the value is allowed (BTF check; else EOPNOTSUPP). */
  readonly spinLockAllowed: boolean;

  // ---- the program face (helpers) ----
  /** map_lookup_elem: a live view of this CPU's slot, or null. */
  lookupElem(map: BpfMapCore, key: Key, cpu: number): ValueView | null;
  /**
   * map_gen_lookup: the kernel's verifier inlines an array lookup into the program (a bounds check
   * and an address). Here: the views of `cpu`'s elements by index, which bpf_map_lookup_elem reads
   * directly; a hole means "ask lookupElem" (the view is made on first lookup).
   */
  mapGenLookup?(map: BpfMapCore, cpu: number): readonly (ValueView | undefined)[];
  /** map_update_elem: onAllCpus is true from user space (per-CPU maps take every CPU's value). */
  updateElem(map: BpfMapCore, key: Key, value: ValueSource | Uint8Array, flags: number, cpu: number, onAllCpus: boolean): number;
  /** map_delete_elem. */
  deleteElem(map: BpfMapCore, key: Key, cpu: number): number;

  // ---- the user-space face (syscalls) ----
  /** Copy the value (every CPU's slot for per-CPU maps) into out. 0 or -errno. */
  lookupElemSys(map: BpfMapCore, key: Uint8Array | null, out: Uint8Array, flags: number, cpu: number): number;
  /** map_get_next_key: write the key after `key` (the first key when null) into next. */
  getNextKey(map: BpfMapCore, key: Uint8Array | null, next: Uint8Array): number;
  /**
   * Per-CPU types, for BpfMap.sum(): the byte offset of CPU 0's slot of key's value in the memory
   * percpuSlab() names (CPU c's slot is c x stride further), or -errno (ENOENT), found as
   * lookupElemSys finds it. sum() reads the slots there instead of copying them out first. A type
   * without these is summed through lookupElemSys.
   */
  percpuValueOff?(map: BpfMapCore, key: Key): number;
  percpuSlab?(map: BpfMapCore): { readonly mem: SharedMemory; readonly stride: number };
  /** map_lookup_and_delete_elem; absent means ENOTSUPP, as in the kernel. */
  lookupAndDeleteElem?(map: BpfMapCore, key: Uint8Array | null, out: Uint8Array, flags: number, cpu: number): number;

  // ---- queue, stack, bloom filter (bpf_map_push_elem / pop_elem / peek_elem) ----
  /** map_push_elem: add a value (flags: BPF_ANY, or BPF_EXIST to overwrite the oldest when full). */
  pushElem?(map: BpfMapCore, value: ValueSource, flags: number, cpu: number): number;
  /** map_pop_elem: copy the next value into `out` and remove it; ENOENT (out zeroed) when empty. */
  popElem?(map: BpfMapCore, out: ValueSource, cpu: number): number;
  /** map_peek_elem: as pop without removing; the bloom filter reads `value` as the value to test. */
  peekElem?(map: BpfMapCore, value: ValueSource, cpu: number): number;

  // ---- batch commands (BPF_MAP_*_BATCH; a type without one gets ENOTSUPP) ----
  /** The generic_map_*_batch commands of the type (batch.ts runs them over the element ops). */
  readonly genericBatch?: { readonly lookup?: boolean; readonly update?: boolean; readonly delete?: boolean };
  /**
   * map_lookup_batch of the type's own (htab: the cursor is a bucket index). Fills keys and values
   * (packed, user value size) and sets res.count / res.outBatch when the kernel writes them. 0 or -errno.
   */
  lookupBatch?(map: BpfMapCore, inBatch: number | null, maxCount: number, keys: Uint8Array, values: Uint8Array,
    elemFlags: number, flags: number, cpu: number, res: BatchCursor): number;
  /** map_lookup_and_delete_batch: as lookupBatch, unlinking what it copies. */
  lookupAndDeleteBatch?(map: BpfMapCore, inBatch: number | null, maxCount: number, keys: Uint8Array, values: Uint8Array,
    elemFlags: number, flags: number, cpu: number, res: BatchCursor): number;
}

/** What a batch command leaves in attr.batch: count, and out_batch as a bucket index (-1: not written). */
export interface BatchCursor {
  count: number;
  outBatch: number;
}

// ---- limits and checks the families share ------------------------------------------------------

/** include/linux/slab.h: the largest kmalloc() (order-10 pages). */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** mm/percpu.c: the largest per-CPU allocation; bounds a per-CPU map value. */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
/** A Uint8Array (which every buffer gets, see SharedMemory) holds at most 2^32 bytes in Node 20. */
export const MAX_BUFFER_BYTES = 2 ** 32;
/**
 * The largest shared memory a map may use: Node 20 cannot view more than 2^32 bytes with one typed
 * array. The kernel would create some larger maps on a big machine; here they fail with ENOMEM.
 */
export const MAX_MAP_BYTES = 2 ** 32 - 8;

/** The access flags every map type accepts at creation (each family adds its own flags to them). */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** bpf_map_flags_access_ok(): RDONLY_PROG and WRONLY_PROG together make no sense. */
export function accessFlagsOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** bpf_map_value_size(): the bytes of a value on the user-space face (every CPU's slot for per-CPU maps). */
export function mapValueSize(map: BpfMapCore): number {
  return map.ops.percpu ? roundUp8(map.attr.valueSize) * map.cpus : map.attr.valueSize;
}
