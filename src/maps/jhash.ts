// Bob Jenkins' lookup3 hash as the kernel's include/linux/jhash.h has it: jhash() over bytes and
// jhash2() over 32-bit words, with the initial value 0xdeadbeef + length-in-bytes + seed.
//
// Hash maps pick their bucket from this hash, so with BPF_F_ZERO_SEED (seed 0) our iteration
// order equals the kernel's only if every bit here is the kernel's. Words are read little-endian,
// as x86-64 reads them. Nothing here allocates: keys are read in place (from a key buffer or a
// map's element), and the one- and two-word forms take the words as numbers.

const JHASH_INITVAL = 0xdeadbeef;

// The mixing state lives in module variables so the helpers below can share it without
// returning tuples (which would allocate).
let a = 0;
let b = 0;
let c = 0;

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** __jhash_mix: mix three 32-bit values reversibly. */
function mix(): void {
  a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
}

/** __jhash_final: fold (a, b, c) into c. */
function final(): void {
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
}

function wordAt(k: Uint8Array, o: number): number {
  return k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24);
}

/**
 * jhash(key, length, initval): `length` bytes of `k` starting at `off`. Used by hash maps whose
 * key_size is not a multiple of 4.
 */
export function jhash(k: Uint8Array, off: number, length: number, initval: number): number {
  jhashMix(k, off, length, initval);
  return c >>> 0;
}

/** jhash() leaving the hash in the mixing state (see jhashLow30). */
export function jhashMix(k: Uint8Array, off: number, length: number, initval: number): void {
  a = b = c = (JHASH_INITVAL + length + initval) | 0;
  jhashBody(k, off, length);
}

/**
 * jhashMix with the initval read from seeds[i]: a seed of 2^30 or more passed as an argument would
 * be a heap number made per call (the bloom filter hashes each value with seed + i, i < 16).
 */
export function jhashMixSeeded(k: Uint8Array, off: number, length: number, seeds: Int32Array, i: number): void {
  a = b = c = (JHASH_INITVAL + length + seeds[i]!) | 0;
  jhashBody(k, off, length);
}

function jhashBody(k: Uint8Array, off: number, length: number): void {
  let o = off;
  let n = length;
  while (n > 12) {
    a = (a + wordAt(k, o)) | 0;
    b = (b + wordAt(k, o + 4)) | 0;
    c = (c + wordAt(k, o + 8)) | 0;
    mix();
    n -= 12;
    o += 12;
  }
  if (n === 0) return; // nothing left: no final mix, as in the kernel
  // The last 1..12 bytes, added byte by byte (the kernel's fall-through switch, as a ladder).
  if (n >= 12) c = (c + (k[o + 11]! << 24)) | 0;
  if (n >= 11) c = (c + (k[o + 10]! << 16)) | 0;
  if (n >= 10) c = (c + (k[o + 9]! << 8)) | 0;
  if (n >= 9) c = (c + k[o + 8]!) | 0;
  if (n >= 8) b = (b + (k[o + 7]! << 24)) | 0;
  if (n >= 7) b = (b + (k[o + 6]! << 16)) | 0;
  if (n >= 6) b = (b + (k[o + 5]! << 8)) | 0;
  if (n >= 5) b = (b + k[o + 4]!) | 0;
  if (n >= 4) a = (a + (k[o + 3]! << 24)) | 0;
  if (n >= 3) a = (a + (k[o + 2]! << 16)) | 0;
  if (n >= 2) a = (a + (k[o + 1]! << 8)) | 0;
  a = (a + k[o]!) | 0;
  final();
}

/**
 * jhash2(k, length, initval) over `words` little-endian u32 words of `k` starting at byte `off`.
 * Used by hash maps whose key_size is a multiple of 4 (the initial value counts bytes: words << 2).
 */
export function jhash2(k: Uint8Array, off: number, words: number, initval: number): number {
  jhash2Mix(k, off, words, initval);
  return c >>> 0;
}

/** jhash2() leaving the hash in the mixing state (see jhashLow30). */
export function jhash2Mix(k: Uint8Array, off: number, words: number, initval: number): void {
  a = b = c = (JHASH_INITVAL + (words << 2) + initval) | 0;
  jhash2Body(k, off, words);
}

function jhash2Body(k: Uint8Array, off: number, words: number): void {
  let o = off;
  let n = words;
  while (n > 3) {
    a = (a + wordAt(k, o)) | 0;
    b = (b + wordAt(k, o + 4)) | 0;
    c = (c + wordAt(k, o + 8)) | 0;
    mix();
    n -= 3;
    o += 12;
  }
  if (n === 0) return;
  if (n === 3) c = (c + wordAt(k, o + 8)) | 0;
  if (n >= 2) b = (b + wordAt(k, o + 4)) | 0;
  a = (a + wordAt(k, o)) | 0;
  final();
}

/** jhash2 over one word (a 4-byte key given as a number): equal to jhash2 of its 4 LE bytes. */
export function jhash2Word1(w0: number, initval: number): number {
  jhash2Word1Mix(w0, initval);
  return c >>> 0;
}

/** jhash2 over two words (an 8-byte key given as its low and high halves). */
export function jhash2Word2(w0: number, w1: number, initval: number): number {
  jhash2Word2Mix(w0, w1, initval);
  return c >>> 0;
}

// The same hashes for the maps' hot paths, which need the bits below 2^30 only: a u32 result
// returned from a call that is not inlined is a heap number (V8's small integers hold 31 signed
// bits), so these leave the hash in the mixing state and jhashLow30() hands out a small integer.

export function jhash2Word1Mix(w0: number, initval: number): void {
  a = b = c = (JHASH_INITVAL + 4 + initval) | 0;
  a = (a + w0) | 0;
  final();
}

export function jhash2Word2Mix(w0: number, w1: number, initval: number): void {
  a = b = c = (JHASH_INITVAL + 8 + initval) | 0;
  b = (b + w1) | 0;
  a = (a + w0) | 0;
  final();
}

/** The bits of a hash the maps keep (see hashOf in hashtab.ts). */
export const JHASH_LOW30 = 0x3fffffff;

/** The low 30 bits of the hash the last jhash, jhash2 or *Mix call computed. */
export function jhashLow30(): number {
  return c & JHASH_LOW30;
}

// The hot paths' forms: the whole hash in locals, the low 30 bits returned (a small integer, so
// nothing is boxed). The forms above keep their state in module variables, which V8 keeps in a
// context object: every step of the mix is a load and a store there, which measured 7.5-8.5 ns a
// one-word hash against 2.4 ns in locals (node 22, AMD EPYC). The mix and final are written out
// here for the same reason (a shared helper would need the state outside its locals).

/**
 * jhash2Word1 & JHASH_LOW30 with the initval read from seeds[i]: a map's random seed is a u32, and
 * one of 2^30 or more passed as an argument would be a heap number made per call once the caller is
 * optimised; read inside, it never leaves the function.
 */
export function jhash2Word1Low30(w0: number, seeds: Int32Array, i: number): number {
  let a = (JHASH_INITVAL + 4 + seeds[i]!) | 0;
  let b = a;
  let c = a;
  a = (a + w0) | 0;
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c & JHASH_LOW30;
}

/** jhash2Word2 & JHASH_LOW30 with the initval read from seeds[i]. */
export function jhash2Word2Low30(w0: number, w1: number, seeds: Int32Array, i: number): number {
  let a = (JHASH_INITVAL + 8 + seeds[i]!) | 0;
  let b = a;
  let c = a;
  b = (b + w1) | 0;
  a = (a + w0) | 0;
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c & JHASH_LOW30;
}

/** jhash2 over `words` words of k at off, & JHASH_LOW30, with the initval read from seeds[i]. */
export function jhash2Low30(k: Uint8Array, off: number, words: number, seeds: Int32Array, i: number): number {
  let a = (JHASH_INITVAL + (words << 2) + seeds[i]!) | 0;
  let b = a;
  let c = a;
  let o = off;
  let n = words;
  while (n > 3) {
    a = (a + wordAt(k, o)) | 0;
    b = (b + wordAt(k, o + 4)) | 0;
    c = (c + wordAt(k, o + 8)) | 0;
    a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
    n -= 3;
    o += 12;
  }
  if (n === 0) return c & JHASH_LOW30; // nothing left: no final mix, as in the kernel
  if (n === 3) c = (c + wordAt(k, o + 8)) | 0;
  if (n >= 2) b = (b + wordAt(k, o + 4)) | 0;
  a = (a + wordAt(k, o)) | 0;
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c & JHASH_LOW30;
}
