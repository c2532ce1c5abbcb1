// BPF_MAP_TYPE_RINGBUF: creation checks, user-space errors, the program helpers and the consumer,
// on one thread. (Many producers on real threads: test/ringbuf-threads.test.ts.)
//
// Values marked "kernel:" are the live kernel's (6.18, x86-64, 4 KiB pages): maps made with
// bpf(2), records produced by hand-assembled socket-filter programs run with BPF_PROG_TEST_RUN,
// positions and headers read through the mmap()ed ring.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BpfError, createMap, type MapSpec } from '../src/index.js';
import { bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_query, bpf_ringbuf_reserve, bpf_ringbuf_submit } from '../src/maps/ringbuf-helpers.js';
import { EAGAIN, EINVAL } from '../src/maps/errno.js';
import { struct, u32, u64, ValueView } from '../src/maps/layout.js';
import { lockOwnerTable } from '../src/sync/spinlock.js';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  ringBuffer,
} from '../src/maps/ringbuf.js';
import {
  BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY,
  BPF_F_ZERO_SEED,
} from '../src/maps/uapi.js';
import { errnoOf } from './helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';

// These tests call program helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);


const ring = (maxEntries = 4096, name = 'rb') =>
  createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries, name }, { cpus: 2 });

/** The header words { len, pg_off } of the record at byte `off` of the ring. */
function header(m: ReturnType<typeof ring>, off: number): [number, number] {
  const u32a = m.mems[1]!.u32;
  return [u32a[off >>> 2]!, u32a[(off >>> 2) + 1]!];
}

/** Reserve `size` bytes, stamp 0x11223344 first and 0x55667788 last (as the kernel-side program did), submit. */
function produce(m: ReturnType<typeof ring>, size: number, discard = false, flags = 0): boolean {
  const r = bpf_ringbuf_reserve(m, size, 0);
  if (r === null) return false;
  if (size >= 4) r.setU32(0, 0x11223344);
  if (size >= 8) r.setU32(size - 4, 0x55667788);
  if (discard) bpf_ringbuf_discard(r, flags);
  else bpf_ringbuf_submit(r, flags);
  return true;
}

describe('ringbuf creation', () => {
  const create = (spec: Partial<MapSpec>) => errnoOf(() =>
    createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, ...spec }, { cpus: 1 }));

  it('accepts power-of-two multiples of the page size', () => {
    expect(create({})).toBe('ok');
    expect(create({ maxEntries: 8192 })).toBe('ok');
    expect(create({ maxEntries: 1 << 20 })).toBe('ok');
  });
  it('rejects 0, 2048, 4095 and 12288 (3 pages) with EINVAL', () => {
    for (const maxEntries of [0, 2048, 4095, 12288]) expect(create({ maxEntries })).toBe('EINVAL');
  });
  it('rejects a key or a value with EINVAL', () => {
    expect(create({ keySize: 4 })).toBe('EINVAL');
    expect(create({ valueSize: 4 })).toBe('EINVAL');
  });
  it('accepts BPF_F_NUMA_NODE and rejects every other flag with EINVAL (RDONLY, WRONLY included)', () => {
    expect(create({ flags: BPF_F_NUMA_NODE })).toBe('ok');
    for (const flags of [BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_ZERO_SEED, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE]) {
      expect(create({ flags })).toBe('EINVAL');
    }
  });
  it('rejects map_extra with EINVAL', () => expect(create({ mapExtra: 1 })).toBe('EINVAL'));
});

describe('ringbuf from user space', () => {
  it('fails lookup, update, delete, get_next_key and lookup_and_delete with ENOTSUPP', () => {
    // kernel: each of the five -> errno 524.
    const m = ring();
    expect(errnoOf(() => m.lookup(null))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.update(null, new Uint8Array(0)))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.delete(null))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.getNextKey(null))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.lookupAndDelete(null))).toBe('ENOTSUPP');
  });
  it('fails lookup and lookup_and_delete with BPF_F_LOCK with EINVAL first', () => {
    const m = ring();
    expect(errnoOf(() => m.lookup(null, BPF_F_LOCK))).toBe('EINVAL');
    expect(errnoOf(() => m.lookupAndDelete(null, BPF_F_LOCK))).toBe('EINVAL');
  });
  it('can be frozen; updates then fail with EPERM before ENOTSUPP', () => {
    const m = ring();
    m.freeze();
    expect(errnoOf(() => m.update(null, new Uint8Array(0)))).toBe('EPERM');
  });
});

describe('bpf_ringbuf_reserve sizes and flags', () => {
  it('fits at most size - 16 payload bytes in an empty ring', () => {
    // kernel (4096-byte ring): reserve 4080 ok; 4081, 4088, 4089 -> NULL.
    const m = ring();
    const rb = ringBuffer(m);
    expect(produce(m, 4080)).toBe(true);
    rb.consume(() => 0);
    for (const size of [4081, 4088, 4089]) expect(bpf_ringbuf_reserve(m, size, 0)).toBeNull();
  });
  it('returns NULL for any non-zero flags', () => {
    const m = ring();
    expect(bpf_ringbuf_reserve(m, 8, 1)).toBeNull();
    expect(bpf_ringbuf_reserve(m, 8, 2)).toBeNull();
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(0);
  });
  it('returns NULL for sizes past RINGBUF_MAX_RECORD_SZ and for negative (huge u64) sizes', () => {
    const m = ring();
    expect(bpf_ringbuf_reserve(m, 0x40000000, 0)).toBeNull();
    expect(bpf_ringbuf_reserve(m, -1, 0)).toBeNull();
  });
  it('writes the kernel header: len = size | BUSY until committed, pg_off = 3 + page of the record', () => {
    // kernel: after reserve 4080 + submit: @0 len=0x00000ff0 pg_off=3; prod 4088.
    const m = ring(8192);
    const r = bpf_ringbuf_reserve(m, 4080, 0)!;
    expect(header(m, 0)).toEqual([(4080 | 0x80000000) >>> 0, 3]);
    bpf_ringbuf_submit(r, 0);
    expect(header(m, 0)).toEqual([0xff0, 3]);
    expect(produce(m, 8)).toBe(true);
    expect(header(m, 4088)).toEqual([8, 3]);
    expect(produce(m, 8)).toBe(true);
    expect(header(m, 4104)).toEqual([8, 4]);
  });
  it('takes a zero-size record (header only) and a discard sets bit 30', () => {
    // kernel: reserve 0 -> len 0, 8 bytes; reserve 16 + discard -> len 0x40000010.
    const m = ring();
    expect(produce(m, 0)).toBe(true);
    expect(produce(m, 16, true)).toBe(true);
    expect(header(m, 0)).toEqual([0, 3]);
    expect(header(m, 8)).toEqual([0x40000010, 3]);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(32);
  });
  it('throws for an integer-less size, a struct larger than the reservation, or a non-ringbuf map', () => {
    const m = ring();
    expect(() => bpf_ringbuf_reserve(m, 1.5, 0)).toThrow(/size must be an integer/);
    const Ev = struct({ pid: u32, ts: u64 });
    expect(() => bpf_ringbuf_reserve(m, 8, 0, Ev)).toThrow(/struct is 16 bytes but only 8/);
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 1 });
    expect(() => bpf_ringbuf_reserve(arr, 8, 0)).toThrow('cannot pass map_type 2 into func bpf_ringbuf_reserve#131'); // kernel: the verifier's line for output#130 on an array
  });
});

describe('bpf_ringbuf_query', () => {
  it('reports avail data, ring size, consumer and producer positions, 0 for unknown selectors', () => {
    // kernel: after reserve 4080 + submit: query 0 -> 4088, 1 -> 4096, 2 -> 0, 3 -> 4088, 4 -> 0.
    const m = ring();
    produce(m, 4080);
    expect([0, 1, 2, 3, 4].map((sel) => bpf_ringbuf_query(m, sel))).toEqual([4088, 4096, 0, 4088, 0]);
  });
  it('counts discarded bytes in AVAIL_DATA until the consumer passes them', () => {
    // kernel: reserve 0, discard 16 after cons=4088, prod=4120: avail 32; after consuming: 0, cons 4120.
    const m = ring();
    const rb = ringBuffer(m);
    produce(m, 4080);
    rb.consume(() => 0);
    produce(m, 0);
    produce(m, 16, true);
    expect(bpf_ringbuf_query(m, BPF_RB_AVAIL_DATA)).toBe(32);
    expect(rb.consume(() => 0)).toBe(1);
    expect(bpf_ringbuf_query(m, BPF_RB_AVAIL_DATA)).toBe(0);
    expect(bpf_ringbuf_query(m, BPF_RB_CONS_POS)).toBe(4120);
    expect(bpf_ringbuf_query(m, BPF_RB_RING_SIZE)).toBe(4096);
  });
});

describe('bpf_ringbuf_output', () => {
  it('rejects flags other than NO_WAKEUP|FORCE_WAKEUP with -EINVAL, accepts both together', () => {
    // kernel: output 8 flags 4 -> -22; flags 3, 0, 1, 2 -> 0, 16 bytes each.
    const m = ring();
    const d = new Uint8Array(8);
    expect(bpf_ringbuf_output(m, d, 4)).toBe(EINVAL);
    expect([3, 0, 1, 2].map((f) => bpf_ringbuf_output(m, d, f))).toEqual([0, 0, 0, 0]);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(64);
  });
  it('takes flags as a u64: bit 32 or bit 31 is an unknown flag (-EINVAL), nothing written', () => {
    const m = ring();
    expect(bpf_ringbuf_output(m, new Uint8Array(8), 2 ** 32)).toBe(EINVAL);
    expect(bpf_ringbuf_output(m, new Uint8Array(8), 0x80000000)).toBe(EINVAL);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(0);
  });
  it('copies bytes or a view, and a zero-length output takes 8 bytes', () => {
    const m = ring();
    const rb = ringBuffer(m);
    const V = struct({ a: u32, b: u32 });
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, value: V }, { cpus: 1 });
    arr.update(0, V.encode({ a: 7, b: 9 }));
    expect(bpf_ringbuf_output(m, Uint8Array.of(1, 2, 3), 0)).toBe(0);
    expect(bpf_ringbuf_output(m, arr.ops.lookupElem(arr, 0, 0)!, 0)).toBe(0);
    expect(bpf_ringbuf_output(m, new Uint8Array(0), 0)).toBe(0);
    const got: number[][] = [];
    expect(rb.consume((s, n) => { got.push([...s.bytes]); expect(n).toBe(s._size); })).toBe(3);
    expect(got).toEqual([[1, 2, 3], [7, 0, 0, 0, 9, 0, 0, 0], []]);
    expect(rb.consumerPos).toBe(16 + 16 + 8);
  });
  it('returns -EAGAIN when full and counts the drop', () => {
    const m = ring();
    const rb = ringBuffer(m);
    expect(bpf_ringbuf_output(m, new Uint8Array(4000), 0)).toBe(0);
    expect(bpf_ringbuf_output(m, new Uint8Array(100), 0)).toBe(EAGAIN);
    expect(bpf_ringbuf_reserve(m, 100, 0)).toBeNull();
    expect(rb.dropped).toBe(2);
    rb.consume(() => 0);
    expect(bpf_ringbuf_output(m, new Uint8Array(100), 0)).toBe(0);
    expect(rb.dropped).toBe(2);
  });
});

describe('ringbuf records that wrap the end', () => {
  it('lay the wrapped tail at the start of the ring, as the kernel, and reach the consumer whole', () => {
    // kernel (4096): reserve 0, reserve 4000, consume; reserve 100 -> header @4016, prod 4128,
    // avail 112; data[24..28] = 88 77 66 55 (the last word of the payload wrapped to the start).
    const m = ring();
    const rb = ringBuffer(m);
    produce(m, 0);
    produce(m, 4000);
    expect(rb.consume(() => 0)).toBe(2);
    produce(m, 100);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(4128);
    expect(bpf_ringbuf_query(m, BPF_RB_AVAIL_DATA)).toBe(112);
    expect([...m.mems[1]!.u8.subarray(24, 28)]).toEqual([0x88, 0x77, 0x66, 0x55]);
    const seen: number[] = [];
    rb.consume((s, n) => { seen.push(n, s.getU32(0), s.getU32(96)); });
    expect(seen).toEqual([100, 0x11223344, 0x55667788]);
  });

  it('keep every byte across many wraps (odd sizes, output and reserve mixed)', () => {
    const m = ring();
    const rb = ringBuffer(m);
    let next = 0;
    let expectSeq = 0;
    let bad = 0;
    for (let round = 0; round < 400; round++) {
      const size = 1 + ((round * 37) % 700);
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = (next + i) & 0xff;
      if (round % 2) {
        expect(bpf_ringbuf_output(m, bytes, 0)).toBe(0);
      } else {
        const r = bpf_ringbuf_reserve(m, size, 0)!;
        r.bytes.set(bytes);
        bpf_ringbuf_submit(r, 0);
      }
      next += 7;
      rb.consume((s, n) => {
        const b = s.bytes;
        for (let i = 0; i < n; i++) if (b[i] !== ((expectSeq * 7 + i) & 0xff)) bad++;
        expectSeq++;
      });
    }
    expect(expectSeq).toBe(400);
    expect(bad).toBe(0);
    expect(rb.consumerPos).toBeGreaterThan(30 * 4096);
  });
});

describe('ringbuf ordering, discard and the BUSY bit', () => {
  it('holds back committed records behind one still BUSY, then delivers in reservation order', () => {
    const m = ring();
    const rb = ringBuffer(m);
    const a = bpf_ringbuf_reserve(m, 4, 0)!;
    const b = bpf_ringbuf_reserve(m, 4, 0)!;
    a.setU32(0, 1);
    b.setU32(0, 2);
    bpf_ringbuf_submit(b, 0);
    const seen: number[] = [];
    expect(rb.consume((s) => { seen.push(s.getU32(0)); })).toBe(0);
    expect(rb.availData).toBe(32);
    bpf_ringbuf_submit(a, 0);
    expect(rb.consume((s) => { seen.push(s.getU32(0)); })).toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it('skips discarded records and moves the consumer past them', () => {
    const m = ring();
    const rb = ringBuffer(m);
    produce(m, 8);
    produce(m, 8, true);
    produce(m, 12);
    const sizes: number[] = [];
    expect(rb.consume((_s, n) => { sizes.push(n); })).toBe(2);
    expect(sizes).toEqual([8, 12]);
    expect(rb.consumerPos).toBe(16 + 16 + 24);
  });

  it('shows the pending records without consuming them: submitted ones up to the first BUSY, discarded ones skipped', () => {
    const m = ring();
    const rb = ringBuffer(m);
    produce(m, 8);
    produce(m, 8, true);
    const busy = bpf_ringbuf_reserve(m, 4, 0)!;
    produce(m, 12);
    const hex = (recs: Uint8Array[]): string[] => recs.map((r) => Buffer.from(r).toString('hex'));
    expect(hex(rb.pending())).toEqual(['4433221188776655']);
    expect(rb.consumerPos).toBe(0);
    bpf_ringbuf_submit(busy, 0);
    expect(hex(rb.pending())).toEqual(['4433221188776655', '00000000', '443322110000000088776655']);
    expect(rb.consume(() => 0)).toBe(3);
    expect(rb.pending()).toEqual([]);
  });

  it('refuses a reservation more than size - 1 bytes past the oldest BUSY record (pending_pos)', () => {
    // kernel (ring 0x40000, consumer_pos set to 0x30000 through the mmap()ed consumer page, as the
    // selftest ringbuf_write does): reserve 0x30000 -> ok, reserve 0x30000 -> NULL; prod 0x30008.
    const m = ring(0x40000);
    const rb = ringBuffer(m);
    rb.consumerPos = 0x30000;
    const first = bpf_ringbuf_reserve(m, 0x30000, 0);
    expect(first).not.toBeNull();
    expect(bpf_ringbuf_reserve(m, 0x30000, 0)).toBeNull();
    bpf_ringbuf_discard(first!, 0);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(0x30008);
    expect(bpf_ringbuf_query(m, BPF_RB_AVAIL_DATA)).toBe(8);
  });

  it('limits two reservations in one program by the consumer position', () => {
    // kernel (ring 0x40000): two 0x1000 -> both; then 0x20000 + 0x1ffe0 -> first only; then
    // 0x20000 + 0x1ffe8 -> none; prod 139288.
    const m = ring(0x40000);
    const two = (s1: number, s2: number): number => {
      const r1 = bpf_ringbuf_reserve(m, s1, 0);
      if (!r1) return 0;
      const r2 = bpf_ringbuf_reserve(m, s2, 0);
      if (!r2) { bpf_ringbuf_discard(r1, 0); return 2; }
      bpf_ringbuf_discard(r2, 0);
      bpf_ringbuf_discard(r1, 0);
      return 3;
    };
    expect([two(0x1000, 0x1000), two(0x20000, 0x1ffe0), two(0x20000, 0x1ffe8)]).toEqual([3, 2, 0]);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(139288);
  });

  it('throws on a second submit of the same record and on a view that is not a record', () => {
    const m = ring();
    const r = bpf_ringbuf_reserve(m, 8, 0)!;
    bpf_ringbuf_submit(r, 0);
    expect(() => bpf_ringbuf_discard(r, 0)).toThrow(/already submitted or discarded/);
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 }, { cpus: 1 });
    expect(() => bpf_ringbuf_submit(arr.ops.lookupElem(arr, 0, 0)!, 0)).toThrow(/not a record from bpf_ringbuf_reserve/);
  });

  it('recycles record views: steady-state reserve allocates no view', () => {
    const m = ring();
    const rb = ringBuffer(m);
    const r1 = bpf_ringbuf_reserve(m, 8, 0)!;
    bpf_ringbuf_submit(r1, 0);
    const r2 = bpf_ringbuf_reserve(m, 16, 0)!;
    expect(r2).toBe(r1);
    expect(r2._size).toBe(16);
    bpf_ringbuf_submit(r2, 0);
    expect(rb.consume(() => 0)).toBe(2);
  });

  it('gives struct views of a layout to producer and consumer', () => {
    const Ev = struct({ pid: u32, ts: u64 });
    const m = ring();
    const e = bpf_ringbuf_reserve(m, Ev.size, 0, Ev)!;
    e.pid = 42;
    e.ts = 2 ** 40 + 5;
    bpf_ringbuf_submit(e, 0);
    const rb = ringBuffer(m, Ev);
    const got: number[] = [];
    rb.consume((s) => { got.push(s.pid, s.ts); });
    expect(got).toEqual([42, 2 ** 40 + 5]);
  });
});

describe('ringbuf consumer (libbpf ring_buffer__consume)', () => {
  it('stops on a negative callback return, counting that record consumed, and returns the error', () => {
    const m = ring();
    const rb = ringBuffer(m);
    for (let i = 0; i < 3; i++) bpf_ringbuf_output(m, Uint8Array.of(i), 0);
    expect(rb.consume((s) => (s.getU8(0) === 1 ? -7777 : 0))).toBe(-7777);
    expect(rb.consumerPos).toBe(32);
    const rest: number[] = [];
    expect(rb.consume((s) => { rest.push(s.getU8(0)); })).toBe(1);
    expect(rest).toEqual([2]);
  });

  it('consumes at most n records when asked (ring__consume_n)', () => {
    const m = ring();
    const rb = ringBuffer(m);
    for (let i = 0; i < 3; i++) bpf_ringbuf_output(m, Uint8Array.of(i), 0);
    expect(rb.consume(() => 0, 2)).toBe(2);
    expect(rb.consume(() => 0, 2)).toBe(1);
  });

  it('refuses a nested consume() of the same ring; the record whose callback threw counts as consumed', () => {
    const m = ring();
    const rb = ringBuffer(m);
    bpf_ringbuf_output(m, Uint8Array.of(1), 0);
    expect(() => rb.consume(() => { rb.consume(() => 0); })).toThrow(/another consume\(\) is running/);
    expect(rb.consume(() => 0)).toBe(0);
  });

  it('shows a callback the consumer_pos libbpf would: the end of the records before the one delivered', () => {
    const m = ring();
    const rb = ringBuffer(m);
    for (let i = 0; i < 3; i++) bpf_ringbuf_output(m, Uint8Array.of(i), 0);
    const seen: number[][] = [];
    rb.consume(() => {
      seen.push([rb.consumerPos, bpf_ringbuf_query(m, BPF_RB_CONS_POS), bpf_ringbuf_query(m, BPF_RB_AVAIL_DATA)]);
    });
    expect(seen).toEqual([[0, 0, 48], [16, 16, 32], [32, 32, 16]]);
    expect(rb.consumerPos).toBe(48);
  });

  it('gives a program running inside a callback the room of the records already consumed', () => {
    // 36 records of 112 bytes fill 4032 of 4096: one more fits once the first is consumed, i.e.
    // from the second callback on (it then wraps the end of the ring).
    const m = ring();
    const rb = ringBuffer(m);
    for (let i = 0; i < 36; i++) expect(bpf_ringbuf_output(m, new Uint8Array(100), 0)).toBe(0);
    const answers: number[] = [];
    expect(rb.consume(() => { answers.push(bpf_ringbuf_output(m, new Uint8Array(100), 0)); }, 2)).toBe(2);
    expect(answers).toEqual([EAGAIN, 0]);
    expect(rb.dropped).toBe(1);
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(4144);
  });

  it('takes over the producer lock of a CPU that died holding it', () => {
    // The control page: producer_pos with the lock in bit 0 (word 0), the holder's lock id (word
    // 6). Lock id 7 belongs to a CPU 3 that the coordinator marked dead.
    const m = ring();
    const owners = new Int32Array(lockOwnerTable());
    const ctl = m.mems[0]!.i32;
    owners[7] = -(3 + 1);
    try {
      ctl[0] = ctl[0]! | 1;
      ctl[6] = 7;
      expect(produce(m, 8)).toBe(true);
      expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(16);
      expect([ctl[0], ctl[6]]).toEqual([16, 0]);
    } finally {
      owners[7] = 0;
    }
  });

  it('carries positions past 2^32 bytes into the high word', () => {
    const m = ring(1 << 20);
    const rb = ringBuffer(m);
    const records = 8194;
    for (let i = 0; i < records; i++) {
      const r = bpf_ringbuf_reserve(m, (1 << 19) - 8, 0)!;
      bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
      expect(rb.consume(() => 0)).toBe(1);
    }
    expect(bpf_ringbuf_query(m, BPF_RB_PROD_POS)).toBe(records * 2 ** 19);
    expect(rb.consumerPos).toBe(records * 2 ** 19);
    expect(rb.producerPos).toBeGreaterThan(2 ** 32);
    expect(rb.availData).toBe(0);
  });
});

describe('ringbuf wakeups', () => {
  it('wakes only when the consumer waits for exactly this record, unless forced or suppressed', () => {
    // kernel (epoll on the map fd, level-triggered, 100 ms waits): submit NO_WAKEUP at the consumer
    // -> no event; FORCE_WAKEUP -> event; after consuming, a default submit at the consumer ->
    // event; NO_WAKEUP at the consumer then a default submit past it -> no event; a discard at the
    // consumer -> event.
    const m = ring();
    const rb = ringBuffer(m);
    produce(m, 8);
    expect(rb.wakeups).toBe(1); // consumer at 0, record at 0
    produce(m, 8);
    expect(rb.wakeups).toBe(1); // consumer still at 0, record at 16
    produce(m, 8, false, BPF_RB_FORCE_WAKEUP);
    expect(rb.wakeups).toBe(2);
    rb.consume(() => 0);
    produce(m, 8, false, BPF_RB_NO_WAKEUP);
    expect(rb.wakeups).toBe(2);
    produce(m, 8, true);
    expect(rb.wakeups).toBe(2); // a discard at 64 while the consumer sits at 48
    rb.consume(() => 0);
    produce(m, 8, true);
    expect(rb.wakeups).toBe(3); // a discard also wakes a caught-up consumer
  });

  it('lets an async consumer sleep until a producer commits, then delivers in order', async () => {
    const m = ring();
    const rb = ringBuffer(m);
    const got: number[] = [];
    const reader = (async () => {
      for await (const rec of rb) {
        got.push(rec[0]!);
        if (got.length === 3) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([]);
    bpf_ringbuf_output(m, Uint8Array.of(1), 0);
    bpf_ringbuf_output(m, Uint8Array.of(2), 0);
    await new Promise((r) => setTimeout(r, 20));
    bpf_ringbuf_output(m, Uint8Array.of(3), 0);
    bpf_ringbuf_output(m, Uint8Array.of(4), 0);
    await reader;
    expect(got).toEqual([1, 2, 3]);
    // The record after the break was not taken: nothing handed out is lost, nothing else consumed.
    const rest: number[] = [];
    rb.consume((s) => { rest.push(s.getU8(0)); });
    expect(rest).toEqual([4]);
  });

  it('keeps a script alive while poll() waits (a pending Atomics.waitAsync alone would not)', () => {
    const src = new URL('../src/', import.meta.url);
    const code = `
      import { createMap } from '${new URL('maps/syscall.ts', src).href}';
      import { ringBuffer } from '${new URL('maps/ringbuf.ts', src).href}';
      const m = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' }, { cpus: 1 });
      console.log('polled', await ringBuffer(m).poll(() => 0, 100));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([0, 'polled 0\n']);
  });

  it('poll() times out with 0 records when nothing is committed', async () => {
    const m = ring();
    const rb = ringBuffer(m);
    expect(await rb.poll(() => 0, 10)).toBe(0);
    bpf_ringbuf_output(m, Uint8Array.of(9), 0);
    expect(await rb.poll(() => 0, 10)).toBe(1);
  });
});

it('hands the consumer views it can keep only by copying (the sample view is reused)', () => {
  const m = ring();
  const rb = ringBuffer(m);
  bpf_ringbuf_output(m, Uint8Array.of(1), 0);
  bpf_ringbuf_output(m, Uint8Array.of(2), 0);
  const views: ValueView[] = [];
  rb.consume((s) => { views.push(s); });
  expect(views[0]).toBe(views[1]);
});
