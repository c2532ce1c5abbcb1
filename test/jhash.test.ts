import { describe, expect, it } from 'vitest';
import { JHASH_LOW30, jhash, jhash2, jhash2Low30, jhash2Word1, jhash2Word1Low30, jhash2Word2, jhash2Word2Low30 } from '../src/maps/jhash.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const words = (...w: number[]) => new Uint8Array(new Uint32Array(w).buffer);

// The kernel's jhash() is lookup3's hashlittle() on a little-endian machine, so Bob Jenkins'
// published self-test values apply. (Bucket order against the live kernel is in hashtab.test.ts.)
describe('jhash (lookup3 hashlittle)', () => {
  it('hashes "Four score and seven years ago" with initval 0 to 0x17770551', () => {
    expect(jhash(bytes('Four score and seven years ago'), 0, 30, 0)).toBe(0x17770551);
  });

  it('hashes "Four score and seven years ago" with initval 1 to 0xcd628161', () => {
    expect(jhash(bytes('Four score and seven years ago'), 0, 30, 1)).toBe(0xcd628161);
  });

  it('returns the initial value 0xdeadbeef + initval for an empty key (no final mix)', () => {
    expect(jhash(new Uint8Array(0), 0, 0, 0)).toBe(0xdeadbeef);
    expect(jhash(new Uint8Array(0), 0, 0, 5)).toBe(0xdeadbef4);
  });

  it('reads the key at an offset inside a larger buffer', () => {
    const inner = bytes('xxFour score and seven years agoyy');
    expect(jhash(inner, 2, 30, 0)).toBe(0x17770551);
  });

  it('depends on every byte of a 13-byte key (one full block and a 1-byte tail)', () => {
    const k = bytes('abcdefghijklm');
    const h = jhash(k, 0, 13, 0);
    for (let i = 0; i < 13; i++) {
      const m = k.slice();
      m[i]! ^= 1;
      expect(jhash(m, 0, 13, 0)).not.toBe(h);
    }
  });
});

describe('jhash2 (lookup3 hashword)', () => {
  it('equals jhash over the same little-endian bytes for lengths that are multiples of 4', () => {
    const k = new Uint8Array(48).map((_, i) => (i * 37 + 11) & 0xff);
    for (const len of [4, 8, 12, 16, 24, 36, 48]) {
      expect(jhash2(k, 0, len / 4, 0x1234)).toBe(jhash(k, 0, len, 0x1234));
    }
  });

  it('returns 0xdeadbeef + initval for zero words', () => {
    expect(jhash2(new Uint8Array(0), 0, 0, 0)).toBe(0xdeadbeef);
  });

  it('one-word form of a number equals jhash2 over its 4 little-endian bytes', () => {
    for (const n of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) {
      expect(jhash2Word1(n, 0)).toBe(jhash2(words(n), 0, 1, 0));
      expect(jhash2Word1(n, 0xfeedface)).toBe(jhash2(words(n), 0, 1, 0xfeedface));
    }
  });

  it('two-word form equals jhash2 over 8 little-endian bytes', () => {
    for (const [lo, hi] of [[0, 0], [1, 0], [0, 1], [0xffffffff, 0xffffffff], [0xdeadbeef, 0x01020304]] as const) {
      expect(jhash2Word2(lo, hi, 0)).toBe(jhash2(words(lo, hi), 0, 2, 0));
      expect(jhash2Word2(lo, hi, 77)).toBe(jhash2(words(lo, hi), 0, 2, 77));
    }
  });

  it('returns unsigned 32-bit values', () => {
    for (let i = 0; i < 64; i++) {
      const h = jhash2Word1(i, 0);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }
  });
});

describe('the Low30 forms (locals, seed from an Int32Array)', () => {
  it('equal the low 30 bits of jhash2 and its one- and two-word forms, for seeds above 2^31 too', () => {
    for (const seed of [0, 1, 0x3fffffff, 0x9abcdef1, 0xffffffff]) {
      const seeds = Int32Array.of(0, seed | 0);
      for (const w of [0, 1, 0x12345678, 0xfedcba98, 0xffffffff]) {
        expect(jhash2Word1Low30(w, seeds, 1)).toBe(jhash2Word1(w, seed) & JHASH_LOW30);
        expect(jhash2Word2Low30(w, w ^ 0x55aa55aa, seeds, 1)).toBe(jhash2Word2(w, (w ^ 0x55aa55aa) >>> 0, seed) & JHASH_LOW30);
      }
      for (let n = 0; n <= 9; n++) {
        const k = words(...Array.from({ length: n + 1 }, (_, i) => (i * 0x9e3779b9 + seed) >>> 0));
        expect(jhash2Low30(k, 4, n, seeds, 1)).toBe(jhash2(k, 4, n, seed) & JHASH_LOW30);
      }
    }
  });
});
