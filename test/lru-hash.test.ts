import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { BpfError } from '../src/maps/errno.js';
import { bpf_map_lookup_elem, bpf_map_update_elem } from '../src/maps/helpers.js';
import { bpf_spin_lock, struct, u32 } from '../src/maps/layout.js';
import { lruTargetFree } from '../src/maps/bpf-lru-list.js';
import { lruListOf, lruStats } from '../src/maps/lru-hash.js';
import { setSmpProcessorId } from '../src/smp/smp.js';
import type { MapSpec } from '../src/maps/bpf.js';
import { createMap, type BpfMap } from '../src/maps/syscall.js';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_NOEXIST } from '../src/maps/uapi.js';
import { errnoOf } from './helpers.js';

const u64le = (x: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
};

function lru(spec: Partial<MapSpec>, cpus = 2): BpfMap {
  return createMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: 2, flags: BPF_F_ZERO_SEED, ...spec }, { cpus });
}


/** Keys present, as numbers, sorted. */
function keysOf(m: BpfMap): number[] {
  return [...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort((a, b) => a - b);
}

/** A program's lookup on `cpu` (sets the LRU ref bit). */
function progLookup(m: BpfMap, key: number, cpu = 0): boolean {
  setSmpProcessorId(cpu);
  try {
    return bpf_map_lookup_elem(m, key) !== null;
  } finally {
    setSmpProcessorId(0);
  }
}

describe('LRU creation', () => {
  it('refuses BPF_F_NO_PREALLOC with ENOTSUPP: LRU elements are always preallocated', () => {
    expect(errnoOf(() => lru({ flags: BPF_F_NO_PREALLOC }))).toBe('ENOTSUPP');
    expect(errnoOf(() => lru({ type: 'lru_percpu_hash', flags: BPF_F_NO_PREALLOC }))).toBe('ENOTSUPP');
  });

  it('refuses a value holding a bpf_spin_lock with EOPNOTSUPP', () => {
    const value = struct({ n: u32, lock: bpf_spin_lock });
    expect(errnoOf(() => lru({ valueSize: 8, value }))).toBe('EOPNOTSUPP');
  });

  it('rounds max_entries up to a multiple of the CPUs with BPF_F_NO_COMMON_LRU, and info() reports it', () => {
    expect(lru({ maxEntries: 3, flags: BPF_F_NO_COMMON_LRU }, 2).info().maxEntries).toBe(4);
    expect(lru({ maxEntries: 5, flags: BPF_F_NO_COMMON_LRU }, 4).info().maxEntries).toBe(8);
    expect(lru({ maxEntries: 4, flags: BPF_F_NO_COMMON_LRU }, 2).info().maxEntries).toBe(4);
    expect(lru({ maxEntries: 3 }, 2).info().maxEntries).toBe(3);
  });

  it('sizes the per-CPU caches as clamp(max_entries / cpus / 2, 1, 128)', () => {
    expect([[2, 2], [8, 2], [9, 2], [1000, 2], [1000, 4], [600, 2]].map(([n, c]) => lruTargetFree(n!, c!))).toEqual([1, 2, 2, 128, 125, 128]);
    expect(lruListOf(lru({ maxEntries: 40 }, 2)).targetFree).toBe(10);
  });
});

describe('eviction on the common LRU (test_lru_map, one CPU)', () => {
  it('evicts the key no program looked at (test_lru_sanity0)', () => {
    const m = lru({});
    m.update(1, u64le(1234), BPF_NOEXIST);
    expect(errnoOf(() => m.update(1, u64le(1234), BPF_NOEXIST))).toBe('EEXIST');
    expect(errnoOf(() => m.update(2, u64le(1234), BPF_EXIST))).toBe('ENOENT');
    m.update(2, u64le(1234), BPF_NOEXIST);
    expect(progLookup(m, 1)).toBe(true);
    m.update(3, u64le(1234), BPF_NOEXIST);
    expect(keysOf(m)).toEqual([1, 3]);
  });

  it('ignores user-space lookups: they set no ref bit (test_lru_sanity7 and 8)', () => {
    const seven = lru({});
    seven.update(1, u64le(1));
    seven.update(2, u64le(2));
    expect(progLookup(seven, 1)).toBe(true);
    seven.lookup(2);
    seven.update(3, u64le(3));
    expect(keysOf(seven)).toEqual([1, 3]);

    const eight = lru({});
    eight.update(1, u64le(1));
    eight.update(2, u64le(2));
    eight.lookup(1);
    expect(progLookup(eight, 2)).toBe(true);
    eight.update(3, u64le(3));
    expect(keysOf(eight)).toEqual([2, 3]);
  });

  it('never fails a full map with E2BIG: every insert finds a node', () => {
    const m = lru({ maxEntries: 8 });
    for (let k = 1; k <= 100; k++) m.update(k, u64le(k), BPF_NOEXIST);
    const keys = keysOf(m);
    expect(keys.length).toBeLessThanOrEqual(8);
    expect(keys).toContain(100);
  });

  it('evicts before the flags check: a BPF_NOEXIST update that fails with EEXIST has still evicted a key', () => {
    const m = lru({}, 1);
    m.update(1, u64le(1));
    m.update(2, u64le(2));
    expect(errnoOf(() => m.update(2, u64le(9), BPF_NOEXIST))).toBe('EEXIST');
    expect(keysOf(m)).toEqual([2]);
  });

  it('can fail BPF_EXIST with ENOENT for a key that existed: the allocation evicted it', () => {
    const m = lru({}, 1);
    m.update(1, u64le(1));
    m.update(2, u64le(2));
    expect(errnoOf(() => m.update(1, u64le(9), BPF_EXIST))).toBe('ENOENT');
    expect(keysOf(m)).toEqual([2]);
  });

  it('marks a replaced key as used: a replace-update protects it like a program lookup', () => {
    const m = lru({}, 1);
    m.update(1, u64le(1));
    m.update(2, u64le(2));
    m.update(2, u64le(22)); // evicts 1 (the oldest); the new element of 2 is referenced
    m.update(3, u64le(3));
    expect(keysOf(m)).toEqual([2, 3]);
    expect(m.lookup(2)).toEqual(u64le(22));
  });
});

describe('per-CPU LRU lists (BPF_F_NO_COMMON_LRU)', () => {
  it('evicts from the inserting CPU\'s share while another CPU\'s share is still free, up to 4 nodes at a time', () => {
    // Each CPU owns 2 of the 4 nodes; CPU 0's third insert shrinks its list by PERCPU_FREE_TARGET
    // (4) unreferenced nodes, so both of its keys go (the live kernel agrees).
    const m = lru({ maxEntries: 4, flags: BPF_F_NO_COMMON_LRU | BPF_F_ZERO_SEED }, 2);
    for (const k of [1, 2, 3]) m.update(k, u64le(k));
    expect(keysOf(m)).toEqual([3]);
    m.userCpu = 1;
    for (const k of [4, 5]) m.update(k, u64le(k));
    expect(keysOf(m)).toEqual([3, 4, 5]);
  });
});

describe('LRU_PERCPU_HASH values', () => {
  it('a program\'s insert fills its own CPU\'s slot and zeroes the others', () => {
    const m = lru({ type: 'lru_percpu_hash', valueSize: 4, maxEntries: 4 }, 3);
    m.update(7, new Uint8Array(24).fill(0xff));
    m.delete(7);
    setSmpProcessorId(1);
    try {
      expect(bpf_map_update_elem(m, 7, new Uint8Array([1, 2, 3, 4]), BPF_ANY)).toBe(0);
    } finally {
      setSmpProcessorId(0);
    }
    expect(m.lookupPerCpu(7).map((v) => [...v])).toEqual([[0, 0, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]]);
  });

  it('updates an existing key in place with BPF_EXIST, taking no node (no eviction)', () => {
    const m = lru({ type: 'lru_percpu_hash', maxEntries: 2 }, 1);
    m.update(1, u64le(1));
    m.update(2, u64le(2));
    m.update(1, u64le(11), BPF_EXIST);
    expect(keysOf(m)).toEqual([1, 2]);
    expect(m.lookup(1)).toEqual(u64le(11));
  });
});

describe('LRU maps under load from every CPU', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  for (const [probe, name] of [['kprobe/lru_common', 'common'], ['kprobe/lru_percpu', 'percpu']] as const) {
    it(`${name} LRU: every node on exactly one list, no key twice, no linked element on a free list`, async () => {
      const prog = await rt.load(new URL('./fixtures/lru-hammer.ts', import.meta.url));
      try {
        const r = await rt.run({ probe, events: 200_000 });
        expect(r.events).toBe(200_000);
        const s = lruStats(prog.maps[name]!);
        expect(s.walked).toBe(64);
        expect(s.duplicates).toEqual([]);
        expect(s.linkedButFree).toEqual([]);
        expect(s.linked).toBeGreaterThan(0);
        expect(s.linked).toBeLessThanOrEqual(64);
      } finally {
        await prog.unload();
      }
    });
  }
});
