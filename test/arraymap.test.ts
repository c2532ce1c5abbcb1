import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_NOEXIST, BpfError, bpf_map_lookup_elem, bpf_map_update_elem, bpf_spin_lock,
  bpf_spin_unlock, createMap, struct, u32, u64,
} from '../src/index.js';
import { setSmpProcessorId } from '../src/smp/smp.js';
import { DEFAULT_LOCK_TIMEOUT_MS, setSpinLockTimeout } from '../src/sync/spinlock.js';
import { errnoOf, le32 } from './helpers.js';


describe('ARRAY creation checks', () => {
  const base = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 } as const;
  it.each([
    ['key size other than 4', { keySize: 8 }, 'EINVAL'],
    ['zero max_entries', { maxEntries: 0 }, 'EINVAL'],
    ['zero value_size', { valueSize: 0 }, 'EINVAL'],
    ['BPF_F_NO_PREALLOC', { flags: BPF_F_NO_PREALLOC }, 'EINVAL'],
    ['RDONLY_PROG with WRONLY_PROG', { flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG }, 'EINVAL'],
    ['RDONLY with WRONLY', { flags: BPF_F_RDONLY | BPF_F_WRONLY }, 'EINVAL'],
    ['a name of 16 characters', { name: 'abcdefghijklmnop' }, 'EINVAL'],
    ['a name with a dash', { name: 'a-b' }, 'EINVAL'],
    ['map_extra on an array', { mapExtra: 1 }, 'EINVAL'],
    ['value_size above INT_MAX', { valueSize: 0x80000000 }, 'E2BIG'],
    ['more than 4 GiB of elements (the simulator cannot map them)', { maxEntries: 600_000_000 }, 'ENOMEM'],
  ])('rejects %s', (_what, patch, errno) => {
    expect(errnoOf(() => createMap({ ...base, ...patch }, { cpus: 2 }))).toBe(errno);
  });
  it.each([
    ['BPF_F_MMAPABLE', { flags: BPF_F_MMAPABLE }],
    ['BPF_F_NUMA_NODE', { flags: BPF_F_NUMA_NODE }],
    ['a 15-character name with dots', { name: 'abc.def_ghi.123' }],
    ['value_size 1', { valueSize: 1 }],
  ])('accepts %s', (_what, patch) => {
    expect(createMap({ ...base, ...patch }, { cpus: 2 }).attr.maxEntries).toBe(4);
  });
});

describe('PERCPU_ARRAY creation checks', () => {
  const base = { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 4 } as const;
  it.each([
    ['BPF_F_MMAPABLE', { flags: BPF_F_MMAPABLE }, 'EINVAL'],
    ['BPF_F_NUMA_NODE', { flags: BPF_F_NUMA_NODE }, 'EINVAL'],
    ['round_up(value_size, 8) above 32768', { valueSize: 32769 }, 'E2BIG'],
  ])('rejects %s', (_what, patch, errno) => {
    expect(errnoOf(() => createMap({ ...base, ...patch }, { cpus: 2 }))).toBe(errno);
  });
  it('accepts a 32768-byte value', () => {
    expect(createMap({ ...base, valueSize: 32768 }, { cpus: 2 }).userValueSize).toBe(65536);
  });
  it('rejects a bpf_spin_lock in the value with EOPNOTSUPP', () => {
    const V = struct({ cnt: u32, lock: bpf_spin_lock });
    expect(errnoOf(() => createMap({ ...base, value: V }, { cpus: 2 }))).toBe('EOPNOTSUPP');
  });
});

describe('ARRAY operations', () => {
  const make = () => createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 3, name: 'arr' }, { cpus: 2 });

  it('starts with every element zero', () => {
    expect([...make().lookup(le32(2))]).toEqual([0, 0, 0, 0]);
  });
  it('updates with BPF_ANY and BPF_EXIST', () => {
    const m = make();
    m.update(le32(1), le32(7), BPF_ANY);
    m.update(le32(2), le32(9), BPF_EXIST);
    expect([...m.lookup(le32(1)), ...m.lookup(le32(2))]).toEqual([7, 0, 0, 0, 9, 0, 0, 0]);
  });
  it('refuses BPF_NOEXIST with EEXIST because every element exists', () => {
    expect(errnoOf(() => make().update(le32(0), le32(1), BPF_NOEXIST))).toBe('EEXIST');
  });
  it('checks the index before BPF_NOEXIST: out of range gives E2BIG', () => {
    expect(errnoOf(() => make().update(le32(3), le32(1), BPF_NOEXIST))).toBe('E2BIG');
  });
  it('rejects update flags above BPF_EXIST with EINVAL', () => {
    expect(errnoOf(() => make().update(le32(0), le32(1), 3))).toBe('EINVAL');
  });
  it('looks up an index past max_entries as ENOENT', () => {
    expect(errnoOf(() => make().lookup(le32(3)))).toBe('ENOENT');
  });
  it('refuses delete with EINVAL', () => {
    expect(errnoOf(() => make().delete(le32(0)))).toBe('EINVAL');
  });
  it('does not support lookup-and-delete (ENOTSUPP)', () => {
    expect(errnoOf(() => make().lookupAndDelete(le32(0)))).toBe('ENOTSUPP');
  });
  it('walks keys 0, 1, 2 then ENOENT; a missing key restarts at 0', () => {
    const m = make();
    expect([...m.keys()].map((k) => k[0])).toEqual([0, 1, 2]);
    expect(errnoOf(() => m.getNextKey(le32(2)))).toBe('ENOENT');
    expect([...m.getNextKey(le32(99))]).toEqual([0, 0, 0, 0]);
  });
  it('rejects BPF_F_LOCK on a value without a spin lock', () => {
    expect(errnoOf(() => make().lookup(le32(0), BPF_F_LOCK))).toBe('EINVAL');
  });
  it('rejects a key of the wrong length', () => {
    expect(errnoOf(() => make().lookup(new Uint8Array(8)))).toBe('EINVAL');
  });
  it('rejects a value of the wrong length', () => {
    expect(errnoOf(() => make().update(le32(0), new Uint8Array(5)))).toBe('EINVAL');
  });
  it('is read-only from user space with BPF_F_RDONLY (EPERM)', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY }, { cpus: 1 });
    expect(errnoOf(() => m.update(le32(0), le32(1)))).toBe('EPERM');
  });
  it('refuses user updates once frozen (EPERM), and a second freeze (EPERM)', () => {
    const m = make();
    m.freeze();
    expect(errnoOf(() => m.update(le32(0), le32(1)))).toBe('EPERM');
    expect(errnoOf(() => m.freeze())).toBe('EPERM');
    expect([...m.lookup(le32(0))]).toEqual([0, 0, 0, 0]);
  });
  it('reports its info without the fd-only RDONLY flag', () => {
    const m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 3, name: 'ro', flags: BPF_F_RDONLY | BPF_F_MMAPABLE }, { cpus: 2 });
    expect(m.info()).toEqual({ id: m.id, type: 2, typeName: 'array', name: 'ro', keySize: 4, valueSize: 4, maxEntries: 3, flags: BPF_F_MMAPABLE, mapExtra: 0, cpus: 2, frozen: false });
  });
  it('names the map, the operation, the errno and what to do in its errors', () => {
    expect(() => make().update(le32(5), le32(1))).toThrow(
      "BPF_MAP_UPDATE_ELEM on map 'arr' failed with E2BIG (Argument list too long): the index is not below max_entries (3)");
  });
});

describe('PERCPU_ARRAY values', () => {
  it('cross the API as cpus x round_up(value_size, 8) bytes, padding included', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 3 });
    const v = new Uint8Array(24).map((_, i) => i + 1);
    m.update(le32(0), v);
    expect([...m.lookup(le32(0))]).toEqual([...v]);
  });
  it('gives each CPU its own slot on the program side', () => {
    const C = struct({ n: u64 });
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2, value: C }, { cpus: 2 });
    for (const cpu of [0, 1, 1]) {
      setSmpProcessorId(cpu);
      bpf_map_lookup_elem(m, 1)!.n += 10;
    }
    setSmpProcessorId(0);
    expect(m.lookupPerCpu(1).map((b) => b[0])).toEqual([10, 20]);
    expect(m.sum(1)).toBe(30);
  });
  it('program lookups follow the thread when it changes CPU after the views exist', () => {
    const C = struct({ n: u64 });
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, value: C }, { cpus: 3 });
    for (const cpu of [0, 1, 2]) {
      setSmpProcessorId(cpu);
      bpf_map_lookup_elem(m, 0)!.n = cpu + 1;
    }
    for (const cpu of [2, 0, 1]) {
      setSmpProcessorId(cpu);
      bpf_map_lookup_elem(m, 0)!.n += 10;
    }
    setSmpProcessorId(0);
    expect(m.lookupPerCpu(0).map((b) => b[0])).toEqual([11, 12, 13]);
  });
  it('answers keys outside the array as the kernel does once the views exist', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2 }, { cpus: 2 });
    const v0 = bpf_map_lookup_elem(m, 0)!;
    expect(bpf_map_lookup_elem(m, 1)).not.toBe(v0);
    expect(bpf_map_lookup_elem(m, 2)).toBeNull();
    // The kernel reads the key as a u32: 2^32 is index 0.
    expect(bpf_map_lookup_elem(m, 2 ** 32)).toBe(v0);
    expect(errnoOf(() => bpf_map_lookup_elem(m, -1))).toBe('EINVAL');
  });
  it('puts each CPU slab on its own 128-byte boundary by default', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1 }, { cpus: 2 });
    setSmpProcessorId(1);
    const v = bpf_map_lookup_elem(m, 0)!;
    setSmpProcessorId(0);
    expect(v._off).toBe(128);
  });
  it('packs CPU slabs 8 bytes apart with slabAlign 8 (false sharing on purpose)', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, slabAlign: 8 }, { cpus: 2 });
    setSmpProcessorId(1);
    const v = bpf_map_lookup_elem(m, 0)!;
    setSmpProcessorId(0);
    expect(v._off).toBe(8);
  });
  it('a program update writes only this CPU slot', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    setSmpProcessorId(1);
    expect(bpf_map_update_elem(m, 0, le32(5), BPF_ANY)).toBe(0);
    setSmpProcessorId(0);
    expect([...m.lookup(0)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
  });
  it('rejects BPF_F_LOCK from user space with EINVAL', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    expect(errnoOf(() => m.update(0, new Uint8Array(16), BPF_F_LOCK))).toBe('EINVAL');
  });
});

describe('BPF_F_LOCK on an ARRAY whose value holds a bpf_spin_lock', () => {
  const V = struct({ a: u32, lock: bpf_spin_lock, b: u64 });
  const make = () => createMap({ type: 'array', keySize: 4, valueSize: V.size, maxEntries: 1, value: V }, { cpus: 1 });

  it('lays the struct out with C alignment (a 0, lock 4, b 8; 16 bytes)', () => {
    expect([V.fields.a.offset, V.fields.lock.offset, V.fields.b.offset, V.size]).toEqual([0, 4, 8, 16]);
  });
  it('reads the lock word as zero in a user copy, even while the lock is held', () => {
    const m = make();
    const v = bpf_map_lookup_elem(m, 0)!;
    bpf_spin_lock(v.lock);
    v.a = 3;
    const copy = m.lookup(0);
    bpf_spin_unlock(v.lock);
    expect(V.decode(copy)).toEqual({ a: 3, lock: 0, b: 0 });
  });
  it('never overwrites the lock word from a user update', () => {
    const m = make();
    const bytes = V.encode({ a: 1, b: 2 });
    bytes.fill(0xff, 4, 8);
    m.update(0, bytes, BPF_F_LOCK);
    expect(m.mems[0]!.u32[1]).toBe(0);
    expect(V.decode(m.lookup(0, BPF_F_LOCK))).toEqual({ a: 1, lock: 0, b: 2 });
  });
  it('copies a program update with BPF_F_LOCK under the lock when the source is another value (a view)', () => {
    const m = make();
    const src = createMap({ type: 'array', keySize: 4, valueSize: V.size, maxEntries: 1, value: V }, { cpus: 1 });
    bpf_map_lookup_elem(src, 0)!.a = 9;
    // Another holder's word in the destination: the copy must wait for it (and give up after the timeout).
    m.mems[0]!.i32[1] = 7 << 1;
    setSpinLockTimeout(50);
    try {
      expect(() => bpf_map_update_elem(m, 0, bpf_map_lookup_elem(src, 0)!, BPF_F_LOCK)).toThrow(/waited \d+ ms for a bpf_spin_lock/);
      expect(V.decode(m.lookup(0)).a).toBe(0);
      m.mems[0]!.i32[1] = 0;
      expect(bpf_map_update_elem(m, 0, bpf_map_lookup_elem(src, 0)!, BPF_F_LOCK)).toBe(0);
      expect(V.decode(m.lookup(0)).a).toBe(9);
    } finally {
      setSpinLockTimeout(DEFAULT_LOCK_TIMEOUT_MS);
    }
  });
});
