// The libbpf-shaped user-space calls that write into the caller's buffers (lookupInto,
// getNextKeyInto) and the per-CPU sum that reads in place: the same answers and errors as the
// allocating calls, and the caller's buffers are the ones filled.

import { describe, expect, it } from 'vitest';
import { BpfError, createMap, s32, s64, struct, u32, u64 } from '../src/index.js';
import { le32 } from './helpers.js';

describe('lookupInto', () => {
  it('writes the value into the caller\'s buffer and returns that buffer', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
    m.update(7, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const out = new Uint8Array(8);
    expect(m.lookupInto(7, out)).toBe(out);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fills every CPU\'s slot of a per-CPU value', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 2 }, { cpus: 2 });
    m.update(1, new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0]));
    const out = new Uint8Array(16);
    m.lookupInto(le32(1), out);
    expect([...out]).toEqual([9, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a buffer of the wrong size with EINVAL', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(() => m.lookupInto(0, new Uint8Array(4))).toThrow(BpfError);
    expect(() => m.lookupInto(0, new Uint8Array(4))).toThrow(/EINVAL/);
  });

  it('says ENOENT for a missing key, as lookup does', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(() => m.lookupInto(3, new Uint8Array(8))).toThrow(/ENOENT/);
  });

  it('keeps number keys apart from each other: a key of 8 bytes reads its high half', () => {
    const m = createMap({ type: 'hash', keySize: 8, valueSize: 4, maxEntries: 4 });
    m.update(2 ** 32 + 5, new Uint8Array([1, 0, 0, 0]));
    m.update(5, new Uint8Array([2, 0, 0, 0]));
    const out = new Uint8Array(4);
    expect([...m.lookupInto(2 ** 32 + 5, out)]).toEqual([1, 0, 0, 0]);
    expect([...m.lookupInto(5, out)]).toEqual([2, 0, 0, 0]);
  });
});

describe('getNextKeyInto', () => {
  it('walks every key in get_next_key order into the caller\'s buffer, then throws ENOENT', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    for (const k of [3, 1, 2]) m.update(k, new Uint8Array(4));
    const order = [...m.keys()].map((k) => k[0]);
    const next = new Uint8Array(4);
    const seen: number[] = [];
    let prev: Uint8Array | null = null;
    for (;;) {
      try {
        expect(m.getNextKeyInto(prev, next)).toBe(next);
      } catch (e) {
        expect((e as BpfError).errno).toBe('ENOENT');
        break;
      }
      seen.push(next[0]!);
      prev = next; // the same buffer as key and next: the key is read before the next is written
    }
    expect(seen).toEqual(order);
  });

  it('refuses a next-key buffer of the wrong size with EINVAL', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(() => m.getNextKeyInto(null, new Uint8Array(8))).toThrow(/EINVAL/);
  });
});

describe('sum over CPUs', () => {
  it('adds a u64 field of every CPU\'s slot', () => {
    const V = struct({ a: u32, cnt: u64 });
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: V.size, maxEntries: 1, value: V }, { cpus: 3 });
    const bytes = new Uint8Array(m.userValueSize);
    const dv = new DataView(bytes.buffer);
    for (let c = 0; c < 3; c++) {
      dv.setUint32(c * 16, 1, true);
      dv.setUint32(c * 16 + 8, 0xffffffff, true);
      dv.setUint32(c * 16 + 12, c, true);
    }
    m.update(0, bytes);
    expect(m.sum(0, 'cnt')).toBe(3 * 0xffffffff + (0 + 1 + 2) * 2 ** 32);
    expect(m.sum(0, 'a')).toBe(3);
  });

  it('reads a whole value of 1 to 8 bytes as an unsigned integer', () => {
    const m = createMap({ type: 'percpu_hash', keySize: 4, valueSize: 3, maxEntries: 1 }, { cpus: 2 });
    m.update(0, new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.sum(0)).toBe(0x010101 + 2);
  });

  it('gives the same answer call after call (its buffer is reused)', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2 }, { cpus: 2 });
    m.update(1, new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.sum(1)).toBe(11);
    expect(m.sum(0)).toBe(0);
    expect(m.sum(1)).toBe(11);
  });

  it('names the field that is missing or not a number', () => {
    const V = struct({ a: u32 });
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: V.size, maxEntries: 1, value: V }, { cpus: 2 });
    expect(() => m.sum(0, 'b')).toThrow("map '(unnamed)' has no value field 'b'");
  });

  it('finds a hash key given as a number or as bytes alike, in every per-CPU hash type, and throws ENOENT for a missing one', () => {
    for (const type of ['percpu_hash', 'lru_percpu_hash'] as const) {
      const m = createMap({ type, keySize: 8, valueSize: 8, maxEntries: 4 }, { cpus: 2 });
      const key = new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0]);
      m.update(key, new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]));
      expect(m.sum(key)).toBe(16);
      expect(m.sum(0x0504030201)).toBe(16);
      expect(() => m.sum(3)).toThrow(/ENOENT/);
      expect(() => m.sum(-1)).toThrow(/EINVAL/);
    }
  });

  it('reads signed fields as signed', () => {
    const V = struct({ a: s32, b: s64 });
    const m = createMap({ type: 'percpu_hash', keySize: 4, valueSize: V.size, maxEntries: 1, value: V }, { cpus: 2 });
    const bytes = new Uint8Array(m.userValueSize);
    const dv = new DataView(bytes.buffer);
    dv.setInt32(0, -5, true);
    dv.setBigInt64(8, -7n, true);
    dv.setInt32(16, 2, true);
    dv.setBigInt64(24, 3n, true);
    m.update(0, bytes);
    expect(m.sum(0, 'a')).toBe(-3);
    expect(m.sum(0, 'b')).toBe(-4);
  });

  it('sees writes made after the previous call (it reads the slots, no copy kept)', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    expect(m.sum(0)).toBe(0);
    m.update(0, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
    expect(m.sum(0)).toBe(3);
    expect(() => m.sum(5)).toThrow(/ENOENT/);
  });

  it('is refused on a map that is not per-CPU', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(() => m.sum(0)).toThrow(/not a per-CPU map/);
  });
});
