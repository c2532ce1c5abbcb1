// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (the kernel's kernel/bpf/arraymap.c).
//
// Every element exists from creation, zero-filled; an element is round_up(value_size, 8) bytes.
//
// ARRAY, buffer 0:
//   offset              size        meaning                      written by
//   i * elemSize        value_size  element i                    programs (through views), user updates
//
// PERCPU_ARRAY, buffer 0 (CPU-major: each CPU's slab is its own, so CPUs never share a line
// unless slabAlign asks for it):
//   offset                          size        meaning                      written by
//   c * slabStride + i * elemSize   value_size  element i, CPU c's slot      CPU c's programs; user updates
//   slabStride = round_up(max_entries * elemSize, slabAlign)

import { BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS,
  BPF_NOEXIST } from './uapi.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM } from './errno.js';
import { copyFromSlot, copyFromSlotLocked, copyIntoSlot, copyValueIn, copyValueInLocked } from './copy.js';
import { ValueView, type SharedMemory } from './layout.js';
import { BPF_F_ACCESS_MASK, accessFlagsOk, MAX_MAP_BYTES, PCPU_MIN_UNIT_SIZE, type BpfMapCore, type BpfMapOps, type Key, type MapAlloc, type ValueSource } from './bpf.js';
import { roundUp, roundUp8, U32_MAX } from './limits.js';

const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const INT_MAX = 0x7fffffff;

interface ArrayPriv {
  readonly percpu: boolean;
  readonly maxEntries: number;
  readonly elemSize: number;
  readonly slabStride: number;
  readonly mem: SharedMemory;
  /** Views by CPU, then index (ARRAY: one row for every CPU), created on first lookup. */
  readonly views: (ValueView | undefined)[][];
}

/** An index from a program key (u32, as the kernel reads it) or from 4 user bytes. */
/** An array key's index: a u32, little-endian. */
export function indexOf(key: Key): number {
  if (typeof key === 'number') return key >>> 0;
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

/**
 * array_map_get_next_key(): indexes in order, full or empty; a missing or out-of-range key starts at
 * 0. The fd arrays (prog, perf event, array of maps) walk the same way, as in the kernel.
 */
export function arrayGetNextKey(maxEntries: number, key: Key | null, next: Uint8Array): number {
  const index = key === null ? maxEntries : indexOf(key);
  let nextIndex: number;
  if (index >= maxEntries) nextIndex = 0;
  else if (index === maxEntries - 1) return ENOENT;
  else nextIndex = index + 1;
  next[0] = nextIndex & 0xff;
  next[1] = (nextIndex >>> 8) & 0xff;
  next[2] = (nextIndex >>> 16) & 0xff;
  next[3] = nextIndex >>> 24;
  return 0;
}

function slotOffset(p: ArrayPriv, index: number, cpu: number): number {
  return p.percpu ? cpu * p.slabStride + index * p.elemSize : index * p.elemSize;
}

function viewRow(p: ArrayPriv, cpu: number): (ValueView | undefined)[] {
  return p.views[p.percpu ? cpu : 0]!;
}

function view(map: BpfMapCore, p: ArrayPriv, index: number, cpu: number): ValueView {
  return viewRow(p, cpu)[index] ?? newView(map, p, index, cpu);
}

// Kept out of view() so the lookup path stays small enough for the JIT to inline into handlers.
function newView(map: BpfMapCore, p: ArrayPriv, index: number, cpu: number): ValueView {
  const v = new map.View(p.mem, slotOffset(p, index, cpu), map.attr.valueSize, map.attr.lockOffset);
  viewRow(p, cpu)[index] = v;
  return v;
}

/** Copy a program's value (bytes or a view) into one slot. */
function writeSlot(map: BpfMapCore, p: ArrayPriv, off: number, value: ValueSource, locked: boolean): void {
  const vs = map.attr.valueSize;
  const lockOffset = map.attr.lockOffset;
  // The kernel copies under the value's lock whatever the source (bytes, or another value).
  if (locked) copyValueInLocked(p.mem, off, value, vs, lockOffset);
  else copyValueIn(p.mem, off, value, vs, lockOffset);
}

/**
 * ARRAY and PERCPU_ARRAY share the code, program-side lookup included (lookupElem picks this CPU's
 * slot, as the kernel's percpu_array_map_lookup_elem does); a per-CPU value may hold no
 * bpf_spin_lock (EOPNOTSUPP at creation).
 */
function makeOps(name: string, percpu: boolean): BpfMapOps {
  return {
    name,
    percpu,
    spinLockAllowed: !percpu,
    // generic_map_lookup_batch / generic_map_update_batch (no delete batches: elements cannot go).
    genericBatch: { lookup: true, update: true },

    allocCheck(attr) {
      if (attr.maxEntries === 0 || attr.keySize !== 4 || attr.valueSize === 0 ||
          (attr.flags & ~ARRAY_CREATE_FLAG_MASK) || !accessFlagsOk(attr.flags) ||
          (percpu && (attr.flags & BPF_F_NUMA_NODE))) {
        return EINVAL;
      }
      if (percpu && (attr.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP))) return EINVAL;
      // BPF_F_PRESERVE_ELEMS belongs to perf event arrays only.
      if (attr.flags & BPF_F_PRESERVE_ELEMS) return EINVAL;
      if (attr.valueSize > INT_MAX) return E2BIG;
      if (percpu && roundUp8(attr.valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
      return 0;
    },

    alloc(attr, cpus): MapAlloc | number {
      const elemSize = roundUp8(attr.valueSize);
      const slabStride = percpu ? roundUp(attr.maxEntries * elemSize, attr.slabAlign) : 0;
      const bytes = percpu ? slabStride * cpus : attr.maxEntries * elemSize;
      if (bytes > MAX_MAP_BYTES) return ENOMEM;
      return { bufferSizes: [Math.max(bytes, 8)], meta: { elemSize, slabStride }, valueBuffers: [0] };
    },

    open(map) {
      const { elemSize, slabStride } = map.getHandle().meta as { elemSize: number; slabStride: number };
      const priv: ArrayPriv = {
        percpu,
        maxEntries: map.attr.maxEntries,
        elemSize,
        slabStride,
        mem: map.mems[0]!,
        views: Array.from({ length: percpu ? map.cpus : 1 }, () => []),
      };
      map.priv = priv;
    },

    lookupElem(map, key, cpu) {
      const p = map.priv as ArrayPriv;
      const index = indexOf(key);
      if (index >= p.maxEntries) return null;
      return view(map, p, index, cpu);
    },

    mapGenLookup(map, cpu) {
      return viewRow(map.priv as ArrayPriv, cpu);
    },

    updateElem(map, key, value, flags, cpu, onAllCpus) {
      const p = map.priv as ArrayPriv;
      const index = indexOf(key);
      if (p.percpu && onAllCpus) {
        // bpf_percpu_array_update(): user space writes every CPU's slot, round_up(value_size, 8)
        // bytes each, one CPU after another (not atomic across CPUs).
        if (flags > BPF_EXIST) return EINVAL;
        if (index >= p.maxEntries) return E2BIG;
        if (flags === BPF_NOEXIST) return EEXIST;
        const src = value as Uint8Array;
        for (let c = 0; c < map.cpus; c++) {
          copyIntoSlot(p.mem, slotOffset(p, index, c), src, c * p.elemSize, p.elemSize, -1);
        }
        return 0;
      }
      // A program's flags are a u64 (a JS number past 2^32 then): compared whole, as the kernel's u64.
      if (flags > U32_MAX || ((flags & ~BPF_F_LOCK) >>> 0) > BPF_EXIST) return EINVAL;
      if (index >= p.maxEntries) return E2BIG;
      // Every element always exists, so "create only" can never succeed (checked after the index).
      if (flags & BPF_NOEXIST) return EEXIST;
      if ((flags & BPF_F_LOCK) && map.attr.lockOffset < 0) return EINVAL;
      writeSlot(map, p, slotOffset(p, index, cpu), value, (flags & BPF_F_LOCK) !== 0);
      return 0;
    },

    deleteElem() {
      return EINVAL;
    },

    lookupElemSys(map, key, out, flags) {
      const p = map.priv as ArrayPriv;
      const index = indexOf(key!);
      if (index >= p.maxEntries) return ENOENT;
      if (p.percpu) {
        // bpf_percpu_array_copy(): every CPU's slot, round_up(value_size, 8) bytes each.
        for (let c = 0; c < map.cpus; c++) copyFromSlot(p.mem, slotOffset(p, index, c), out, c * p.elemSize, p.elemSize, -1);
        return 0;
      }
      const off = slotOffset(p, index, 0);
      if (flags & BPF_F_LOCK) copyFromSlotLocked(p.mem, off, out, 0, map.attr.valueSize, map.attr.lockOffset);
      else copyFromSlot(p.mem, off, out, 0, map.attr.valueSize, map.attr.lockOffset);
      return 0;
    },

    getNextKey(map, key, next) {
      return arrayGetNextKey((map.priv as ArrayPriv).maxEntries, key, next);
    },

    ...(percpu ? {
      percpuValueOff(map: BpfMapCore, key: Key): number {
        const p = map.priv as ArrayPriv;
        const index = indexOf(key);
        return index >= p.maxEntries ? ENOENT : slotOffset(p, index, 0);
      },
      percpuSlab(map: BpfMapCore) {
        const p = map.priv as ArrayPriv;
        return { mem: p.mem, stride: p.slabStride };
      },
    } : {}),
  };
}

export const arrayMapOps: BpfMapOps = makeOps('array_map_ops', false);
export const percpuArrayMapOps: BpfMapOps = makeOps('percpu_array_map_ops', true);
