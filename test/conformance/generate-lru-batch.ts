// Steps of the LRU and batch scenarios (generate.ts writes them). Outcomes come from the kernel
// (percpu-maps conformance --record), never from here. Keys that must share a hash bucket are
// picked with the kernel's jhash and a zero seed, which is how the inputs are chosen, not what
// the outcomes say.

import { jhash2Word1 } from '../../src/maps/jhash.js';

type Json = Record<string, unknown>;

const create = (map: Json, note?: string): Json => ({ op: 'create', map, ...(note ? { note } : {}) });
const step = (op: string, fields: Json = {}, note?: string): Json => ({ op, ...fields, ...(note ? { note } : {}) });
const ZS = 'BPF_F_ZERO_SEED';
const FLAG_BITS = Array.from({ length: 32 }, (_, b) => 2 ** b);

/** A u64 value as 8 hex bytes (little-endian), as test_lru_map's unsigned long long values. */
function u64(x: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    s += (x % 256).toString(16).padStart(2, '0');
    x = Math.floor(x / 256);
  }
  return s;
}

function u32(x: number): string {
  return u64(x).slice(0, 8);
}

type LruType = 'lru_hash' | 'lru_percpu_hash';

// ---- creation ------------------------------------------------------------------------------------

function lruCreate(type: LruType): Json[] {
  const percpu = type === 'lru_percpu_hash';
  const m = (over: Json): Json => ({ type, keySize: 8, valueSize: 8, maxEntries: 4, ...over });
  const s: Json[] = [create(m({})), step('info')];
  for (const [keySize, valueSize, maxEntries] of [[0, 8, 4], [8, 0, 4], [8, 8, 0], [1, 1, 1], [3, 5, 7]]) s.push(create(m({ keySize, valueSize, maxEntries })));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  for (const flags of ['BPF_F_NO_PREALLOC|BPF_F_NO_COMMON_LRU', 'BPF_F_NUMA_NODE|BPF_F_NO_COMMON_LRU', 'BPF_F_NO_COMMON_LRU|BPF_F_ZERO_SEED',
    'BPF_F_NO_COMMON_LRU|BPF_F_RDONLY_PROG', 'BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG', 'BPF_F_NO_PREALLOC|BPF_F_NUMA_NODE']) {
    s.push(create(m({ flags }), 'NO_PREALLOC is ENOTSUPP for LRU maps; NUMA with per-CPU lists is EINVAL'));
  }
  for (const maxEntries of [1, 2, 3, 5, 7, 1000, 1001]) {
    s.push(create(m({ maxEntries, flags: 'BPF_F_NO_COMMON_LRU' }), 'per-CPU lists: max_entries rounded up to a multiple of the CPUs'));
    s.push(step('info', {}, 'the max_entries the kernel uses'));
  }
  for (const maxEntries of [0x80000001, 0xffffffff]) {
    s.push(create(m({ maxEntries }), 'above 2^31 entries'));
    s.push(create(m({ maxEntries, flags: 'BPF_F_NO_COMMON_LRU' }), 'above 2^31 entries, rounded (a u32 that wraps rounds down)'));
  }
  if (percpu) for (const valueSize of [32760, 32768, 32769]) s.push(create(m({ valueSize, maxEntries: 1 }), 'the per-CPU value limit'));
  for (const [valueSize, lockOffset] of [[8, 0], [16, 4]] as const) s.push(create(m({ valueSize, lockOffset }), 'no bpf_spin_lock in LRU values'));
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_RDONLY_PROG' }), 'order: EACCES before EOPNOTSUPP'));
  s.push(create(m({ flags: 'BPF_F_NO_PREALLOC', keySize: 0 }), 'order: ENOTSUPP before the size checks'));
  return s;
}

// ---- element operations ------------------------------------------------------------------------------

function lruOps(type: LruType, flags: string): Json[] {
  const percpu = type === 'lru_percpu_hash';
  const val = (x: number): Json => (percpu ? { values: [u64(x), u64(x + 0x100)] } : { value: u64(x) });
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: 4, flags })];
  s.push(step('lookup', { key: 1, cpu: 0 }, 'empty'));
  s.push(step('walk', {}));
  s.push(step('delete', { key: 1 }));
  s.push(step('lookupAndDelete', { key: 1 }));
  s.push(step('update', { key: 1, ...val(0x10), flags: 'BPF_EXIST', cpu: 0 }, 'update only: missing'));
  s.push(step('update', { key: 1, ...val(0x11), flags: 'BPF_NOEXIST', cpu: 0 }));
  s.push(step('update', { key: 1, ...val(0x12), flags: 'BPF_NOEXIST', cpu: 0 }, 'create only: exists'));
  s.push(step('update', { key: 1, ...val(0x13), flags: 'BPF_EXIST', cpu: 0 }));
  s.push(step('lookup', { key: 1, cpu: 0 }));
  for (const f of ['BPF_F_LOCK', 'BPF_EXIST|BPF_F_LOCK', 3, 8, 0x100000000]) s.push(step('update', { key: 1, ...val(0x14), flags: f, cpu: 0 }));
  for (const f of ['BPF_F_LOCK', 1]) s.push(step('lookup', { key: 1, flags: f }));
  for (const f of ['BPF_F_LOCK', 1]) s.push(step('lookupAndDelete', { key: 1, flags: f }));
  for (let k = 2; k <= 9; k++) s.push(step('update', { key: k, ...val(k * 16), flags: 'BPF_NOEXIST', cpu: 0 }, 'never E2BIG: the LRU evicts'));
  s.push(step('walk', {}));
  s.push(step('update', { key: 9, ...val(0x99), flags: 'BPF_NOEXIST', cpu: 0 }, 'fails with EEXIST, but after taking (and maybe evicting) a node'));
  s.push(step('walk', {}));
  s.push(step('update', { key: 8, ...val(0x88), flags: 'BPF_EXIST', cpu: 0 }));
  s.push(step('walk', {}));
  s.push(step('lookupAndDelete', { key: 9, cpu: 1 }));
  s.push(step('delete', { key: 9, cpu: 1 }));
  s.push(step('update', { key: 10, ...val(0xa0), cpu: 1 }, 'CPU 1\'s own cache'));
  s.push(step('update', { key: 11, ...val(0xb0), cpu: 1 }));
  s.push(step('walk', {}));
  for (const k of [1, 2, 10, 11, 12]) s.push(step('getNextKey', { key: k }));
  s.push(step('lookup', { key: null }));
  s.push(step('update', { key: null, ...val(0xc0) }));
  s.push(step('delete', { key: null }));
  s.push(step('freeze', {}));
  s.push(step('update', { key: 12, ...val(0xd0) }, 'frozen'));
  s.push(step('delete', { key: 10 }, 'frozen'));
  s.push(step('lookup', { key: 10 }));
  s.push(step('info', {}));
  return s;
}

// ---- test_lru_map's sanity sequences (tools/testing/selftests/bpf/test_lru_map.c) --------------------

const V = u64(1234);
const V2 = u64(4321);
const NOEXIST = 'BPF_NOEXIST';
const EXIST = 'BPF_EXIST';

/** The selftest runs pinned to CPU 0; every step here names it. */
function on0(op: string, fields: Json, note?: string): Json {
  return step(op, { ...fields, cpu: 0 }, note);
}

function sanity0(type: LruType, flags: string, cpus: number, percpuLru: boolean): Json[] {
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: percpuLru ? 2 * cpus : 2, flags }, 'test_lru_sanity0')];
  s.push(on0('update', { key: 1, value: V, flags: NOEXIST }));
  s.push(on0('update', { key: 1, value: V, flags: NOEXIST }));
  s.push(on0('update', { key: 1, value: V, flags: 0xffffffffffff }, 'the selftest passes flags -1'));
  s.push(on0('lookup', { key: 2 }));
  s.push(on0('update', { key: 2, value: V, flags: EXIST }));
  s.push(on0('update', { key: 2, value: V, flags: NOEXIST }));
  s.push(on0('lookup', { key: 3 }));
  s.push(on0('progLookup', { key: 1 }, 'a program looks key 1 up: its ref bit keeps it'));
  s.push(on0('update', { key: 3, value: V, flags: NOEXIST }));
  s.push(on0('lookup', { key: 2 }, 'key 2 was evicted'));
  s.push(on0('lookupAndDelete', { key: 1 }));
  s.push(on0('walk', {}));
  return s;
}

function sanity1(type: LruType, flags: string, cpus: number): Json[] {
  const tgt = 4;
  const batch = tgt / 2;
  const mapSize = tgt * cpus * 2 + batch;
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: mapSize, flags }, 'test_lru_sanity1: unreferenced elements go first')];
  for (let k = 1; k < 1 + tgt * cpus * 2; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  for (let k = 1; k < 1 + batch; k++) s.push(on0('progLookup', { key: k }));
  for (let k = 1 + tgt * cpus * 2; k < 1 + 2 * tgt * cpus * 2; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('walk', {}));
  return s;
}

function sanity2(type: LruType, flags: string, cpus: number): Json[] {
  const tgt = 4;
  const batch = tgt / 2;
  const size = tgt * cpus * 2;
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: size + batch, flags }, 'test_lru_sanity2: the oldest go, referenced ones stay')];
  for (let k = 1; k < 1 + size; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  if (type === 'lru_percpu_hash') {
    s.push(on0('update', { key: 1, value: V, flags: NOEXIST }, 'the refill evicts key 1 first'));
    s.push(on0('delete', { key: 1 }));
  } else {
    s.push(on0('update', { key: 1, value: V, flags: EXIST }, 'key 1 existed, but taking a node evicted it: ENOENT'));
  }
  for (let k = 1; k < 1 + batch; k++) {
    s.push(on0('lookup', { key: k }));
    s.push(on0('update', { key: k, value: V2, flags: NOEXIST }));
    s.push(on0('progLookup', { key: k }));
  }
  for (let k = 1 + size; k < 1 + size + batch; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  for (let k = 1 + size + batch; k < 1 + 2 * size + batch; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('walk', {}));
  return s;
}

function sanity3(type: LruType, flags: string, cpus: number): Json[] {
  const tgt = 4;
  const batch = Math.floor(Math.floor(tgt / cpus) / 2);
  const size = tgt * 2;
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: size, flags }, 'test_lru_sanity3: active/inactive rotation')];
  for (let k = 1; k < 1 + size; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  for (let k = 1; k < 1 + size - batch; k++) s.push(on0('progLookup', { key: k }));
  for (let k = 2 * tgt + 1; k < 2 * tgt + 1 + Math.max(batch, 1); k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('walk', {}));
  return s;
}

function sanity4(type: LruType, flags: string, cpus: number, percpuLru: boolean): Json[] {
  const tgt = 4;
  const size = percpuLru ? 3 * tgt * cpus : 3 * tgt * cpus * 2;
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: size, flags }, 'test_lru_sanity4: deletion')];
  for (let k = 1; k <= 2 * tgt; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('update', { key: 1, value: V, flags: NOEXIST }));
  for (let k = 1; k <= tgt; k++) s.push(on0('progLookup', { key: k }));
  for (let k = tgt + 1; k <= 2 * tgt; k++) {
    s.push(on0('delete', { key: k }));
    s.push(on0('delete', { key: k }));
  }
  for (let k = 2 * tgt + 1; k < 4 * tgt + 1; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('walk', {}));
  return s;
}

function sanity5(type: LruType, flags: string, cpus: number): Json[] {
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: 1, flags }, 'test_lru_sanity5: one element, every CPU in turn')];
  s.push(on0('update', { key: 0, value: V, flags: NOEXIST }));
  for (let cpu = 0; cpu < cpus; cpu++) {
    s.push(step('progLookup', { key: cpu, cpu }));
    s.push(step('update', { key: cpu + 1, value: V, flags: NOEXIST, cpu }));
    s.push(step('progLookup', { key: cpu + 1, cpu }));
    s.push(step('lookup', { key: cpu, cpu }, 'the previous key was evicted'));
  }
  s.push(step('walk', {}));
  return s;
}

function sanity6(type: LruType, flags: string, cpus: number): Json[] {
  const tgt = 4;
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: tgt * 2 * cpus, flags }, 'test_lru_sanity6: per-CPU list rotation')];
  let k = 1;
  for (; k <= tgt; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  for (; k <= tgt * 2; k++) {
    for (let stable = 1; stable <= tgt; stable++) s.push(on0('progLookup', { key: stable }));
    s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  }
  for (; k <= tgt * 3; k++) s.push(on0('update', { key: k, value: V, flags: NOEXIST }));
  s.push(on0('walk', {}));
  return s;
}

function sanity78(type: LruType, flags: string, cpus: number, percpuLru: boolean, which: 7 | 8): Json[] {
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: percpuLru ? 2 * cpus : 2, flags },
    which === 7 ? 'test_lru_sanity7: a program lookup of 1, a syscall lookup of 2' : 'test_lru_sanity8: a syscall lookup of 1, a program lookup of 2')];
  s.push(on0('update', { key: 1, value: V, flags: NOEXIST }));
  s.push(on0('update', { key: 1, value: V, flags: NOEXIST }));
  s.push(on0('lookup', { key: 2 }));
  s.push(on0('update', { key: 2, value: V, flags: EXIST }));
  s.push(on0('update', { key: 2, value: V, flags: NOEXIST }));
  s.push(on0('lookup', { key: 3 }));
  s.push(on0(which === 7 ? 'progLookup' : 'lookup', { key: 1 }));
  s.push(on0(which === 7 ? 'lookup' : 'progLookup', { key: 2 }));
  s.push(on0('update', { key: 3, value: V, flags: NOEXIST }));
  s.push(on0('lookup', { key: which === 7 ? 2 : 1 }, 'evicted: the syscall lookup set no ref bit'));
  s.push(on0('walk', {}));
  return s;
}

function lruSanity(type: LruType, percpuLru: boolean, cpus: number): Json[] {
  const flags = percpuLru ? `BPF_F_NO_COMMON_LRU|${ZS}` : ZS;
  const s = [...sanity0(type, flags, cpus, percpuLru)];
  if (!percpuLru) s.push(...sanity1(type, flags, cpus), ...sanity2(type, flags, cpus), ...sanity3(type, flags, cpus));
  s.push(...sanity4(type, flags, cpus, percpuLru));
  if (!percpuLru) s.push(...sanity5(type, flags, cpus));
  if (percpuLru) s.push(...sanity6(type, flags, cpus));
  s.push(...sanity78(type, flags, cpus, percpuLru, 7), ...sanity78(type, flags, cpus, percpuLru, 8));
  return s;
}

// ---- both CPUs at work -------------------------------------------------------------------------------

/** The common LRU with both CPUs: each refills its own cache, frees go back to the CPU a node was handed out on. */
function lruCpus(type: LruType): Json[] {
  const val = (x: number): Json => ({ value: u64(x) });
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: 8, flags: ZS }, 'target_free = 8 / 2 / 2 = 2')];
  const up = (key: number, cpu: number, note?: string, flags?: string) => s.push(step('update', { key, ...val(key), cpu, ...(flags ? { flags } : {}) }, note));
  for (const k of [1, 2, 3]) up(k, 0);
  for (const k of [4, 5, 6]) up(k, 1);
  s.push(step('walk', {}));
  up(7, 0);
  up(8, 1);
  up(9, 0, 'full');
  s.push(step('walk', {}));
  s.push(step('progLookup', { key: 4, cpu: 1 }));
  s.push(step('progLookup', { key: 5, cpu: 0 }));
  up(10, 1);
  up(11, 1);
  up(12, 0);
  s.push(step('walk', {}));
  s.push(step('delete', { key: 12, cpu: 1 }, 'handed out on CPU 0 and not yet flushed: back to CPU 0\'s cache'));
  up(13, 0);
  up(14, 1);
  s.push(step('walk', {}));
  up(4, 0, 'a replace from the other CPU: a new node, the old one freed', 'BPF_EXIST');
  up(5, 1, undefined, 'BPF_ANY');
  s.push(step('walk', {}));
  for (let k = 20; k < 32; k++) up(k, k % 2);
  s.push(step('walk', {}));
  s.push(step('lookupAndDelete', { key: 31, cpu: 0 }));
  s.push(step('lookupAndDelete', { key: 30, cpu: 1 }));
  for (let k = 40; k < 46; k++) up(k, k % 3 === 0 ? 1 : 0);
  s.push(step('walk', {}));
  for (let k = 40; k < 46; k++) s.push(step('lookup', { key: k }));
  return s;
}

/** BPF_F_NO_COMMON_LRU with both CPUs: each CPU evicts only from its own share. */
function lruPercpuLists(type: LruType): Json[] {
  const val = (x: number): Json => ({ value: u64(x) });
  const s: Json[] = [create({ type, keySize: 8, valueSize: 8, maxEntries: 12, flags: `BPF_F_NO_COMMON_LRU|${ZS}` }, '6 nodes per CPU')];
  const up = (key: number, cpu: number, note?: string) => s.push(step('update', { key, ...val(key), cpu }, note));
  for (let k = 1; k <= 6; k++) up(k, 0);
  up(7, 0, 'CPU 0 is out of nodes: it shrinks its own list by up to 4, CPU 1\'s stay free');
  s.push(step('walk', {}));
  for (let k = 11; k <= 16; k++) up(k, 1);
  s.push(step('walk', {}));
  s.push(step('progLookup', { key: 5, cpu: 0 }));
  s.push(step('progLookup', { key: 12, cpu: 1 }));
  s.push(step('progLookup', { key: 13, cpu: 0 }, 'the ref bit does not care which CPU looks'));
  for (let k = 21; k <= 26; k++) up(k, k % 2);
  s.push(step('walk', {}));
  s.push(step('delete', { key: 21, cpu: 0 }, 'freed to the list of the CPU that owns the node'));
  s.push(step('delete', { key: 22, cpu: 1 }));
  for (let k = 31; k <= 40; k++) up(k, 0);
  s.push(step('walk', {}));
  for (let k = 41; k <= 46; k++) up(k, 1);
  s.push(step('walk', {}));
  s.push(step('update', { key: 46, ...val(0x46), cpu: 0, flags: 'BPF_NOEXIST' }, 'fails with EEXIST after taking a node on CPU 0'));
  s.push(step('walk', {}));
  return s;
}

// ---- batch commands ------------------------------------------------------------------------------------

/** n keys (u32) from `from` on whose zero-seed jhash lands in bucket b of a table of `buckets`. */
function keysInBucket(b: number, n: number, buckets: number, from = 0): number[] {
  const out: number[] = [];
  for (let k = from; out.length < n; k++) if ((jhash2Word1(k, 0) & (buckets - 1)) === b) out.push(k);
  return out;
}

function arrayBatch(type: 'array' | 'percpu_array'): Json[] {
  const vs = 4;
  const s: Json[] = [create({ type, keySize: 4, valueSize: vs, maxEntries: 5 })];
  s.push(step('updateBatch', { keys: [0, 1, 2, 3, 4], values: [0, 1, 2, 3, 4].map((i) => u32(0x100 + i)) }));
  for (const [inBatch, count] of [[null, 5], [null, 2], [1, 2], [3, 2], [3, 1], [4, 3], [5, 2], [0xffffffff, 2], [null, 0], [null, 9], [2, 0]] as const) {
    s.push(step('lookupBatch', { inBatch, count }, 'the cursor is a key: the last one copied'));
  }
  s.push(step('lookupBatch', { inBatch: '02000000', count: 2 }));
  s.push(step('lookupBatch', { inBatch: null, count: 2, batchFlags: 1 }, 'the generic lookup ignores the batch flags'));
  for (const flags of ['BPF_F_LOCK', 1, 2, 8]) s.push(step('lookupBatch', { inBatch: null, count: 2, flags }));
  s.push(step('updateBatch', { keys: [1, 9, 2], values: [u32(1), u32(2), u32(3)] }, 'stops at the first error: E2BIG after one'));
  s.push(step('updateBatch', { keys: [2, 3], values: [u32(4), u32(5)], flags: 'BPF_NOEXIST' }));
  s.push(step('updateBatch', { keys: [2, 3], values: [u32(6), u32(7)], flags: 'BPF_EXIST' }));
  s.push(step('updateBatch', { keys: [2, 3], values: [u32(6), u32(7)], flags: 'BPF_F_LOCK' }));
  s.push(step('updateBatch', { keys: [2, 3], values: [u32(6), u32(7)], flags: 3 }));
  s.push(step('updateBatch', { keys: [0, 4], values: [u32(8), u32(9)], count: 1 }));
  s.push(step('updateBatch', { keys: [0, 4], values: [u32(8), u32(9)], count: 0 }));
  s.push(step('lookupBatch', { inBatch: null, count: 5 }));
  s.push(step('deleteBatch', { keys: [1] }, 'arrays have no delete batch'));
  s.push(step('deleteBatch', { keys: [1], count: 0 }));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 2 }));
  s.push(step('freeze', {}));
  s.push(step('updateBatch', { keys: [1], values: [u32(1)] }, 'frozen'));
  s.push(step('lookupBatch', { inBatch: null, count: 5 }));
  return s;
}

function hashBatch(type: 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash', extraFlags = ''): Json[] {
  const buckets = 8;
  const vs = 8;
  const val = (x: number): string => u64(x);
  const flags = extraFlags ? `${ZS}|${extraFlags}` : ZS;
  const s: Json[] = [create({ type, keySize: 4, valueSize: vs, maxEntries: 8, flags }, '8 buckets')];
  s.push(step('lookupBatch', { inBatch: null, count: 4 }, 'empty: ENOENT at once, out_batch n_buckets'));
  // Buckets 1 (1 key), 3 (3 keys), 6 (2 keys).
  const b1 = keysInBucket(1, 1, buckets);
  const b3 = keysInBucket(3, 3, buckets);
  const b6 = keysInBucket(6, 2, buckets);
  const keys = [...b1, ...b3, ...b6];
  s.push(step('updateBatch', { keys, values: keys.map((k) => val(k + 0x1000)) }));
  s.push(step('walk', {}));
  for (const count of [1, 2, 3, 4, 5, 6, 7]) s.push(step('lookupBatch', { inBatch: null, count }, 'whole buckets only'));
  for (let b = 0; b <= 9; b++) s.push(step('lookupBatch', { inBatch: b, count: 3 }, 'the cursor is a bucket index'));
  s.push(step('lookupBatch', { inBatch: 0xffffffff, count: 3 }));
  s.push(step('lookupBatch', { inBatch: 3, count: 2 }, 'ENOSPC: bucket 3 holds 3'));
  s.push(step('lookupBatch', { inBatch: 2, count: 0 }));
  for (const batchFlags of [1, 2]) s.push(step('lookupBatch', { inBatch: null, count: 4, batchFlags }));
  s.push(step('lookupBatch', { inBatch: null, count: 0, batchFlags: 1 }, 'order: the flags before count 0'));
  for (const f of ['BPF_F_LOCK', 1, 8]) s.push(step('lookupBatch', { inBatch: null, count: 4, flags: f }));
  s.push(step('updateBatch', { keys: [keys[0], 100, keys[1]], values: [val(1), val(2), val(3)], flags: 'BPF_NOEXIST' }, 'stops at the first error'));
  s.push(step('updateBatch', { keys: [keys[0], 101], values: [val(4), val(5)], flags: 'BPF_EXIST' }));
  s.push(step('updateBatch', { keys: [keys[0]], values: [val(6)], flags: 'BPF_F_LOCK' }));
  s.push(step('walk', {}));
  s.push(step('deleteBatch', { keys: [b6[0], 555, b6[1]] }, 'stops at the missing key'));
  s.push(step('deleteBatch', { keys: [b6[1]], flags: 1 }));
  s.push(step('deleteBatch', { keys: [b6[1]], count: 0 }));
  s.push(step('walk', {}));
  s.push(step('lookupAndDeleteBatch', { inBatch: 2, count: 4 }, 'deletes what it returns'));
  s.push(step('walk', {}));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 1 }));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 9 }));
  s.push(step('walk', {}));
  const many = Array.from({ length: 8 }, (_, i) => 40 + i);
  s.push(step('updateBatch', { keys: many, values: many.map((k) => val(k)) }));
  s.push(step('updateBatch', { keys: [200, 201], values: [val(200), val(201)] }, type.startsWith('lru') ? 'full: the LRU evicts' : 'full: E2BIG'));
  s.push(step('walk', {}));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 3, cpu: 1 }, 'freed on CPU 1'));
  s.push(step('updateBatch', { keys: [300, 301, 302], values: [val(1), val(2), val(3)], cpu: 1 }));
  s.push(step('updateBatch', { keys: [303, 304], values: [val(4), val(5)], cpu: 0 }));
  s.push(step('walk', {}));
  s.push(step('lookupBatch', { inBatch: null, count: 8 }));
  // Pinned: an LRU map's outcome depends on the CPU a call runs on (its caches), and an unpinned
  // kernel call may run on either.
  return s.map((st) => (st.op === 'create' || st.cpu !== undefined ? st : { ...st, cpu: 0 }));
}

function lockBatch(type: 'array' | 'hash'): Json[] {
  const vs = 8;
  const s: Json[] = [create({ type, keySize: 4, valueSize: vs, maxEntries: 4, flags: type === 'hash' ? ZS : 0, lockOffset: 4 })];
  s.push(step('updateBatch', { keys: [1, 2], values: ['11111111ffffffff', u64(0x22)], flags: 'BPF_F_LOCK' }, 'the lock word is never written'));
  s.push(step('lookupBatch', { inBatch: null, count: 4, flags: 'BPF_F_LOCK' }, 'locked copies; the lock word reads 0'));
  s.push(step('lookupBatch', { inBatch: null, count: 4 }));
  for (const f of [5, 'BPF_F_LOCK|8', 1]) s.push(step('lookupBatch', { inBatch: null, count: 4, flags: f }));
  s.push(step('updateBatch', { keys: [1], values: [u64(0x33)], flags: 'BPF_EXIST|BPF_F_LOCK' }));
  s.push(step('updateBatch', { keys: [3], values: [u64(0x44)], flags: 'BPF_NOEXIST|BPF_F_LOCK' }));
  if (type === 'hash') {
    s.push(step('deleteBatch', { keys: [3], flags: 'BPF_F_LOCK' }, 'elem_flags are checked, then ignored'));
    s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 4, flags: 'BPF_F_LOCK' }));
  }
  s.push(step('lookupBatch', { inBatch: null, count: 4, flags: 'BPF_F_LOCK' }));
  return s;
}

/** Who may batch: access modes, frozen maps, and the types without batch commands. */
function batchAccess(): Json[] {
  const s: Json[] = [];
  for (const type of ['hash', 'array'] as const) {
    for (const flags of ['BPF_F_RDONLY', 'BPF_F_WRONLY']) {
      s.push(create({ type, keySize: 4, valueSize: 4, maxEntries: 4, flags }));
      s.push(step('updateBatch', { keys: [1], values: [u32(1)] }));
      s.push(step('lookupBatch', { inBatch: null, count: 4 }));
      s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 4 }));
      s.push(step('deleteBatch', { keys: [1] }));
      s.push(step('lookupBatch', { inBatch: null, count: 4, flags: 1 }, 'order: access before the flags'));
    }
  }
  s.push(create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }));
  s.push(step('updateBatch', { keys: [1], values: [u32(1)] }));
  s.push(step('freeze', {}));
  s.push(step('lookupBatch', { inBatch: null, count: 4 }, 'frozen: reads still work'));
  s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 4 }));
  s.push(step('deleteBatch', { keys: [1] }));
  s.push(step('updateBatch', { keys: [1], values: [u32(2)] }));
  const keyless: Json[] = [
    { type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 },
    { type: 'stack', keySize: 0, valueSize: 4, maxEntries: 4 },
    { type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 },
    { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
  ];
  for (const m of keyless) {
    s.push(create(m, 'no batch commands'));
    s.push(step('lookupBatch', { inBatch: null, count: 2 }));
    s.push(step('lookupAndDeleteBatch', { inBatch: null, count: 2 }));
    s.push(step('lookupBatch', { inBatch: null, count: 0, flags: 8 }, 'order: ENOTSUPP before the flags and count'));
  }
  return s;
}

/** The scenarios this file adds: [name, description, steps]. */
export function lruAndBatchScenarios(cpus = 2): [string, string, Json[]][] {
  return [
    ['lru-hash-create', 'LRU_HASH creation: sizes, every flag bit, NO_PREALLOC (ENOTSUPP), per-CPU lists rounding max_entries to the CPUs, no bpf_spin_lock', lruCreate('lru_hash')],
    ['lru-percpu-hash-create', 'LRU_PERCPU_HASH creation: as LRU_HASH, plus the per-CPU value limit', lruCreate('lru_percpu_hash')],
    ['lru-hash-ops', 'LRU_HASH (common LRU, zero seed): flags, eviction instead of E2BIG, failed updates that evict, both CPUs, NULL keys, freeze', lruOps('lru_hash', ZS)],
    ['lru-percpu-hash-ops', 'LRU_PERCPU_HASH (common LRU, zero seed): the same steps, values per CPU', lruOps('lru_percpu_hash', ZS)],
    ['lru-hash-ops-percpu-lru', 'LRU_HASH with BPF_F_NO_COMMON_LRU: the same steps on per-CPU lists', lruOps('lru_hash', `BPF_F_NO_COMMON_LRU|${ZS}`)],
    ['lru-hash-sanity', 'LRU_HASH, common LRU: test_lru_map\'s sanity sequences 0-5, 7, 8 on CPU 0 (program lookups set ref bits)', lruSanity('lru_hash', false, cpus)],
    ['lru-percpu-hash-sanity', 'LRU_PERCPU_HASH, common LRU: test_lru_map\'s sanity sequences 0-5, 7, 8 on CPU 0', lruSanity('lru_percpu_hash', false, cpus)],
    ['lru-hash-sanity-percpu-lru', 'LRU_HASH with BPF_F_NO_COMMON_LRU: test_lru_map\'s sanity sequences 0, 4, 6, 7, 8 on CPU 0', lruSanity('lru_hash', true, cpus)],
    ['lru-percpu-hash-sanity-percpu-lru', 'LRU_PERCPU_HASH with BPF_F_NO_COMMON_LRU: test_lru_map\'s sanity sequences 0, 4, 6, 7, 8 on CPU 0', lruSanity('lru_percpu_hash', true, cpus)],
    ['lru-hash-cpus', 'LRU_HASH, common LRU, both CPUs: per-CPU caches and pending lists, frees to the CPU a node came from, replaces across CPUs', lruCpus('lru_hash')],
    ['lru-percpu-hash-cpus', 'LRU_PERCPU_HASH, common LRU, both CPUs: the same steps', lruCpus('lru_percpu_hash')],
    ['lru-hash-percpu-lists', 'LRU_HASH with BPF_F_NO_COMMON_LRU, both CPUs: each CPU evicts from its own share, 4 at a time', lruPercpuLists('lru_hash')],
    ['array-batch', 'ARRAY batch commands: lookup from every cursor, update stopping at the first error, flags, no delete batches, freeze', arrayBatch('array')],
    ['percpu-array-batch', 'PERCPU_ARRAY batch commands: as ARRAY, values per CPU', arrayBatch('percpu_array')],
    ['hash-batch', 'HASH batch commands (zero seed): whole buckets, bucket-index cursors, ENOSPC, ENOENT with data, flags, delete stopping at a missing key, lookup-and-delete', hashBatch('hash')],
    ['percpu-hash-batch', 'PERCPU_HASH batch commands: the same steps, values per CPU', hashBatch('percpu_hash')],
    ['hash-batch-noprealloc', 'HASH with BPF_F_NO_PREALLOC batch commands: the same steps', hashBatch('hash', 'BPF_F_NO_PREALLOC')],
    ['lru-hash-batch', 'LRU_HASH batch commands: the same steps; a full map evicts, batch lookups set no ref bits', hashBatch('lru_hash')],
    ['lru-percpu-hash-batch', 'LRU_PERCPU_HASH batch commands: the same steps', hashBatch('lru_percpu_hash')],
    ['array-lock-batch', 'ARRAY with a bpf_spin_lock: BPF_F_LOCK batch lookups and updates', lockBatch('array')],
    ['hash-lock-batch', 'HASH with a bpf_spin_lock: BPF_F_LOCK batch lookups, updates, deletes', lockBatch('hash')],
    ['batch-access', 'Batch commands and access: BPF_F_RDONLY, BPF_F_WRONLY, frozen maps, and the types without batch commands (ENOTSUPP)', batchAccess()],
  ];
}
