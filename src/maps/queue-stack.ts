// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (the kernel's kernel/bpf/queue_stack_maps.c).
//
// A circular array of max_entries + 1 slots of value_size bytes each (NOT rounded up to 8, unlike
// arrays and hashes). `head` is the next slot to write, `tail` the oldest element; the map is
// empty when head == tail and full when head + 1 == tail (mod size), so one slot always stays
// unused. One lock guards everything: every push, pop and peek is linearizable.
//
// Buffer 0:
//   offset          size                       meaning                              written by
//   0               4                          map lock (src/sync spin lock word)   whoever pushes/pops/peeks
//   4               4                          head: next slot to write (u32)       push, stack pop (under the lock)
//   8               4                          tail: oldest element (u32)           queue pop, push with BPF_EXIST (under the lock)
//   64              (max_entries+1)*value_size the slots                            push (under the lock)
//
// From user space the kernel routes BPF_MAP_UPDATE_ELEM to push, BPF_MAP_LOOKUP_ELEM to peek and
// BPF_MAP_LOOKUP_AND_DELETE_ELEM to pop; delete and get_next_key fail with EINVAL.

import { E2BIG, EINVAL, ENOENT, ENOMEM } from './errno.js';
import { ValueView, type SharedMemory } from './layout.js';
import { BPF_F_ACCESS_MASK, accessFlagsOk, KMALLOC_MAX_SIZE, MAX_MAP_BYTES, type BpfMapCore, type BpfMapOps, type MapAlloc, type MapAttr, type ValueSource } from './bpf.js';
import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';
import { copyValueIn, copyValueOut } from './copy.js';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_MAP_TYPE_STACK, BPF_NOEXIST } from './uapi.js';

const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

const LOCK_WORD = 0;
const HEAD_WORD = 1;
const TAIL_WORD = 2;
const SLOTS_OFFSET = 64;

interface QueueStackPriv {
  readonly stack: boolean;
  /** max_entries + 1 slots. */
  readonly size: number;
  readonly valueSize: number;
  readonly mem: SharedMemory;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
}

// Copies between a slot and the caller's bytes or view are copy.ts's copyValueIn/copyValueOut, with
// lock offset -1: queue and stack values may hold no bpf_spin_lock.

/** memset(value, 0, value_size): what peek and pop leave in the caller's buffer when empty. */
export function zeroOut(dst: ValueSource, n: number): void {
  if (dst instanceof ValueView) dst._mem.u8.fill(0, dst._off, dst._off + n);
  else dst.fill(0, 0, n);
}

// ---- the kernel's operations ---------------------------------------------------------------------

function priv(map: BpfMapCore): QueueStackPriv {
  return map.priv as QueueStackPriv;
}

function slotOffset(p: QueueStackPriv, index: number): number {
  return SLOTS_OFFSET + index * p.valueSize;
}

/** queue_stack_map_push_elem: BPF_EXIST makes room by dropping the oldest element (the bottom of a stack). */
function pushElem(map: BpfMapCore, value: ValueSource, flags: number): number {
  const p = priv(map);
  if ((flags & BPF_NOEXIST) || flags > BPF_EXIST) return EINVAL;
  const { i32, u32 } = p;
  spinLockAcquire(i32, LOCK_WORD);
  const head = u32[HEAD_WORD]!;
  let tail = u32[TAIL_WORD]!;
  let next = head + 1;
  if (next >= p.size) next = 0;
  if (next === tail) {
    if (!(flags & BPF_EXIST)) {
      spinLockRelease(i32, LOCK_WORD);
      return E2BIG;
    }
    if (++tail >= p.size) tail = 0;
    u32[TAIL_WORD] = tail;
  }
  copyValueIn(p.mem, slotOffset(p, head), value, p.valueSize, -1);
  u32[HEAD_WORD] = next;
  spinLockRelease(i32, LOCK_WORD);
  return 0;
}

/** __queue_map_get / __stack_map_get: the oldest (queue) or newest (stack) element, removed when `remove`. */
function getElem(map: BpfMapCore, out: ValueSource, remove: boolean): number {
  const p = priv(map);
  const { i32, u32 } = p;
  spinLockAcquire(i32, LOCK_WORD);
  const head = u32[HEAD_WORD]!;
  const tail = u32[TAIL_WORD]!;
  if (head === tail) {
    spinLockRelease(i32, LOCK_WORD);
    zeroOut(out, p.valueSize);
    return ENOENT;
  }
  if (p.stack) {
    const index = head === 0 ? p.size - 1 : head - 1;
    copyValueOut(p.mem, slotOffset(p, index), out, p.valueSize, -1);
    if (remove) u32[HEAD_WORD] = index;
  } else {
    copyValueOut(p.mem, slotOffset(p, tail), out, p.valueSize, -1);
    if (remove) u32[TAIL_WORD] = tail + 1 >= p.size ? 0 : tail + 1;
  }
  spinLockRelease(i32, LOCK_WORD);
  return 0;
}

export const queueMapOps: BpfMapOps = {
  name: 'queue_map_ops',
  percpu: false,
  spinLockAllowed: false,

  allocCheck(attr: MapAttr) {
    if (attr.maxEntries === 0 || attr.keySize !== 0 || attr.valueSize === 0 ||
        (attr.flags & ~QUEUE_STACK_CREATE_FLAG_MASK) || !accessFlagsOk(attr.flags)) {
      return EINVAL;
    }
    // Larger values could not be copied to user space.
    if (attr.valueSize > KMALLOC_MAX_SIZE) return E2BIG;
    return 0;
  },

  alloc(attr: MapAttr): MapAlloc | number {
    const size = attr.maxEntries + 1;
    const bytes = SLOTS_OFFSET + size * attr.valueSize;
    if (bytes > MAX_MAP_BYTES) return ENOMEM;
    return { bufferSizes: [bytes], meta: { size } };
  },

  open(map) {
    const mem = map.mems[0]!;
    const p: QueueStackPriv = {
      stack: map.attr.type === BPF_MAP_TYPE_STACK,
      size: map.getHandle().meta['size']!,
      valueSize: map.attr.valueSize,
      mem,
      i32: mem.i32,
      u32: mem.u32,
    };
    map.priv = p;
  },

  pushElem(map, value, flags) {
    return pushElem(map, value, flags);
  },
  popElem(map, out) {
    return getElem(map, out, true);
  },
  peekElem(map, out) {
    return getElem(map, out, false);
  },

  // A program's bpf_map_lookup_elem gets NULL and its update/delete EINVAL (the verifier would not
  // even let them through); from user space, update is push and lookup is peek.
  lookupElem() {
    return null;
  },
  updateElem(map, _key, value, flags, _cpu, fromUser) {
    return fromUser ? pushElem(map, value, flags) : EINVAL;
  },
  deleteElem() {
    return EINVAL;
  },
  lookupElemSys(map, _key, out) {
    return getElem(map, out, false);
  },
  getNextKey() {
    return EINVAL;
  },
  lookupAndDeleteElem(map, _key, out) {
    return getElem(map, out, true);
  },
};

/** The same table: push, pop and peek tell a stack from a queue by the map type. */
export const stackMapOps: BpfMapOps = { ...queueMapOps, name: 'stack_map_ops' };
