// bpf_map_lookup_elem on a hash map known at the call, done in WebAssembly with no JS call (the
// kernel's htab_map_gen_lookup / htab_lru_map_gen_lookup): the key's jhash, its bucket, the
// lock-free walk of the bucket's chain with the nulls-marker restart, the key compare, and the
// value's address (HASH: in the element; PERCPU_HASH: this CPU's slot; LRU: the node's ref bit set).
// Every number of the table's layout comes from JitMap.hash, which the runtime takes from the map
// family (hashtab.ts's htabGenLookup): this file knows the walk, not the layout.
//
// Memory ordering, as hashtab.ts's find(): a writer fills an element (key, value, then the hash with
// Atomics.store) and publishes it with an Atomics.store of the link that reaches it. Wasm's atomic
// loads are sequentially consistent, like Atomics.load (one memory model for both), so the head,
// next and hash words are read with i32.atomic.load: a link read that way synchronizes with the
// store that published it, and the key read after it with plain loads is the published key. The
// key and value bytes are plain loads, as keyEquals() reads them.

import type { FnEmitter } from './emitter.js';
import type { Insn } from './isa.js';
import { emitAddr } from './mem.js';
import type { HashLookup, JitMap } from './types.js';
import { AtomicOp, type Code, I32, Op } from './wasm.js';

// Map types whose lookup is inlined here (uapi enum bpf_map_type).
const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_PERCPU_HASH = 5;
const BPF_MAP_TYPE_LRU_HASH = 9;
const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;

/** jhash's initial value before the length and the seed are added. */
const JHASH_INITVAL = 0xdeadbeef;
/** Full 12-byte jhash blocks unrolled; more go through a loop (long keys are rare, code size is not). */
const MAX_UNROLLED_BLOCKS = 8;
/** Key bytes compared without a loop. */
const MAX_UNROLLED_COMPARE = 64;

/**
 * Keys up to one stack frame are inlined; a longer key can only come from a map value, and goes
 * through h1 (the checked mode's inline stack test also assumes accesses smaller than the stack).
 */
const MAX_INLINE_KEY = 512;

/** A hash map whose lookup the translator can inline: its layout is given, and an LRU map says where its ref bits are. */
export function isInlinableHash(map: JitMap): boolean {
  const h = map.hash;
  if (h === undefined || map.keySize > MAX_INLINE_KEY) return false;
  switch (map.type) {
    case BPF_MAP_TYPE_HASH:
      return h.percpu === null && h.valOff >= 0;
    case BPF_MAP_TYPE_PERCPU_HASH:
      return h.percpu !== null;
    case BPF_MAP_TYPE_LRU_HASH:
      return h.percpu === null && h.valOff >= 0 && h.lruRef !== undefined;
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return h.percpu !== null && h.lruRef !== undefined;
    default:
      return false;
  }
}

/** r0 = bpf_map_lookup_elem(map, r2): the value's address, or 0. */
export function emitHashLookup(f: FnEmitter, insn: Insn, map: JitMap): void {
  const h = map.hash!;
  const ks = map.keySize;
  const c = f.code;
  const [a, b, cc, key, hash, link, elem, p] = f.temps32(8) as [number, number, number, number, number, number, number, number];
  // The key's address (bounded to key_size bytes in checked mode); r2 + 0, so no memarg offset.
  emitAddr(f, 2, 0, ks, insn.pc);
  c.set(key);
  emitJhash(c, ks, h.seed, { a, b, c: cc, key, p });
  c.get(cc);
  c.i32Const(h.hashMask);
  c.op(Op.i32_and);
  c.set(hash);
  // The bucket, kept in `a` for the end-marker test.
  c.get(hash);
  c.i32Const(h.mask);
  c.op(Op.i32_and);
  c.set(a);

  c.block(); // $out: r0 is set before the branch here
  c.loop(); // $restart
  c.get(a);
  c.i32Const(h.bucketBytes);
  c.op(Op.i32_mul);
  c.atomic(AtomicOp.i32_load, 2, h.heads);
  c.set(link);
  c.block(); // $end of the chain
  c.loop(); // $walk
  c.get(link);
  c.i32Const(0);
  c.op(Op.i32_le_s);
  c.brIf(1);
  // The element of link: elems + (link - 1) * elemSize.
  c.get(link);
  c.i32Const(h.elemSize);
  c.op(Op.i32_mul);
  c.i32Const(h.elems - h.elemSize);
  c.op(Op.i32_add);
  c.tee(elem);
  c.atomic(AtomicOp.i32_load, 2, h.hashOff);
  c.get(hash);
  c.op(Op.i32_eq);
  c.if();
  emitKeyEquals(c, ks, h, elem, key, b);
  c.if();
  emitFound(f, h, link, elem, b);
  c.br(5); // if, if, $walk, $end, $restart -> $out
  c.end();
  c.end();
  c.get(elem);
  c.atomic(AtomicOp.i32_load, 2, h.nextOff);
  c.set(link);
  c.br(0);
  c.end();
  c.end();
  // The walk ended on a marker (link <= 0): 0 or this bucket's own marker -(bucket + 1) means the
  // key is not there; another bucket's marker means the element it stood on was freed and reused
  // there meanwhile, so the walk starts again from the head, as find() does.
  c.get(link);
  c.op(Op.i32_eqz);
  c.get(link);
  c.get(a);
  c.i32Const(-1);
  c.op(Op.i32_xor);
  c.op(Op.i32_eq);
  c.op(Op.i32_or);
  c.if();
  c.i64Const(0);
  c.set(f.reg[0]!);
  c.br(2); // if, $restart -> $out
  c.end();
  c.br(0);
  c.end();
  c.end();
}

/** Found: r0 = the value's address (an LRU element's ref bit set first, as bpf_lru_node_set_ref()). */
function emitFound(f: FnEmitter, h: HashLookup, link: number, elem: number, t: number): void {
  const c = f.code;
  if (h.lruRef !== undefined) {
    // Written only when clear, so hot lookups do not dirty the node's line (BpfLru.setRef()).
    const { addr, stride } = h.lruRef;
    c.get(link);
    c.i32Const(stride);
    c.op(Op.i32_mul);
    c.i32Const(addr - stride);
    c.op(Op.i32_add);
    c.tee(t);
    c.atomic(AtomicOp.i32_load, 2);
    c.op(Op.i32_eqz);
    c.if();
    c.get(t);
    c.i32Const(1);
    c.atomic(AtomicOp.i32_store, 2);
    c.end();
  }
  if (h.percpu === null) {
    c.get(elem);
    c.i32Const(h.valOff);
    c.op(Op.i32_add);
  } else {
    // values + cpu * slabStride + (link - 1) * vsRound
    const { values, slabStride, vsRound } = h.percpu;
    c.get(link);
    c.i32Const(vsRound);
    c.op(Op.i32_mul);
    f.cpu();
    c.i32Const(slabStride);
    c.op(Op.i32_mul);
    c.op(Op.i32_add);
    c.i32Const(values - vsRound);
    c.op(Op.i32_add);
  }
  c.op(Op.i64_extend_i32_u);
  c.set(f.reg[0]!);
}

interface JhashLocals {
  a: number;
  b: number;
  c: number;
  /** The key's address. */
  key: number;
  /** A block pointer for the loop over long keys. */
  p: number;
}

/**
 * jhash(key, key_size, seed) into local c (jhash.ts, the kernel's jhash.h). hashOf() takes jhash2
 * over words when key_size % 4 == 0 and jhash over bytes otherwise; on little-endian words the two
 * are one function (jhash's tail adds bytes at the shifts that make up the same words), so one
 * sequence serves both: 12-byte blocks mixed while more than 12 bytes remain, then the last 1..12
 * bytes added as little-endian words (a short last word zero-filled) and the final mix.
 */
function emitJhash(c: Code, ks: number, seed: number, L: JhashLocals): void {
  const init = (JHASH_INITVAL + ks + seed) | 0;
  c.i32Const(init);
  c.tee(L.a);
  c.tee(L.b);
  c.set(L.c);
  const blocks = Math.ceil(ks / 12) - 1;
  const addWord = (dst: number, off: number, n: number, base: number): void => {
    c.get(dst);
    loadPartial(c, base, off, n);
    c.op(Op.i32_add);
    c.set(dst);
  };
  if (blocks <= MAX_UNROLLED_BLOCKS) {
    for (let i = 0; i < blocks; i++) {
      addWord(L.a, 12 * i, 4, L.key);
      addWord(L.b, 12 * i + 4, 4, L.key);
      addWord(L.c, 12 * i + 8, 4, L.key);
      emitMix(c, L);
    }
  } else {
    c.get(L.key);
    c.set(L.p);
    c.loop();
    addWord(L.a, 0, 4, L.p);
    addWord(L.b, 4, 4, L.p);
    addWord(L.c, 8, 4, L.p);
    emitMix(c, L);
    c.get(L.p);
    c.i32Const(12);
    c.op(Op.i32_add);
    c.tee(L.p);
    c.get(L.key);
    c.i32Const(12 * blocks);
    c.op(Op.i32_add);
    c.op(Op.i32_lt_u);
    c.brIf(0);
    c.end();
  }
  const o = 12 * blocks;
  const rest = ks - o; // 1..12
  addWord(L.a, o, Math.min(rest, 4), L.key);
  if (rest > 4) addWord(L.b, o + 4, Math.min(rest - 4, 4), L.key);
  if (rest > 8) addWord(L.c, o + 8, rest - 8, L.key);
  emitFinal(c, L);
}

/** The little-endian value of n (1..4) bytes at base + off, as an i32. */
function loadPartial(c: Code, base: number, off: number, n: number): void {
  c.get(base);
  switch (n) {
    case 4:
      c.mem(Op.i32_load, 0, off);
      return;
    case 3:
      c.mem(Op.i32_load16_u, 0, off);
      c.get(base);
      c.mem(Op.i32_load8_u, 0, off + 2);
      c.i32Const(16);
      c.op(Op.i32_shl);
      c.op(Op.i32_or);
      return;
    case 2:
      c.mem(Op.i32_load16_u, 0, off);
      return;
    default:
      c.mem(Op.i32_load8_u, 0, off);
  }
}

/** x = (x op1 y) op2 rol32(y, k): the shape of every line of __jhash_mix and __jhash_final. */
function step(c: Code, x: number, y: number, k: number, op1: number, op2: number): void {
  c.get(x);
  c.get(y);
  c.op(op1);
  c.get(y);
  c.i32Const(k);
  c.op(Op.i32_rotl);
  c.op(op2);
  c.set(x);
}

/** One line of __jhash_mix: x = (x - y) ^ rol32(y, k); z += w. */
function mixStep(c: Code, x: number, y: number, k: number, z: number, w: number): void {
  step(c, x, y, k, Op.i32_sub, Op.i32_xor);
  c.get(z);
  c.get(w);
  c.op(Op.i32_add);
  c.set(z);
}

/** __jhash_mix(a, b, c). */
function emitMix(c: Code, L: JhashLocals): void {
  mixStep(c, L.a, L.c, 4, L.c, L.b);
  mixStep(c, L.b, L.a, 6, L.a, L.c);
  mixStep(c, L.c, L.b, 8, L.b, L.a);
  mixStep(c, L.a, L.c, 16, L.c, L.b);
  mixStep(c, L.b, L.a, 19, L.a, L.c);
  mixStep(c, L.c, L.b, 4, L.b, L.a);
}

/** One line of __jhash_final: x = (x ^ y) - rol32(y, k). */
function finalStep(c: Code, x: number, y: number, k: number): void {
  step(c, x, y, k, Op.i32_xor, Op.i32_sub);
}

/** __jhash_final(a, b, c). */
function emitFinal(c: Code, L: JhashLocals): void {
  finalStep(c, L.c, L.b, 14);
  finalStep(c, L.a, L.c, 11);
  finalStep(c, L.b, L.a, 25);
  finalStep(c, L.c, L.b, 16);
  finalStep(c, L.a, L.c, 4);
  finalStep(c, L.b, L.a, 14);
  finalStep(c, L.c, L.b, 24);
}

const LOAD64: Record<number, number> = { 8: Op.i64_load, 4: Op.i64_load32_u, 2: Op.i64_load16_u, 1: Op.i64_load8_u };

/**
 * Pushes 1 when the element's key equals the program's key_size bytes (plain loads, as keyEquals()):
 * the differences of 8-byte pieces (then 4, 2, 1 for the rest) or-ed together and tested once;
 * keys longer than MAX_UNROLLED_COMPARE compare their 8-byte pieces in a loop first.
 */
function emitKeyEquals(c: Code, ks: number, h: HashLookup, elem: number, key: number, i: number): void {
  let done = 0;
  if (ks > MAX_UNROLLED_COMPARE) {
    const whole = ks & ~7;
    c.op(Op.block);
    c.byte(I32);
    c.i32Const(0);
    c.set(i);
    c.loop();
    c.get(elem);
    c.get(i);
    c.op(Op.i32_add);
    c.mem(Op.i64_load, 3, h.keyOff);
    c.get(key);
    c.get(i);
    c.op(Op.i32_add);
    c.mem(Op.i64_load, 0, 0);
    c.op(Op.i64_ne);
    c.if();
    c.i32Const(0);
    c.br(2); // if, loop -> block
    c.end();
    c.get(i);
    c.i32Const(8);
    c.op(Op.i32_add);
    c.tee(i);
    c.i32Const(whole);
    c.op(Op.i32_lt_u);
    c.brIf(0);
    c.end();
    done = whole;
    if (done === ks) c.i32Const(1);
    else emitPieces(c, ks, done, h, elem, key);
    c.end();
    return;
  }
  emitPieces(c, ks, done, h, elem, key);
}

/** Bytes from..ks of the two keys: 1 when equal, unrolled. */
function emitPieces(c: Code, ks: number, from: number, h: HashLookup, elem: number, key: number): void {
  let first = true;
  for (let o = from; o < ks;) {
    const n = ks - o >= 8 ? 8 : ks - o >= 4 ? 4 : ks - o >= 2 ? 2 : 1;
    c.get(elem);
    c.mem(LOAD64[n]!, Math.log2(n), h.keyOff + o);
    c.get(key);
    c.mem(LOAD64[n]!, 0, o);
    c.op(Op.i64_xor);
    if (!first) c.op(Op.i64_or);
    first = false;
    o += n;
  }
  c.op(Op.i64_eqz);
}
