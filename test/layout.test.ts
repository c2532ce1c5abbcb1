import { describe, expect, it } from 'vitest';
import { array, createMap, bpf_map_lookup_elem, bpf_spin_lock, s64, struct, u16, u32, u64, u8, __sync_fetch_and_add, __sync_lock_test_and_set, __sync_val_compare_and_swap } from '../src/index.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// These tests call program helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);

describe('struct layouts', () => {
  it('pads like C: u8 then u64 puts the u64 at 8 and the size at 16', () => {
    const S = struct({ a: u8, b: u64 });
    expect([S.fields.b.offset, S.size, S.align]).toEqual([8, 16, 8]);
  });
  it('rounds the size up to the largest alignment: { u32, u16 } is 8 bytes', () => {
    expect(struct({ a: u32, b: u16 }).size).toBe(8);
  });
  it('refuses two bpf_spin_lock fields, as the kernel does', () => {
    expect(() => struct({ a: bpf_spin_lock, b: bpf_spin_lock })).toThrow('only one bpf_spin_lock');
  });
  it('encodes and decodes every field kind', () => {
    const S = struct({ a: u8, c: array(u8, 3), d: u32, e: s64 });
    expect(S.decode(S.encode({ a: 1, c: [2, 3, 4], d: 0xfffffffe, e: -5 }))).toEqual({ a: 1, c: [2, 3, 4], d: 0xfffffffe, e: -5 });
  });
});

describe('value views', () => {
  const S = struct({ cnt: u64, comm: array(u8, 4) });
  const make = () => createMap({ type: 'array', keySize: 4, valueSize: S.size, maxEntries: 2, value: S }, { cpus: 1 });

  it('write through to shared memory (pointer semantics)', () => {
    const m = make();
    bpf_map_lookup_elem(m, 1)!.cnt = 2 ** 40 + 3;
    expect(S.decode(m.lookup(1)).cnt).toBe(2 ** 40 + 3);
  });
  it('wrap u64 fields modulo 2^64 on underflow', () => {
    const m = make();
    const v = bpf_map_lookup_elem(m, 0)!;
    v.cnt -= 1;
    expect([...m.lookup(0).subarray(0, 8)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
  });
  it('are the same object for the same slot (no allocation per lookup)', () => {
    const m = make();
    expect(bpf_map_lookup_elem(m, 1)).toBe(bpf_map_lookup_elem(m, 1));
  });
  it('throw on a field the layout does not have instead of adding it', () => {
    const v = bpf_map_lookup_elem(make(), 0) as unknown as Record<string, number>;
    expect(() => { v.nope = 1; }).toThrow(TypeError);
  });
  it('refuse raw access past value_size', () => {
    const v = bpf_map_lookup_elem(make(), 0)!;
    expect(v._size).toBe(16);
    expect(() => v.setU64(16, 1)).toThrow(RangeError);
    expect(() => v.getU32(14)).toThrow(RangeError);
    expect(v.getU32(12)).toBe(0);
  });
  it('give array fields as live typed arrays', () => {
    const m = make();
    bpf_map_lookup_elem(m, 0)!.comm.set([104, 105]);
    expect(S.decode(m.lookup(0)).comm).toEqual([104, 105, 0, 0]);
  });
});

describe('BPF atomics on value fields', () => {
  const S = struct({ a: u32, b: u64 });
  const view = () => bpf_map_lookup_elem(createMap({ type: 'array', keySize: 4, valueSize: S.size, maxEntries: 1, value: S }, { cpus: 1 }), 0)!;

  it('fetch_add returns the old value, 32- and 64-bit', () => {
    const v = view();
    expect(__sync_fetch_and_add(v, S.fields.a, 5)).toBe(0);
    expect(__sync_fetch_and_add(v, S.fields.a, 1)).toBe(5);
    v.b = 2 ** 33;
    expect(__sync_fetch_and_add(v, S.fields.b, 2)).toBe(2 ** 33);
    expect([v.a, v.b]).toEqual([6, 2 ** 33 + 2]);
  });
  it('xchg stores and returns the old value', () => {
    const v = view();
    v.a = 9;
    expect(__sync_lock_test_and_set(v, S.fields.a, 4)).toBe(9);
    expect(v.a).toBe(4);
  });
  it('cmpxchg swaps only when the old value matches', () => {
    const v = view();
    v.b = 7;
    expect(__sync_val_compare_and_swap(v, S.fields.b, 8, 1)).toBe(7);
    expect(__sync_val_compare_and_swap(v, S.fields.b, 7, 1)).toBe(7);
    expect(v.b).toBe(1);
  });
  it('refuse an 8-bit field', () => {
    const U = struct({ c: u8 });
    const v = bpf_map_lookup_elem(createMap({ type: 'array', keySize: 4, valueSize: 1, maxEntries: 1, value: U }, { cpus: 1 }), 0)!;
    expect(() => __sync_fetch_and_add(v, U.fields.c, 1)).toThrow('32- or 64-bit');
  });
});
