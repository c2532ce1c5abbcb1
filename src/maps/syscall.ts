// The generic map layer, user-space face (the kernel's kernel/bpf/syscall.c): create a map, check
// every argument once, dispatch to the family's ops, turn a negative errno into a BpfError that
// says what to do. Raw bytes in and out, as libbpf's bpf_map_* calls.

import { availableParallelism } from 'node:os';
import { BpfError, EFAULT, EINVAL, ENOMEM, ENOTSUPP, EOPNOTSUPP, EPERM, EBUSY, EACCES } from './errno.js';
import { SharedMemory, ValueView, type FieldType, type StructLayout, type StructView, type ViewClass } from './layout.js';
import { mapValueSize, type BpfMapCore, type BpfMapOps, type CreateOptions, type InnerMapMeta, type MapAlloc, type MapAttr, type MapHandle, type MapInfo, type MapSpec } from './bpf.js';
import { idrAdd, idrAlloc } from './idr.js';
import { ownRegion, regionBytes, type MapRegion } from './memory.js';
import { mapOpsFor } from './bpf-types.js';
import { hintFor } from './hints.js';
import { bindToThisCpu, smpProcessorId } from '../smp/smp.js';
import { dumpMap, type DumpEntry } from './dump.js';
import { deleteBatch, lookupBatch, updateBatch, type BatchOptions, type BatchResult } from './batch.js';
import { isU32, roundUp8, TWO_32, U32_MAX } from './limits.js';
import {
  BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_MAP_TYPE_BLOOM_FILTER,
  BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_OBJ_NAME_LEN, MAP_TYPE_NAMES, mapTypeName, BPF_ANY, isFdMapType, isMapInMapType,
} from './uapi.js';

// Header words (Int32Array over handle.header):
//   0  frozen   1 once BPF_MAP_FREEZE ran (user-space writes then fail with EPERM)
const HEADER_FROZEN = 0;
const HEADER_BYTES = 64;

const OP_CREATE = 'BPF_MAP_CREATE';
const OP_LOOKUP = 'BPF_MAP_LOOKUP_ELEM';
const OP_UPDATE = 'BPF_MAP_UPDATE_ELEM';
const OP_DELETE = 'BPF_MAP_DELETE_ELEM';
const OP_NEXT = 'BPF_MAP_GET_NEXT_KEY';
const OP_LOOKUP_DELETE = 'BPF_MAP_LOOKUP_AND_DELETE_ELEM';
const OP_FREEZE = 'BPF_MAP_FREEZE';

const NO_VIEWS: readonly never[] = Object.freeze([]);
const NAME_RE = /^[A-Za-z0-9_.]*$/;

/** An ops table whose calls explain that the map was declared by a program but never created. */
const unattachedOps = new Proxy({} as BpfMapOps, {
  get(_t, prop) {
    if (prop === 'then') return undefined;
    return () => {
      throw new Error(`map used before it was created: list it in the maps of the program that uses it, so runtime.load creates it, or call createMap() (op ${String(prop)})`);
    };
  },
});

/**
 * One map. Created by createMap() (user space), declared by a program with declareMap() and
 * created when the program loads, or opened from a handle in another thread with openMap().
 */
export class BpfMap<V extends ValueView = ValueView> implements BpfMapCore {
  /** Phantom: the type of the views program-side lookups return (from spec.value). */
  declare readonly viewType?: V;
  /** The spec as declared or created. */
  readonly spec: MapSpec;
  /** The checked attributes (set once created or opened). */
  attr: MapAttr;
  ops: BpfMapOps = unattachedOps;
  cpus = 0;
  handle: MapHandle | null = null;
  /** Typed arrays over each shared buffer. */
  mems: SharedMemory[] = [];
  /** The view class of a value (the layout's, or raw bytes). */
  readonly View: ViewClass;
  /** The family's private, per-thread state (the kernel's container_of(map, struct bpf_array, map)). */
  priv: any = null;
  /** The CPU user-space calls run on (LRU lists and free lists depend on it). */
  userCpu = 0;
  /** key_size, and whether a number may stand for the key (4- and 8-byte keys), for the helpers' checks. */
  keySize = 0;
  numberKeys = false;
  /**
   * The views a program-side lookup reads directly, by key, for this thread's CPU (the family's
   * map_gen_lookup; empty for families without one, or before the map exists). Rebound when the
   * thread's CPU changes (runOn).
   */
  genLookup: readonly (V | undefined)[] = NO_VIEWS;
  private cpuBound = false;
  private header: Int32Array | null = null;
  /** A number key as key_size bytes: one buffer per map, reused by every call (the ops copy keys they keep). */
  private keyScratch: Uint8Array | null = null;
  /** sum()'s copy of every CPU's value, and a DataView over it, made on first use. */
  private sumBytes: Uint8Array | null = null;
  private sumView: DataView | null = null;
  private sumFieldName: string | undefined = undefined;
  private sumAt = -1;
  private sumKind = 0;
  /** sum()'s view of the memory a family reads its CPU slots in (percpuSlab), for the priv it came from. */
  private sumSlab: DataView | null = null;
  private sumStride = 0;
  private sumPriv: unknown = null;

  constructor(spec: MapSpec) {
    if (spec === null || typeof spec !== 'object') {
      throw new BpfError('(unnamed)', OP_CREATE, EINVAL, 'spec. must be an object { type, keySize, valueSize, maxEntries }');
    }
    this.spec = spec;
    this.View = spec.value?.View ?? ValueView;
    this.attr = provisionalAttr(spec);
  }

  get name(): string {
    return this.attr.name || '(unnamed)';
  }

  /** The map's id (0 before it is created): what places it in a map of maps. */
  get id(): number {
    return this.handle?.id ?? 0;
  }

  // ---- life cycle -------------------------------------------------------------------------------

  /** BPF_MAP_CREATE: check the spec in the kernel's order and allocate shared memory. */
  create(options: CreateOptions = {}): this {
    if (this.handle) throw new Error(`map '${this.name}' is already created`);
    const { attr, cpus, alloc } = planMap(this.spec, options, this);
    const memory = options.memory;
    const region = (n: number): MapRegion => {
      if (memory === undefined) return ownRegion(n);
      const r = memory.alloc(n);
      if (r === null) throw new RangeError('map memory exhausted');
      return r;
    };
    let header: MapRegion;
    let regions: MapRegion[];
    try {
      header = region(HEADER_BYTES);
      regions = alloc.bufferSizes.map(region);
    } catch {
      throw new BpfError(attr.name || '(unnamed)', OP_CREATE, ENOMEM, hintFor(attr, OP_CREATE, ENOMEM));
    }
    const handle: MapHandle = {
      id: idrAlloc(),
      attr: alloc.maxEntries === undefined ? attr : { ...attr, maxEntries: alloc.maxEntries },
      cpus,
      header,
      regions,
      valueRegions: alloc.valueBuffers ?? [],
      meta: alloc.meta,
      ...(memory === undefined ? {} : { memory: memory.id }),
    };
    this.attach(handle);
    this.ops.init?.(this);
    return this;
  }

  /** Bind this map object to existing shared memory (a program's declared map, in a worker). */
  attach(handle: MapHandle): this {
    const ops = mapOpsFor(handle.attr.type);
    if (ops === undefined) throw new Error(`map '${handle.attr.name}': unknown map type ${handle.attr.type}`);
    if (this.spec.value && this.spec.value.lockOffset !== handle.attr.lockOffset) {
      throw new Error(`map '${handle.attr.name}': the declared value layout does not match the created map`);
    }
    // A layout larger than value_size would give views fields in the neighbouring element.
    if (this.spec.value && this.spec.value.size !== handle.attr.valueSize) {
      throw new Error(`map '${handle.attr.name}': the value layout is ${this.spec.value.size} bytes but the map's value_size is ${handle.attr.valueSize}; use the layout the map was created with`);
    }
    this.handle = handle;
    this.attr = handle.attr;
    this.keySize = handle.attr.keySize;
    this.numberKeys = handle.attr.keySize === 4 || handle.attr.keySize === 8;
    this.cpus = handle.cpus;
    this.header = new Int32Array(handle.header.buffer, handle.header.byteOffset, HEADER_BYTES >>> 2);
    this.mems = handle.regions.map((r) => new SharedMemory(r.buffer, r.byteOffset, r.byteLength));
    this.ops = ops;
    ops.open(this);
    // Findable by id in this thread: a map-in-map lookup returns it, an outer map update places it.
    idrAdd(handle.id, 'map', this);
    if (this.cpuBound) this.bindCpu(smpProcessorId);
    else {
      this.cpuBound = true;
      bindToThisCpu(this);
    }
    return this;
  }

  /** Point the inlined lookup at `cpu`'s views (smp.ts calls this when the thread's CPU changes). */
  bindCpu(cpu: number): void {
    // On no CPU (user space) there is no inlined lookup: a helper called there takes the checked path and refuses.
    const gen = this.handle === null || cpu < 0 ? undefined : this.ops.mapGenLookup;
    this.genLookup = gen === undefined ? NO_VIEWS : gen(this, cpu) as readonly (V | undefined)[];
  }

  /** Forget the shared memory (a program was unloaded); the object can be created again. */
  detach(): void {
    this.handle = null;
    this.header = null;
    this.mems = [];
    this.priv = null;
    this.ops = unattachedOps;
    this.genLookup = NO_VIEWS;
  }

  /** The handle to send to another thread (plain data + shared buffers). */
  getHandle(): MapHandle {
    if (!this.handle) throw new Error(`map '${this.name}' is not created yet`);
    return this.handle;
  }

  // ---- sizes ------------------------------------------------------------------------------------

  /** True for the per-CPU types, whose user-space value holds one slot per CPU (the type's ops say; also before creation). */
  get isPercpu(): boolean {
    return (this.handle === null ? mapOpsFor(this.attr.type) : this.ops)?.percpu === true;
  }

  /** bpf_map_value_size(): the bytes of a value on the user-space face. */
  get userValueSize(): number {
    return mapValueSize(this);
  }

  // ---- the user-space face ---------------------------------------------------------------------

  /**
   * BPF_MAP_LOOKUP_ELEM: a copy of the value (per-CPU maps: cpus x round_up(valueSize, 8) bytes).
   * On a bloom filter pass the value to test as `value` (key null): ENOENT when certainly absent.
   */
  lookup(key: Uint8Array | number | null, flags = 0, value?: Uint8Array): Uint8Array {
    this.checkCreated(OP_LOOKUP);
    if (!isU32(flags) || (flags & ~BPF_F_LOCK)) this.fail(OP_LOOKUP, EINVAL, 'flags');
    if (this.attr.flags & BPF_F_WRONLY) this.fail(OP_LOOKUP, EPERM);
    if ((flags & BPF_F_LOCK) && this.attr.lockOffset < 0) this.fail(OP_LOOKUP, EINVAL, 'lock');
    const k = this.userKey(OP_LOOKUP, key);
    // `value`: the buffer the kernel reads in first, where a bloom filter finds the value to test.
    if (value !== undefined) this.checkValue(OP_LOOKUP, value);
    const out = value === undefined ? new Uint8Array(this.userValueSize) : Uint8Array.from(value);
    const r = this.ops.lookupElemSys(this, k, out, flags, this.userCpu);
    if (r < 0) this.fail(OP_LOOKUP, r);
    return out;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM into the caller's buffer, as libbpf's bpf_map_lookup_elem(fd, key, value):
   * `out` must hold userValueSize bytes and is returned. Nothing is allocated, so a loop of lookups
   * costs no garbage. On a bloom filter, `out` holds the value to test (key null).
   */
  lookupInto(key: Uint8Array | number | null, out: Uint8Array, flags = 0): Uint8Array {
    this.checkCreated(OP_LOOKUP);
    if (!isU32(flags) || (flags & ~BPF_F_LOCK)) this.fail(OP_LOOKUP, EINVAL, 'flags');
    if (this.attr.flags & BPF_F_WRONLY) this.fail(OP_LOOKUP, EPERM);
    if ((flags & BPF_F_LOCK) && this.attr.lockOffset < 0) this.fail(OP_LOOKUP, EINVAL, 'lock');
    const k = this.userKey(OP_LOOKUP, key);
    this.checkValue(OP_LOOKUP, out);
    const r = this.ops.lookupElemSys(this, k, out, flags, this.userCpu);
    if (r < 0) this.fail(OP_LOOKUP, r);
    return out;
  }

  /**
   * BPF_MAP_UPDATE_ELEM with BPF_ANY, BPF_NOEXIST or BPF_EXIST (and BPF_F_LOCK). A prog array,
   * perf event array or map-in-map takes an object where the kernel takes its fd: its id as 4
   * bytes, or the object itself (a map, a perf event, a loaded program's entry: anything with an id).
   */
  update(key: Uint8Array | number | null, value: Uint8Array | { readonly id: number }, flags: number = BPF_ANY): void {
    this.checkCreated(OP_UPDATE);
    if (!(value instanceof Uint8Array) && isFdMapType(this.attr.type) && value !== null && typeof value === 'object' && isU32(value.id)) {
      value = u32Bytes(value.id);
    }
    if (!isU32(flags)) this.fail(OP_UPDATE, EINVAL, 'flags');
    if (!this.writable()) this.fail(OP_UPDATE, EPERM);
    if ((flags & BPF_F_LOCK) && this.attr.lockOffset < 0) this.fail(OP_UPDATE, EINVAL, 'lock');
    const k = this.userKey(OP_UPDATE, key);
    this.checkValue(OP_UPDATE, value as Uint8Array);
    const r = this.ops.updateElem(this, k ?? 0, value as Uint8Array, flags, this.userCpu, true);
    if (r < 0) this.fail(OP_UPDATE, r);
  }

  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array | number | null): void {
    this.checkCreated(OP_DELETE);
    if (!this.writable()) this.fail(OP_DELETE, EPERM);
    const k = this.userKey(OP_DELETE, key);
    const r = this.ops.deleteElem(this, k ?? 0, this.userCpu);
    if (r < 0) this.fail(OP_DELETE, r);
  }

  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key`, or the first key when null. After the last key it
   * throws a BpfError with errno 'ENOENT': that is how a walk ends (as in the kernel), so catch it,
   * or walk with keys(), which stops there for you.
   */
  getNextKey(key: Uint8Array | number | null): Uint8Array {
    this.checkCreated(OP_NEXT);
    if (this.attr.flags & BPF_F_WRONLY) this.fail(OP_NEXT, EPERM);
    const k = key === null ? null : this.userKey(OP_NEXT, key);
    const next = new Uint8Array(this.attr.keySize);
    const r = this.ops.getNextKey(this, k, next);
    if (r < 0) this.fail(OP_NEXT, r);
    return next;
  }

  /**
   * BPF_MAP_GET_NEXT_KEY into the caller's buffer, as libbpf's bpf_map_get_next_key(fd, key,
   * next_key): `next` must hold key_size bytes and is returned; ENOENT (thrown) after the last key.
   */
  getNextKeyInto(key: Uint8Array | number | null, next: Uint8Array): Uint8Array {
    this.checkCreated(OP_NEXT);
    if (this.attr.flags & BPF_F_WRONLY) this.fail(OP_NEXT, EPERM);
    let k = key === null ? null : this.userKey(OP_NEXT, key);
    if (!(next instanceof Uint8Array) || next.length !== this.attr.keySize) this.fail(OP_NEXT, EINVAL, 'keysize');
    // The kernel reads the key before it writes the next one; so must we when they share a buffer.
    if (k === next) {
      const copy = this.scratchKey();
      copy.set(next);
      k = copy;
    }
    const r = this.ops.getNextKey(this, k, next);
    if (r < 0) this.fail(OP_NEXT, r);
    return next;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash types; queue and stack pop). */
  lookupAndDelete(key: Uint8Array | number | null, flags = 0): Uint8Array {
    this.checkCreated(OP_LOOKUP_DELETE);
    if (!isU32(flags) || (flags & ~BPF_F_LOCK)) this.fail(OP_LOOKUP_DELETE, EINVAL, 'flags');
    if ((this.attr.flags & BPF_F_WRONLY) || !this.writable()) this.fail(OP_LOOKUP_DELETE, EPERM);
    const t = this.attr.type;
    if (flags && (t === BPF_MAP_TYPE_QUEUE || t === BPF_MAP_TYPE_STACK)) this.fail(OP_LOOKUP_DELETE, EINVAL, 'flags');
    if ((flags & BPF_F_LOCK) && this.attr.lockOffset < 0) this.fail(OP_LOOKUP_DELETE, EINVAL, 'lock');
    const k = this.userKey(OP_LOOKUP_DELETE, key);
    const out = new Uint8Array(this.userValueSize);
    if (!this.ops.lookupAndDeleteElem) this.fail(OP_LOOKUP_DELETE, ENOTSUPP);
    const r = this.ops.lookupAndDeleteElem!(this, k, out, flags, this.userCpu);
    if (r < 0) this.fail(OP_LOOKUP_DELETE, r);
    return out;
  }

  /**
   * BPF_MAP_LOOKUP_BATCH: up to `count` elements from the cursor `inBatch` on (null: from the
   * start). Arrays and hashes; a hash's cursor is a u32 bucket index and it copies whole buckets.
   * Returns { count, keys, values, outBatch, end } (see BatchResult in batch.ts); errors other
   * than the ENOENT that ends a walk throw a BatchError holding the kernel's count and out_batch.
   */
  lookupBatch(inBatch: Uint8Array | number | null, count: number, options: BatchOptions = {}): BatchResult {
    this.checkCreated('BPF_MAP_LOOKUP_BATCH');
    return lookupBatch(this, inBatch, count, options, false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH (hash maps): as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | number | null, count: number, options: BatchOptions = {}): BatchResult {
    this.checkCreated('BPF_MAP_LOOKUP_AND_DELETE_BATCH');
    return lookupBatch(this, inBatch, count, options, true);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: update key i with value i (packed buffers; `count` defaults to every key),
   * in order, stopping at the first error (a BatchError whose count says how many were done).
   * Returns the count.
   */
  updateBatch(keys: Uint8Array, values: Uint8Array, options: { count?: number; elemFlags?: number } = {}): number {
    this.checkCreated('BPF_MAP_UPDATE_BATCH');
    return updateBatch(this, keys, values, options.count, options.elemFlags ?? 0);
  }

  /** BPF_MAP_DELETE_BATCH (hash maps): delete each key in order, stopping at the first error (ENOENT for a missing key). */
  deleteBatch(keys: Uint8Array, options: { count?: number; elemFlags?: number } = {}): number {
    this.checkCreated('BPF_MAP_DELETE_BATCH');
    return deleteBatch(this, keys, options.count, options.elemFlags ?? 0);
  }

  /** BPF_MAP_FREEZE: no more writes from user space; programs still write. */
  freeze(): void {
    this.checkCreated(OP_FREEZE);
    if (this.attr.lockOffset >= 0) this.fail(OP_FREEZE, ENOTSUPP);
    // A frozen map has no write permission left, so a second freeze is refused like any write.
    if (!this.writable()) this.fail(OP_FREEZE, EPERM);
    if (Atomics.compareExchange(this.header!, HEADER_FROZEN, 0, 1) !== 0) this.fail(OP_FREEZE, EBUSY);
  }

  /** BPF_OBJ_GET_INFO_BY_FD: what the kernel reports of the map (map_flags without RDONLY/WRONLY, which belong to the fd). */
  info(): MapInfo {
    this.checkCreated('BPF_OBJ_GET_INFO_BY_FD');
    const a = this.attr;
    return {
      id: this.handle!.id,
      type: a.type,
      typeName: mapTypeName(a.type) ?? String(a.type),
      name: a.name,
      keySize: a.keySize,
      valueSize: a.valueSize,
      maxEntries: a.maxEntries,
      flags: a.flags & ~(BPF_F_RDONLY | BPF_F_WRONLY),
      mapExtra: a.mapExtra,
      cpus: this.cpus,
      frozen: this.frozen,
    };
  }

  get frozen(): boolean {
    return this.header !== null && Atomics.load(this.header, HEADER_FROZEN) === 1;
  }

  // ---- conveniences on top of the raw contract -------------------------------------------------

  /**
   * Every key, in the kernel's get_next_key order, as key_size-byte Uint8Arrays (a walk with
   * getNextKey that ends at its ENOENT): `for (const key of map.keys()) map.lookup(key)`. Keys
   * inserted or deleted during the walk may or may not be seen, as in the kernel.
   */
  *keys(): Generator<Uint8Array> {
    let key: Uint8Array | null = null;
    for (;;) {
      try {
        key = this.getNextKey(key);
      } catch (e) {
        if (e instanceof BpfError && e.errno === 'ENOENT') return;
        throw e;
      }
      yield key;
    }
  }

  /** Every element as `bpftool -j map dump` prints it; formatDump(map.dump()) gives the plain text of `bpftool map dump`. */
  dump(): DumpEntry[] {
    return dumpMap(this);
  }

  /**
   * A per-CPU map's value for `key` split by CPU: one valueSize-byte Uint8Array per CPU, CPU 0
   * first (lookup() returns them packed, each in a round_up(valueSize, 8)-byte slot). Decode each
   * with the value layout, e.g. `map.lookupPerCpu(0).map((b) => Elem.decode(b).cnt)`. Throws a
   * TypeError on a map that is not per-CPU.
   */
  lookupPerCpu(key: Uint8Array | number): Uint8Array[] {
    if (!this.isPercpu) throw new TypeError(`map '${this.name}' is not a per-CPU map; use lookup()`);
    const all = this.lookup(key);
    const stride = roundUp8(this.attr.valueSize);
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.cpus; c++) out.push(all.subarray(c * stride, c * stride + this.attr.valueSize));
    return out;
  }

  /**
   * The sum over CPUs of a per-CPU value, as user space aggregates it: the named field of the
   * value layout (`sum(0, 'cnt')`), or without a field the whole value read as a little-endian
   * unsigned integer (values of up to 8 bytes). A sum, not a snapshot: CPUs may be writing while
   * it reads. Throws a TypeError on a map that is not per-CPU.
   */
  sum(key: Uint8Array | number, field?: string): number {
    if (!this.isPercpu) throw new TypeError(`map '${this.name}' is not a per-CPU map; use lookup()`);
    // BPF_MAP_LOOKUP_ELEM's checks as lookupInto() makes them (no flags here). A number key goes
    // to the family as the number: it hashes and indexes as its little-endian bytes would
    // (hashOf, indexOf), so it is never written out and hashed back a byte at a time.
    this.checkCreated(OP_LOOKUP);
    if (this.attr.flags & BPF_F_WRONLY) this.fail(OP_LOOKUP, EPERM);
    const k = typeof key === 'number' && this.numberKeys && key >= 0 && key <= (this.keySize === 4 ? U32_MAX : Number.MAX_SAFE_INTEGER) && Number.isInteger(key)
      ? key : this.userKey(OP_LOOKUP, key)!;
    // Where to read, kept for the field last summed (a struct per call would be garbage).
    if (this.sumFieldName !== field || this.sumAt < 0) {
      const f = sumField(this, field);
      this.sumFieldName = field;
      this.sumAt = f.at;
      this.sumKind = f.kind;
    }
    const at = this.sumAt;
    const kind = this.sumKind;
    const ops = this.ops;
    let total = 0;
    if (ops.percpuValueOff !== undefined) {
      // The family says where the value's CPU slots are and they are read in place: the copy a
      // lookup makes would be read once and thrown away. Not a snapshot either way (CPUs may be
      // writing), as the copy never was.
      if (this.sumPriv !== this.priv) {
        const slab = ops.percpuSlab!(this);
        const u8 = slab.mem.u8;
        this.sumSlab = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
        this.sumStride = slab.stride;
        this.sumPriv = this.priv;
      }
      const off = ops.percpuValueOff(this, k);
      if (off < 0) this.fail(OP_LOOKUP, off);
      const dv = this.sumSlab!;
      const stride = this.sumStride;
      for (let c = 0, o = off + at; c < this.cpus; c++, o += stride) total += readAt(dv, o, kind);
      return total;
    }
    // One lookup into a buffer kept for this, read in place: nothing allocated per call.
    const size = this.userValueSize;
    if (this.sumBytes === null || this.sumBytes.length !== size) {
      this.sumBytes = new Uint8Array(size);
      this.sumView = new DataView(this.sumBytes.buffer);
    }
    const r = ops.lookupElemSys(this, k as Uint8Array, this.sumBytes, 0, this.userCpu);
    if (r < 0) this.fail(OP_LOOKUP, r);
    const dv = this.sumView!;
    const stride = roundUp8(this.attr.valueSize);
    for (let c = 0, o = at; c < this.cpus; c++, o += stride) total += readAt(dv, o, kind);
    return total;
  }

  // ---- internals --------------------------------------------------------------------------------

  private checkCreated(op: string): void {
    if (this.handle === null) throw new Error(`${op} on map '${this.name}': the map is declared but not created; load its program first`);
  }

  private writable(): boolean {
    return !(this.attr.flags & BPF_F_RDONLY) && !this.frozen;
  }

  /** The user's key as key_size bytes (or null for maps without keys). */
  private userKey(op: string, key: Uint8Array | number | null): Uint8Array | null {
    const ks = this.attr.keySize;
    if (ks === 0) {
      if (key !== null) this.fail(op, EINVAL, 'nullkey');
      return null;
    }
    if (key === null || key === undefined) this.fail(op, EFAULT, 'nokey');
    if (typeof key === 'number') return this.numberKey(op, key);
    if (!(key instanceof Uint8Array) || key.length !== ks) this.fail(op, EINVAL, 'keysize');
    return key as Uint8Array;
  }

  private scratchKey(): Uint8Array {
    return this.keyScratch ??= new Uint8Array(this.attr.keySize);
  }

  /** A number key as key_size bytes, in this map's scratch key. */
  private numberKey(op: string, key: number): Uint8Array {
    const ks = this.attr.keySize;
    if ((ks !== 4 && ks !== 8) || !Number.isInteger(key) || key < 0 || key > (ks === 4 ? U32_MAX : Number.MAX_SAFE_INTEGER)) {
      this.fail(op, EINVAL, 'numberkey');
    }
    const b = this.scratchKey();
    b[0] = key & 0xff;
    b[1] = (key >>> 8) & 0xff;
    b[2] = (key >>> 16) & 0xff;
    b[3] = (key >>> 24) & 0xff;
    if (ks === 8) {
      const hi = Math.floor(key / TWO_32);
      b[4] = hi & 0xff;
      b[5] = (hi >>> 8) & 0xff;
      b[6] = (hi >>> 16) & 0xff;
      b[7] = hi >>> 24;
    }
    return b;
  }

  private checkValue(op: string, value: Uint8Array): void {
    if (!(value instanceof Uint8Array) || value.length !== this.userValueSize) this.fail(op, EINVAL, 'valuesize');
  }

  /** Throw the BpfError for a failed op, with a hint on what to do. */
  fail(op: string, code: number, detail?: string): never {
    const hint = hintFor(this.attr, op, code, detail, this);
    throw new BpfError(this.name, op, code, hint);
  }
}

function u32Bytes(x: number): Uint8Array {
  return new Uint8Array([x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
}

/**
 * How sum() reads a number: its byte count, negative for a signed field (-1, -2, -4, -8). A
 * number, so the read is a switch over small integers.
 */
const SUM_KINDS: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: -1, s16: -2, s32: -4, s64: -8 };

/** Where sum() reads in each CPU's value: the named field, or the whole value as an unsigned integer of up to 8 bytes. */
function sumField(map: BpfMap, field?: string): { at: number; kind: number } {
  if (field !== undefined) {
    const f = map.spec.value?.fields[field] as { offset: number; type: { kind: string } } | undefined;
    if (!f) throw new TypeError(`map '${map.name}' has no value field '${field}'`);
    if (f.type.kind === 'array') throw new TypeError(`field '${field}' is an array; sum() needs a number field`);
    if (f.type.kind === 'bpf_spin_lock') throw new TypeError(`field '${field}' is a bpf_spin_lock; sum() needs a number field`);
    const kind = SUM_KINDS[f.type.kind];
    if (kind === undefined) throw new TypeError(`field '${field}' is a ${f.type.kind}; sum() needs a number field`);
    return { at: f.offset, kind };
  }
  const vs = map.attr.valueSize;
  if (vs > 8) throw new TypeError(`map '${map.name}': sum() of a ${vs}-byte value needs a field name`);
  return { at: 0, kind: vs };
}

/** A number at `at` as sum() reads it (see SUM_KINDS); 3, 5, 6 and 7 bytes as a little-endian unsigned integer. */
function readAt(dv: DataView, at: number, kind: number): number {
  switch (kind) {
    case 1: return dv.getUint8(at);
    case 2: return dv.getUint16(at, true);
    case 4: return dv.getUint32(at, true);
    case 8: return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * TWO_32;
    case -1: return dv.getInt8(at);
    case -2: return dv.getInt16(at, true);
    case -4: return dv.getInt32(at, true);
    case -8: return dv.getUint32(at, true) + dv.getInt32(at + 4, true) * TWO_32;
    default: {
      let x = 0;
      for (let i = kind - 1; i >= 0; i--) x = x * 256 + dv.getUint8(at + i);
      return x;
    }
  }
}

/** Spec values as given, for naming a map before its spec is checked. */
function provisionalAttr(spec: MapSpec): MapAttr {
  return {
    type: typeof spec.type === 'number' ? spec.type : (MAP_TYPE_NAMES as Record<string, number>)[spec.type] ?? -1,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags ?? 0,
    name: typeof spec.name === 'string' ? spec.name : '',
    mapExtra: spec.mapExtra ?? 0,
    lockOffset: spec.value?.lockOffset ?? -1,
    slabAlign: spec.slabAlign ?? 128,
  };
}

/** A value as the caller wrote it: numbers as numbers (NaN, Infinity), strings quoted, objects as JSON. */
function asGiven(v: unknown): string {
  return typeof v === 'number' || v === undefined ? String(v) : JSON.stringify(v) ?? String(v);
}

/**
 * The JS-level checks that come before the kernel's: every number field must be a u32, as the
 * fields of union bpf_attr are. A wrong type names the field.
 */
function checkSpec(spec: MapSpec): MapAttr {
  const name = typeof spec?.name === 'string' ? spec.name : '';
  const bad = (field: string, why: string): never => {
    throw new BpfError(name || '(unnamed)', OP_CREATE, EINVAL, `spec.${field} ${why}`);
  };
  if (spec === null || typeof spec !== 'object') bad('', 'must be an object { type, keySize, valueSize, maxEntries }');
  if (spec.name !== undefined && typeof spec.name !== 'string') bad('name', `must be a string, got ${typeof spec.name}`);
  let type: number;
  if (typeof spec.type === 'string') {
    const t = (MAP_TYPE_NAMES as Record<string, number>)[spec.type];
    if (t === undefined) bad('type', `'${spec.type}' is not a map type; use one of ${Object.keys(MAP_TYPE_NAMES).join(', ')}`);
    type = t!;
  } else if (typeof spec.type === 'number' && Number.isInteger(spec.type) && spec.type >= 0) {
    type = spec.type;
    if (mapTypeName(type) === undefined) {
      throw new BpfError(name || '(unnamed)', OP_CREATE, EINVAL, `map type ${type} is not supported; use one of ${Object.entries(MAP_TYPE_NAMES).map(([n, v]) => `${n} (${v})`).join(', ')}`);
    }
  } else {
    return bad('type', `must be a map type name or a BPF_MAP_TYPE_* number, got ${asGiven(spec.type)}`);
  }
  const u32 = (field: 'keySize' | 'valueSize' | 'maxEntries' | 'flags' | 'mapExtra', v: unknown, dflt?: number): number => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (v === undefined) bad(field, 'is missing');
    if (typeof v !== 'number' || !Number.isInteger(v)) bad(field, `must be an integer, got ${asGiven(v)}`);
    if ((v as number) < 0 || (v as number) > U32_MAX) bad(field, `must be from 0 to ${U32_MAX} (a u32), got ${v}`);
    return v as number;
  };
  const slabAlign = spec.slabAlign ?? 128;
  if (![8, 64, 128, 256].includes(slabAlign)) bad('slabAlign', `must be 8, 64, 128 or 256, got ${asGiven(spec.slabAlign)}`);
  // The kernel reads inner_map_fd only for the map-in-map types.
  const inner = isMapInMapType(type!) ? innerMapMeta(spec.innerMap, name) : undefined;
  return {
    type: type!,
    keySize: u32('keySize', spec.keySize),
    valueSize: u32('valueSize', spec.valueSize),
    maxEntries: u32('maxEntries', spec.maxEntries),
    flags: u32('flags', spec.flags, 0),
    name,
    mapExtra: u32('mapExtra', spec.mapExtra, 0),
    lockOffset: spec.value?.lockOffset ?? -1,
    slabAlign,
    ...(inner === undefined ? {} : { inner }),
  };
}

/**
 * bpf_map_meta_alloc()'s copy of the inner map template: what every inner map must match. A
 * created map gives its attributes; a spec (or a declared map) is checked as createMap would check
 * it, as libbpf creates the template from the BTF before it creates the outer map. undefined when
 * there is no template (the outer map's creation then fails, as with an inner_map_fd that is no map).
 */
function innerMapMeta(template: MapSpec['innerMap'], outer: string): InnerMapMeta | undefined {
  if (template === undefined || template === null) return undefined;
  let attr: MapAttr;
  if (template instanceof BpfMap) {
    attr = template.handle !== null ? template.handle.attr : planMap(template.spec, { cpus: 1 }).attr;
  } else if (typeof template === 'object' && 'ops' in template && 'attr' in template) {
    attr = (template as BpfMapCore).getHandle().attr;
  } else if (typeof template === 'object') {
    attr = planMap(template as MapSpec, { cpus: 1 }).attr;
  } else {
    throw new BpfError(outer || '(unnamed)', OP_CREATE, EINVAL, 'spec.innerMap must be a map or a map spec (the inner map template)');
  }
  return {
    type: attr.type,
    keySize: attr.keySize,
    valueSize: attr.valueSize,
    maxEntries: attr.maxEntries,
    // The kernel keeps map_flags without BPF_F_RDONLY/BPF_F_WRONLY, which belong to an fd.
    flags: attr.flags & ~(BPF_F_RDONLY | BPF_F_WRONLY),
    lockOffset: attr.lockOffset,
    isMapInMap: isMapInMapType(attr.type),
  };
}

/**
 * BPF_MAP_CREATE up to the allocation: every check in the kernel's order (throwing the BpfError
 * create would), and the family's sizing. create() allocates what it says; mapFootprint() sums it.
 */
function planMap(spec: MapSpec, options: CreateOptions, map?: BpfMapCore): { attr: MapAttr; cpus: number; alloc: MapAlloc } {
  const cpus = options.cpus ?? availableParallelism();
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 1024) {
    throw new RangeError(`cpus must be an integer from 1 to 1024, got ${String(cpus)}`);
  }
  const attr = checkSpec(spec);
  const ops = mapOpsFor(attr.type);
  const fail = (code: number, detail?: string): never => {
    throw new BpfError(attr.name || '(unnamed)', OP_CREATE, code, hintFor(attr, OP_CREATE, code, detail, map));
  };
  if (ops === undefined) return fail(EINVAL);
  // Each EINVAL cause has its own hint (hints.ts); the family's own checks are told apart there.
  if (attr.mapExtra !== 0 && attr.type !== BPF_MAP_TYPE_BLOOM_FILTER) fail(EINVAL, 'mapextra');
  if ((attr.flags & BPF_F_RDONLY) && (attr.flags & BPF_F_WRONLY)) fail(EINVAL, 'rdwr');
  const check = ops.allocCheck(attr, cpus);
  if (check < 0) fail(check);
  const alloc = ops.alloc(attr, cpus);
  if (typeof alloc === 'number') return fail(alloc);
  if (!NAME_RE.test(attr.name) || attr.name.length >= BPF_OBJ_NAME_LEN) fail(EINVAL, 'name');
  if (spec.value) {
    // The BTF checks: the layout must describe value_size bytes; special fields only where allowed.
    if (spec.value.size !== attr.valueSize) fail(EINVAL, 'layout');
    // A BTF value without a BTF key is refused by types that do not check their own BTF: the
    // live kernel fails a keyless queue or stack whose value holds a lock with EINVAL, not EOPNOTSUPP.
    if (attr.lockOffset >= 0 && (attr.type === BPF_MAP_TYPE_QUEUE || attr.type === BPF_MAP_TYPE_STACK)) fail(EINVAL, 'keylessbtf');
    // The program access flags are checked before the per-type allow-list (kernel: EACCES wins).
    if (attr.lockOffset >= 0 && (attr.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))) fail(EACCES);
    if (attr.lockOffset >= 0 && !ops.spinLockAllowed) fail(EOPNOTSUPP);
  }
  return { attr, cpus, alloc };
}

/**
 * The bytes a map of this spec takes in a MapMemory (its header and buffers, each region-aligned),
 * so a loaded object's memory can be sized before its maps are created in it. Throws what
 * createMap would for a bad spec.
 */
export function mapFootprint(spec: MapSpec, options: { cpus?: number } = {}): number {
  const { alloc } = planMap(spec, options, new BpfMap(spec));
  return alloc.bufferSizes.reduce((sum, n) => sum + regionBytes(n), regionBytes(HEADER_BYTES));
}

// ---- entry points ---------------------------------------------------------------------------------

/** BPF_MAP_CREATE from user space: a new map in shared memory. */
export function createMap<F extends Record<string, FieldType>>(spec: MapSpec & { value: StructLayout<F> }, options?: CreateOptions): BpfMap<StructView<F>>;
export function createMap(spec: MapSpec, options?: CreateOptions): BpfMap;
export function createMap(spec: MapSpec, options: CreateOptions = {}): BpfMap {
  return new BpfMap(spec).create(options);
}

/** A map a program declares (like a libbpf SEC(".maps") definition); created when the program loads. */
export function declareMap<F extends Record<string, FieldType>>(spec: MapSpec & { value: StructLayout<F> }): BpfMap<StructView<F>>;
export function declareMap(spec: MapSpec): BpfMap;
export function declareMap(spec: MapSpec): BpfMap {
  return new BpfMap(spec);
}

/** The same map, in this thread, from a handle made in another. */
export function openMap(handle: MapHandle, layout?: StructLayout<any>): BpfMap {
  const spec: MapSpec = { ...handle.attr, value: layout };
  return new BpfMap(spec).attach(handle);
}

