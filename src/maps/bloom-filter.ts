// BPF_MAP_TYPE_BLOOM_FILTER (the kernel's kernel/bpf/bloom_filter.c).
//
// A bit array and k hash functions; push sets k bits, peek tests them: "maybe present" (0) or
// "certainly absent" (ENOENT), never a false negative. The k hashes are the kernel's: jhash2 over
// the value's u32 words when value_size is a multiple of 4, else jhash over its bytes, each with
// the seed seed + i; the bit index is the hash & mask. With BPF_F_ZERO_SEED (seed 0) the same
// values set the same bits as in the kernel, so the same absent values are false positives.
//
// Sizing (bloom_map_alloc): k = map_extra & 0xF, or 5 when 0. nr_bits = max_entries * k, then
// nr_bits / 5 * 7 (7/5 for 1/ln 2), rounded up to a power of two, at least 64; when a step
// overflows a u32 or passes 2^31, 2^32 bits (mask U32_MAX).
//
// Buffer 0:
//   offset  size                           meaning                                   written by
//   0       round_up(nr_bits / 8, 8) bytes  the bit array; bit h is bit h % 32 of     push (Atomics.or: no lock,
//                                           u32 word h / 32 (the kernel's long         as the kernel's set_bit)
//                                           bitmap, little-endian), which is bit
//                                           h % 8 of byte h / 8: push and peek work
//                                           on bytes (see setBit)
//
// Nothing else is shared: the seed, mask and k are fixed at creation and travel in the handle.

import { randomBytes } from 'node:crypto';
import { E2BIG, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP } from './errno.js';
import { jhash, jhash2, jhash2Low30, jhash2Word1Low30, jhashLow30, jhashMixSeeded } from './jhash.js';
import { ValueView } from './layout.js';
import { BPF_F_ACCESS_MASK, accessFlagsOk, KMALLOC_MAX_SIZE, MAX_MAP_BYTES, type BpfMapCore, type BpfMapOps, type MapAlloc, type MapAttr, type ValueSource } from './bpf.js';
import { U32_MAX } from './limits.js';
import { BPF_ANY, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED } from './uapi.js';

const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const BITS_PER_LONG = 64;

interface BloomPriv {
  /** The bit array as bytes: bit h is bit h & 7 of byte h >>> 3. */
  readonly bits: Uint8Array;
  readonly mask: number;
  readonly seed: number;
  /** seed + i for each hash function i, as int32 (read inside the hash: see jhashMixSeeded). */
  readonly seeds: Int32Array;
  readonly nrHashFuncs: number;
  readonly valueSize: number;
  /** value_size / 4 when value_size is a multiple of 4 (jhash2 over words), else 0 (jhash over bytes). */
  readonly alignedU32Count: number;
}

/** The bit-array size the kernel picks: { bits (a power of two, or 2^32), mask }. */
export function bloomBits(maxEntries: number, nrHashFuncs: number): { bits: number; mask: number } {
  let nrBits = maxEntries * nrHashFuncs;
  if (nrBits <= U32_MAX) nrBits = Math.floor(nrBits / 5) * 7;
  if (nrBits > U32_MAX || nrBits > 2 ** 31) return { bits: 2 ** 32, mask: U32_MAX };
  let bits = BITS_PER_LONG;
  while (bits < nrBits) bits *= 2;
  return { bits, mask: bits - 1 };
}

/**
 * The i-th hash of the value: a bit index. A filter of at most 2^30 bits needs only the hash's low
 * 30 bits, which the *Mix variants hand out as a small integer: a full u32 returned from a call is
 * a heap number in V8, one allocation per hash function per push or peek.
 */
function hash(p: BloomPriv, bytes: Uint8Array, off: number, i: number): number {
  if (p.mask <= 0x3fffffff) {
    if (p.alignedU32Count) return jhash2Low30(bytes, off, p.alignedU32Count, p.seeds, i) & p.mask;
    jhashMixSeeded(bytes, off, p.valueSize, p.seeds, i);
    return jhashLow30() & p.mask;
  }
  const h = p.alignedU32Count
    ? jhash2(bytes, off, p.alignedU32Count, p.seed + i)
    : jhash(bytes, off, p.valueSize, p.seed + i);
  return (h & p.mask) >>> 0;
}

function pushElem(map: BpfMapCore, value: ValueSource, flags: number): number {
  const p = map.priv as BloomPriv;
  if (flags !== BPF_ANY) return EINVAL;
  const bytes = value instanceof ValueView ? value._mem.u8 : value;
  const off = value instanceof ValueView ? value._off : 0;
  if (p.alignedU32Count === 1 && p.mask <= 0x3fffffff) {
    // A one-word value (the common u32): read it once for all k hashes.
    const w0 = bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24);
    for (let i = 0; i < p.nrHashFuncs; i++) setBit(p.bits, jhash2Word1Low30(w0, p.seeds, i) & p.mask);
    return 0;
  }
  for (let i = 0; i < p.nrHashFuncs; i++) setBit(p.bits, hash(p, bytes, off, i));
  return 0;
}

/**
 * set_bit(): an atomic or of one bit, on the byte that holds it. A byte's old value is a small
 * integer, where a 32-bit word's (its top bits set) would be a heap number Atomics.or allocates
 * and returns; and a bit already set needs no write (the or would change nothing).
 */
function setBit(bits: Uint8Array, h: number): void {
  const i = h >>> 3;
  const m = 1 << (h & 7);
  if ((bits[i]! & m) === 0) Atomics.or(bits, i, m);
}

function peekElem(map: BpfMapCore, value: ValueSource): number {
  const p = map.priv as BloomPriv;
  const bytes = value instanceof ValueView ? value._mem.u8 : value;
  const off = value instanceof ValueView ? value._off : 0;
  const bits = p.bits;
  if (p.alignedU32Count === 1 && p.mask <= 0x3fffffff) {
    // A one-word value (the common u32): read it once for all k hashes; plain loads as below.
    const w0 = bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24);
    for (let i = 0; i < p.nrHashFuncs; i++) {
      const h = jhash2Word1Low30(w0, p.seeds, i) & p.mask;
      if (!(bits[h >>> 3]! & (1 << (h & 7)))) return ENOENT;
    }
    return 0;
  }
  for (let i = 0; i < p.nrHashFuncs; i++) {
    const h = hash(p, bytes, off, i);
    // A plain load, as the kernel's test_bit: a concurrent push may or may not be seen yet.
    if (!(p.bits[h >>> 3]! & (1 << (h & 7)))) return ENOENT;
  }
  return 0;
}

export const bloomFilterMapOps: BpfMapOps = {
  name: 'bloom_filter_map_ops',
  percpu: false,
  spinLockAllowed: false,

  allocCheck(attr: MapAttr) {
    // Checked first: a larger value could not be copied from user space.
    if (attr.valueSize > KMALLOC_MAX_SIZE) return E2BIG;
    return 0;
  },

  alloc(attr: MapAttr): MapAlloc | number {
    if (attr.keySize !== 0 || attr.valueSize === 0 || attr.maxEntries === 0 ||
        (attr.flags & ~BLOOM_CREATE_FLAG_MASK) || !accessFlagsOk(attr.flags) ||
        // map_extra's low 4 bits are the number of hash functions; nothing else may be set.
        (attr.mapExtra & ~0xf)) {
      return EINVAL;
    }
    const nrHashFuncs = attr.mapExtra || 5;
    const { bits, mask } = bloomBits(attr.maxEntries, nrHashFuncs);
    // BITS_TO_BYTES(U32_MAX) rounds up to the same bytes as 2^32 bits.
    const bytes = Math.ceil(bits / 64) * 8;
    if (bytes > MAX_MAP_BYTES) return ENOMEM;
    const seed = attr.flags & BPF_F_ZERO_SEED ? 0 : randomBytes(4).readUInt32LE(0);
    return { bufferSizes: [bytes], meta: { nrHashFuncs, mask, seed } };
  },

  open(map) {
    const meta = map.getHandle().meta as { nrHashFuncs: number; mask: number; seed: number };
    const vs = map.attr.valueSize;
    const p: BloomPriv = {
      bits: map.mems[0]!.u8,
      mask: meta.mask,
      seed: meta.seed,
      seeds: Int32Array.from({ length: meta.nrHashFuncs }, (_, i) => (meta.seed + i) | 0),
      nrHashFuncs: meta.nrHashFuncs,
      valueSize: vs,
      alignedU32Count: vs % 4 === 0 ? vs / 4 : 0,
    };
    map.priv = p;
  },

  pushElem(map, value, flags) {
    return pushElem(map, value, flags);
  },
  peekElem(map, value) {
    return peekElem(map, value);
  },
  popElem() {
    return EOPNOTSUPP;
  },

  // Programs use push and peek (the verifier refuses lookup and update). From user space the
  // kernel routes update to push and lookup to peek, where the user's value buffer is the input.
  lookupElem() {
    return null;
  },
  updateElem(map, _key, value, flags, _cpu, fromUser) {
    return fromUser ? pushElem(map, value, flags) : EINVAL;
  },
  deleteElem() {
    return EOPNOTSUPP;
  },
  lookupElemSys(map, _key, value) {
    return peekElem(map, value);
  },
  getNextKey() {
    return EOPNOTSUPP;
  },
  // No lookupAndDeleteElem: BPF_MAP_LOOKUP_AND_DELETE_ELEM fails with ENOTSUPP, as in the kernel.
};

/** The filter's parameters as this thread sees them (for tests and dumps). */
export function bloomParams(map: BpfMapCore): { nrHashFuncs: number; mask: number; seed: number } {
  const p = map.priv as BloomPriv;
  return { nrHashFuncs: p.nrHashFuncs, mask: p.mask, seed: p.seed };
}
