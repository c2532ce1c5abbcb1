// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK: creation checks, push/pop/peek from user space (as the
// kernel routes update / lookup_and_delete / lookup with a null key) and from programs.
//
// Sequences marked "kernel:" were run against the live kernel (6.18) with raw bpf(2) calls and
// bpftool; the expected values are its answers.

import { describe, expect, it } from 'vitest';
import { BpfError, createMap, type MapSpec } from '../src/index.js';
import { bpf_map_peek_elem, bpf_map_pop_elem, bpf_map_push_elem } from '../src/maps/helpers.js';
import { ENOENT, EINVAL, E2BIG } from '../src/maps/errno.js';
import { struct, u32 } from '../src/maps/layout.js';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST,
} from '../src/maps/uapi.js';
import { errnoOf, le32 } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// These tests call program helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);

const rd32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);


const queue = (maxEntries = 3, extra: Partial<MapSpec> = {}) =>
  createMap({ type: 'queue', keySize: 0, valueSize: 4, maxEntries, name: 'q', ...extra }, { cpus: 2 });
const stack = (maxEntries = 3, extra: Partial<MapSpec> = {}) =>
  createMap({ type: 'stack', keySize: 0, valueSize: 4, maxEntries, name: 's', ...extra }, { cpus: 2 });

describe('queue/stack creation', () => {
  const create = (spec: Partial<MapSpec>) => errnoOf(() =>
    createMap({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4, ...spec }, { cpus: 2 }));

  it('accepts key 0, value 4, 4 entries', () => expect(create({})).toBe('ok'));
  it('rejects a key size other than 0 with EINVAL', () => expect(create({ keySize: 4 })).toBe('EINVAL'));
  it('rejects value_size 0 with EINVAL', () => expect(create({ valueSize: 0 })).toBe('EINVAL'));
  it('rejects max_entries 0 with EINVAL', () => expect(create({ maxEntries: 0 })).toBe('EINVAL'));
  it('rejects BPF_F_NO_PREALLOC with EINVAL', () => expect(create({ flags: BPF_F_NO_PREALLOC })).toBe('EINVAL'));
  it('rejects BPF_F_ZERO_SEED with EINVAL', () => expect(create({ flags: BPF_F_ZERO_SEED })).toBe('EINVAL'));
  it('rejects RDONLY_PROG together with WRONLY_PROG with EINVAL', () =>
    expect(create({ flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG })).toBe('EINVAL'));
  it('accepts BPF_F_NUMA_NODE and BPF_F_RDONLY', () => {
    expect(create({ flags: BPF_F_NUMA_NODE })).toBe('ok');
    expect(create({ type: 'stack', flags: BPF_F_RDONLY })).toBe('ok');
  });
  it('rejects map_extra with EINVAL', () => expect(create({ mapExtra: 1 })).toBe('EINVAL'));
  it('rejects value_size above KMALLOC_MAX_SIZE with E2BIG, after the EINVAL checks', () => {
    expect(create({ valueSize: 4 * 1024 * 1024 + 1 })).toBe('E2BIG');
    expect(create({ valueSize: 4 * 1024 * 1024 + 1, keySize: 4 })).toBe('EINVAL');
    expect(create({ valueSize: 4 * 1024 * 1024, maxEntries: 1 })).toBe('ok');
  });
  it('keeps max_entries + 1 slots of value_size bytes, not rounded to 8', () => {
    const m = createMap({ type: 'queue', keySize: 0, valueSize: 3, maxEntries: 5 }, { cpus: 1 });
    expect(m.getHandle().regions[0]!.byteLength).toBe(64 + 6 * 3);
  });
});

describe('queue from user space', () => {
  it('follows the kernel on push, full, BPF_EXIST overwrite, peek and pop', () => {
    // kernel: queue entries 3; push 1,2,3 ok; push 4 -> E2BIG; push 4 BPF_EXIST ok; peek -> 2;
    // pop -> 2, 3, 4; pop -> ENOENT.
    const q = queue(3);
    for (const v of [1, 2, 3]) q.update(null, le32(v));
    expect(errnoOf(() => q.update(null, le32(4)))).toBe('E2BIG');
    q.update(null, le32(4), BPF_EXIST);
    expect(rd32(q.lookup(null))).toBe(2);
    expect([rd32(q.lookupAndDelete(null)), rd32(q.lookupAndDelete(null)), rd32(q.lookupAndDelete(null))]).toEqual([2, 3, 4]);
    expect(errnoOf(() => q.lookupAndDelete(null))).toBe('ENOENT');
    expect(errnoOf(() => q.lookup(null))).toBe('ENOENT');
  });

  it('pops in FIFO order across the wrap of the slot array (3-byte values)', () => {
    // kernel: queue value 3 entries 2; push 010203, 040506; pop -> 010203; push 070809;
    // push 0a0b0c BPF_EXIST; pop -> 070809, 0a0b0c; pop -> ENOENT.
    const q = createMap({ type: 'queue', keySize: 0, valueSize: 3, maxEntries: 2 }, { cpus: 1 });
    q.update(null, Uint8Array.of(1, 2, 3));
    q.update(null, Uint8Array.of(4, 5, 6));
    expect([...q.lookupAndDelete(null)]).toEqual([1, 2, 3]);
    q.update(null, Uint8Array.of(7, 8, 9));
    q.update(null, Uint8Array.of(10, 11, 12), BPF_EXIST);
    expect([...q.lookupAndDelete(null)]).toEqual([7, 8, 9]);
    expect([...q.lookupAndDelete(null)]).toEqual([10, 11, 12]);
    expect(errnoOf(() => q.lookupAndDelete(null))).toBe('ENOENT');
  });

  it('BPF_EXIST on a queue that is not full is a plain push', () => {
    const q = queue(3);
    q.update(null, le32(7), BPF_EXIST);
    expect(rd32(q.lookupAndDelete(null))).toBe(7);
  });

  it('rejects BPF_NOEXIST, NOEXIST|EXIST and unknown flags with EINVAL, BPF_F_LOCK too', () => {
    const q = queue(3);
    expect(errnoOf(() => q.update(null, le32(1), BPF_NOEXIST))).toBe('EINVAL');
    expect(errnoOf(() => q.update(null, le32(1), BPF_NOEXIST | BPF_EXIST))).toBe('EINVAL');
    expect(errnoOf(() => q.update(null, le32(1), 8))).toBe('EINVAL');
    expect(errnoOf(() => q.update(null, le32(1), BPF_F_LOCK))).toBe('EINVAL');
    expect(errnoOf(() => q.lookup(null))).toBe('ENOENT');
  });

  it('rejects a non-null key with EINVAL on every op', () => {
    const q = queue(3);
    expect(errnoOf(() => q.update(new Uint8Array(4), le32(1)))).toBe('EINVAL');
    expect(errnoOf(() => q.lookup(new Uint8Array(4)))).toBe('EINVAL');
    expect(errnoOf(() => q.lookupAndDelete(new Uint8Array(4)))).toBe('EINVAL');
  });

  it('fails delete and get_next_key with EINVAL', () => {
    const q = queue(3);
    q.update(null, le32(1));
    expect(errnoOf(() => q.delete(null))).toBe('EINVAL');
    expect(errnoOf(() => q.getNextKey(null))).toBe('EINVAL');
  });

  it('fails lookup_and_delete with any flags with EINVAL (BPF_F_LOCK included)', () => {
    const q = queue(3);
    q.update(null, le32(1));
    expect(errnoOf(() => q.lookupAndDelete(null, 1))).toBe('EINVAL');
    expect(errnoOf(() => q.lookupAndDelete(null, BPF_F_LOCK))).toBe('EINVAL');
    expect(rd32(q.lookupAndDelete(null))).toBe(1);
  });

  it('follows the fd access modes: RDONLY refuses push, WRONLY refuses peek and pop (EPERM)', () => {
    // kernel: queue flags RDONLY: update -> EPERM. flags WRONLY: lookup -> EPERM, update ok, pop -> EPERM.
    const ro = queue(1, { flags: BPF_F_RDONLY });
    expect(errnoOf(() => ro.update(null, le32(1)))).toBe('EPERM');
    const wo = queue(1, { flags: BPF_F_WRONLY });
    expect(errnoOf(() => wo.lookup(null))).toBe('EPERM');
    wo.update(null, le32(1));
    expect(errnoOf(() => wo.lookupAndDelete(null))).toBe('EPERM');
  });

  it('refuses pushes once frozen (EPERM) but still peeks', () => {
    const q = queue(3);
    q.update(null, le32(5));
    q.freeze();
    expect(errnoOf(() => q.update(null, le32(1)))).toBe('EPERM');
    expect(rd32(q.lookup(null))).toBe(5);
  });
});

describe('stack from user space', () => {
  it('pops LIFO, and BPF_EXIST on a full stack drops the bottom', () => {
    // kernel: stack entries 3; push 1,2,3; push 4 -> E2BIG; push 4 BPF_EXIST ok; peek -> 4;
    // pop -> 4, 3, 2; pop -> ENOENT; push 5 BPF_EXIST ok; peek -> 5.
    const s = stack(3);
    for (const v of [1, 2, 3]) s.update(null, le32(v));
    expect(errnoOf(() => s.update(null, le32(4)))).toBe('E2BIG');
    s.update(null, le32(4), BPF_EXIST);
    expect(rd32(s.lookup(null))).toBe(4);
    expect([rd32(s.lookupAndDelete(null)), rd32(s.lookupAndDelete(null)), rd32(s.lookupAndDelete(null))]).toEqual([4, 3, 2]);
    expect(errnoOf(() => s.lookupAndDelete(null))).toBe('ENOENT');
    s.update(null, le32(5), BPF_EXIST);
    expect(rd32(s.lookup(null))).toBe(5);
  });

  it('pops LIFO when head wraps to slot 0', () => {
    const s = stack(2);
    // Overwrites move the tail round the 3 slots, so the head reaches 0 and wraps.
    for (let v = 1; v <= 7; v++) s.update(null, le32(v), BPF_EXIST);
    expect([rd32(s.lookupAndDelete(null)), rd32(s.lookupAndDelete(null))]).toEqual([7, 6]);
    expect(errnoOf(() => s.lookupAndDelete(null))).toBe('ENOENT');
  });

  it('fails delete and get_next_key with EINVAL and lookup_and_delete with flags with EINVAL', () => {
    const s = stack(3);
    s.update(null, le32(1));
    expect(errnoOf(() => s.delete(null))).toBe('EINVAL');
    expect(errnoOf(() => s.getNextKey(null))).toBe('EINVAL');
    expect(errnoOf(() => s.lookupAndDelete(null, 2))).toBe('EINVAL');
  });
});

describe('queue/stack from programs', () => {
  // kernel (socket-filter programs run with BPF_PROG_TEST_RUN, queue of 2): pop/peek on empty ->
  // -2 with the stack buffer zeroed; push 1, 2 -> 0; push 3 -> -7; push 3 BPF_EXIST -> 0; push
  // flags 1, 3, 4 -> -22; peek -> 2; pop -> 2, 3; pop -> -2. Stack: push 1, 2, 3 EXIST; pop 3, 2.
  it('pushes, peeks and pops with program buffers', () => {
    const q = queue(2);
    const buf = new Uint8Array(4);
    expect(bpf_map_push_elem(q, le32(10), BPF_ANY)).toBe(0);
    expect(bpf_map_push_elem(q, le32(11), BPF_ANY)).toBe(0);
    expect(bpf_map_push_elem(q, le32(12), BPF_ANY)).toBe(E2BIG);
    expect(bpf_map_push_elem(q, le32(12), BPF_EXIST)).toBe(0);
    expect(bpf_map_peek_elem(q, buf)).toBe(0);
    expect(rd32(buf)).toBe(11);
    expect(bpf_map_pop_elem(q, buf)).toBe(0);
    expect(rd32(buf)).toBe(11);
    expect(bpf_map_pop_elem(q, buf)).toBe(0);
    expect(rd32(buf)).toBe(12);
  });

  it('zeroes the program buffer and returns -ENOENT when empty', () => {
    const s = stack(2);
    const buf = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd);
    expect(bpf_map_pop_elem(s, buf)).toBe(ENOENT);
    expect([...buf]).toEqual([0, 0, 0, 0]);
    buf.fill(0xee);
    expect(bpf_map_peek_elem(s, buf)).toBe(ENOENT);
    expect([...buf]).toEqual([0, 0, 0, 0]);
  });

  it('pushes from and pops into another map value (a view)', () => {
    const V = struct({ x: u32 });
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 2, value: V }, { cpus: 1 });
    arr.update(0, le32(0x01020304));
    const s = stack(2);
    const src = arr.ops.lookupElem(arr, 0, 0)!;
    const dst = arr.ops.lookupElem(arr, 1, 0)!;
    expect(bpf_map_push_elem(s, src, BPF_ANY)).toBe(0);
    expect(bpf_map_pop_elem(s, dst)).toBe(0);
    expect(rd32(arr.lookup(1))).toBe(0x01020304);
  });

  it('rejects NOEXIST and unknown flags with -EINVAL; a negative flags word is a huge u64', () => {
    const q = queue(2);
    expect(bpf_map_push_elem(q, le32(1), BPF_NOEXIST)).toBe(EINVAL);
    expect(bpf_map_push_elem(q, le32(1), 3)).toBe(EINVAL);
    expect(bpf_map_push_elem(q, le32(1), 4)).toBe(EINVAL);
    expect(bpf_map_push_elem(q, le32(1), -2)).toBe(EINVAL);
  });

  it('throws (as the verifier rejects) for a value of the wrong size or a map of another type', () => {
    const q = queue(2);
    expect(() => bpf_map_push_elem(q, new Uint8Array(8), BPF_ANY)).toThrow(/value_size is 4/);
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 1 });
    expect(() => bpf_map_push_elem(arr, le32(1), BPF_ANY)).toThrow('cannot pass map_type 2 into func bpf_map_push_elem#87');
    expect(() => bpf_map_pop_elem(arr, new Uint8Array(4))).toThrow('cannot pass map_type 2 into func bpf_map_pop_elem#88');
  });
});
