// Writes the conformance scenario files of this directory (steps only). The kernel's outcomes come
// from the kernel, never from here: after generating, record them on a live kernel with
//   npx tsx test/conformance/generate.ts && percpu-maps conformance --record
// A file whose steps did not change keeps its recorded outcomes.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScenario } from '../../src/conformance/runner.js';
import { lruAndBatchScenarios } from './generate-lru-batch.js';
import { issue16Scenarios } from './generate-issue16.js';

type Json = Record<string, unknown>;
const DIR = dirname(fileURLToPath(import.meta.url));

function write(name: string, description: string, steps: Json[]): void {
  const file = join(DIR, `${name}.json`);
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { description: string; recorded?: unknown; steps: Json[] };
    const strip = (s: Json): string => JSON.stringify({ ...s, kernel: undefined });
    if (old.description === description && old.steps.length === steps.length && old.steps.every((s, i) => strip(s) === strip(steps[i]!))) {
      console.log(`${name}: unchanged (${steps.length} steps)`);
      return;
    }
  }
  writeFileSync(file, formatScenario({ description, steps }));
  console.log(`${name}: written (${steps.length} steps), record it`);
}

const create = (map: Json, note?: string): Json => ({ op: 'create', map, ...(note ? { note } : {}) });
const step = (op: string, fields: Json = {}, note?: string): Json => ({ op, ...fields, ...(note ? { note } : {}) });

/** n distinct bytes starting at `seed`, as hex. */
function pattern(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((seed + i * 7) & 0xff).toString(16).padStart(2, '0');
  return s;
}
const zeros = (n: number): string => '00'.repeat(n);
const ru8 = (n: number): number => (n + 7) & ~7;

// Every create flag bit alone; the kernel accepts a type's own flags and rejects the rest.
const FLAG_BITS = Array.from({ length: 32 }, (_, b) => 2 ** b);

// ---- ARRAY and PERCPU_ARRAY: creation --------------------------------------------------------------

function arrayCreate(type: 'array' | 'percpu_array'): Json[] {
  const percpu = type === 'percpu_array';
  const m = (over: Json): Json => ({ type, keySize: 4, valueSize: 4, maxEntries: 4, ...over });
  const s: Json[] = [create(m({}), 'the smallest usual array')];
  for (const keySize of [0, 1, 2, 3, 5, 8, 16]) s.push(create(m({ keySize }), 'an array key is a u32 index: key_size must be 4'));
  for (const valueSize of [0, 1, 2, 3, 7, 9, 4095, 4096]) s.push(create(m({ valueSize })));
  if (percpu) {
    for (const valueSize of [32760, 32761, 32768, 32769, 32776, 65536]) {
      s.push(create(m({ valueSize, maxEntries: 1 }), 'a per-CPU value may be at most 32768 bytes after round_up(value_size, 8)'));
    }
  } else {
    s.push(create(m({ valueSize: 1 << 22, maxEntries: 1 }), 'no kmalloc limit on an array value'));
  }
  for (const valueSize of [0x80000000, 0xfffffff8, 0xffffffff]) s.push(create(m({ valueSize, maxEntries: 1 }), 'value_size above INT_MAX'));
  for (const maxEntries of [0, 1, 2, 3, 1000, 65536]) s.push(create(m({ maxEntries })));
  // Larger than any machine's memory, so the kernel fails at once. (Sizes near the RAM size make
  // it clear pages for seconds; a per-CPU array allocates every element one by one: never for those.)
  if (!percpu) {
    s.push(create(m({ maxEntries: 0xffffffff, valueSize: 4096 }), 'too large to allocate'));
    s.push(create(m({ maxEntries: 0x80000000, valueSize: 4096 }), 'too large to allocate'));
  }
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  const combos = ['BPF_F_RDONLY|BPF_F_WRONLY', 'BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG', 'BPF_F_RDONLY|BPF_F_RDONLY_PROG',
    'BPF_F_WRONLY|BPF_F_WRONLY_PROG', 'BPF_F_RDONLY|BPF_F_WRONLY_PROG', 'BPF_F_MMAPABLE|BPF_F_INNER_MAP',
    'BPF_F_MMAPABLE|BPF_F_RDONLY_PROG', 'BPF_F_NO_PREALLOC|BPF_F_MMAPABLE', 'BPF_F_NUMA_NODE|BPF_F_RDONLY'];
  for (const flags of combos) s.push(create(m({ flags })));
  for (const name of ['', 'a', 'abc.DEF_019', 'abcdefghijklmno', 'abcdefghijklmnop', 'abcdefghijklmnopqrst', 'a-b', 'a/b', 'über']) {
    s.push(create(m({ name }), 'a name is up to 15 characters of [A-Za-z0-9_.]'));
  }
  s.push(create(m({ mapExtra: 1 }), 'map_extra belongs to bloom filters'));
  // Which check comes first, when two fail.
  s.push(create(m({ keySize: 3, valueSize: 0x80000000 }), 'order: EINVAL checks before E2BIG'));
  s.push(create(m({ valueSize: 0x80000000, name: 'a-b' }), 'order: the name is checked after the size'));
  if (!percpu) s.push(create(m({ maxEntries: 0xffffffff, valueSize: 4096, name: 'a-b' }), 'order: the name is checked after the allocation'));
  s.push(create(m({ mapExtra: 1, valueSize: 0x80000000 }), 'order: map_extra first'));
  s.push(create(m({ flags: 'BPF_F_RDONLY|BPF_F_WRONLY', valueSize: 0x80000000 }), 'order: RDONLY with WRONLY first'));
  s.push(create(m({ flags: 1 << 13, valueSize: 0x80000000 }), 'order: unknown flags before E2BIG'));
  if (percpu) {
    s.push(create(m({ flags: 'BPF_F_NUMA_NODE', valueSize: 40000 }), 'order: flags before the per-CPU size'));
    s.push(create(m({ valueSize: 40000, name: 'a-b' }), 'order: per-CPU size before the name'));
  }
  // A value holding a bpf_spin_lock (the native helper builds the BTF).
  for (const [valueSize, lockOffset] of [[4, 0], [8, 0], [8, 4], [16, 8], [40, 36]] as const) {
    s.push(create(m({ valueSize, lockOffset }), percpu ? 'no bpf_spin_lock in per-CPU values' : 'a bpf_spin_lock anywhere in the value'));
  }
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_RDONLY_PROG' }), 'a lock with a program access flag'));
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_WRONLY_PROG' }), 'a lock with a program access flag'));
  s.push(create(m({ valueSize: 8, lockOffset: 4, flags: 'BPF_F_RDONLY' }), 'a lock with a user access flag'));
  if (!percpu) {
    s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_MMAPABLE' }), 'a lock in an mmapable array'));
    s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_INNER_MAP' })));
  }
  s.push(create(m({ valueSize: 8, lockOffset: 0, name: 'a-b' }), 'order: the name before the BTF checks'));
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_RDONLY_PROG', keySize: 3 }), 'order: the key size before the BTF checks'));
  return s;
}

// ---- ARRAY: element operations ---------------------------------------------------------------------

function arrayOps(): Json[] {
  const vs = 8;
  const v = (seed: number): string => pattern(vs, seed);
  const s: Json[] = [create({ type: 'array', keySize: 4, valueSize: vs, maxEntries: 4 })];
  s.push(step('lookup', { key: 0 }, 'every element exists from creation, zero-filled'));
  s.push(step('lookup', { key: 3 }));
  s.push(step('lookup', { key: 4 }, 'index max_entries'));
  s.push(step('lookup', { key: 0xffffffff }));
  s.push(step('lookup', { key: '00000001' }, 'the index is little-endian: this is 1 << 24'));
  for (const flags of ['BPF_ANY', 'BPF_EXIST', 'BPF_NOEXIST', 'BPF_F_LOCK', 'BPF_NOEXIST|BPF_EXIST', 'BPF_EXIST|BPF_F_LOCK', 8, 16, 0x100000000]) {
    s.push(step('update', { key: 1, value: v(0x10), flags }));
  }
  s.push(step('lookup', { key: 1 }));
  s.push(step('update', { key: 1, value: v(0x20) }, 'replace'));
  s.push(step('lookup', { key: 1 }));
  for (const flags of ['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST', 3, 8]) s.push(step('update', { key: 4, value: v(0x30), flags }, 'out of range'));
  s.push(step('update', { key: 0xffffffff, value: v(0x30) }));
  s.push(step('update', { key: 3, value: v(0x40), flags: 'BPF_EXIST' }, 'the last index'));
  s.push(step('lookup', { key: 3 }));
  for (const flags of ['BPF_F_LOCK', 1, 2, 8]) s.push(step('lookup', { key: 1, flags }, 'lookups take 0 or BPF_F_LOCK'));
  s.push(step('lookup', { key: 9, flags: 1 }, 'order: flags before the index'));
  for (const key of [0, 4]) s.push(step('delete', { key }, 'array elements cannot be deleted'));
  for (const flags of [0, 'BPF_F_LOCK', 1, 8]) s.push(step('lookupAndDelete', { key: 1, flags }));
  s.push(step('lookupAndDelete', { key: 9 }));
  s.push(step('lookup', { key: 1 }, 'still there'));
  // NULL key pointers.
  s.push(step('lookup', { key: null }, 'a NULL key pointer'));
  s.push(step('update', { key: null, value: v(0x50) }));
  s.push(step('update', { key: null, value: v(0x50), flags: 8 }, 'order: the key copy before the array flags check'));
  s.push(step('delete', { key: null }));
  s.push(step('lookupAndDelete', { key: null }));
  // get_next_key walks.
  s.push(step('getNextKey', { key: null }, 'NULL: the first index'));
  for (const key of [0, 1, 2, 3, 4, 5, 0x7fffffff, 0xffffffff]) s.push(step('getNextKey', { key }));
  s.push(step('update', { key: 2, value: v(0x60) }, 'a walk does not depend on values'));
  s.push(step('getNextKey', { key: 1 }));
  s.push(step('info', {}));
  s.push(step('freeze', {}, 'no more user-space writes'));
  s.push(step('info', {}, 'frozen'));
  s.push(step('update', { key: 1, value: v(0x70) }));
  s.push(step('update', { key: 1, value: v(0x70), flags: 8 }, 'order: the write permission before the flags'));
  s.push(step('update', { key: 9, value: v(0x70) }));
  s.push(step('delete', { key: 1 }));
  s.push(step('lookupAndDelete', { key: 1 }));
  s.push(step('lookup', { key: 1 }, 'reads still work'));
  s.push(step('getNextKey', { key: 1 }));
  s.push(step('freeze', {}, 'a second freeze'));
  return s;
}

/** Access flags: BPF_F_RDONLY/BPF_F_WRONLY on the creation fd, and which checks come first. */
function arrayAccess(type: 'array' | 'percpu_array' | 'hash' | 'percpu_hash'): Json[] {
  const keyed = type === 'hash' || type === 'percpu_hash';
  const base = { type, keySize: 4, valueSize: 8, maxEntries: 4, ...(keyed ? { flags: 'BPF_F_ZERO_SEED' } : {}) };
  const fl = (f: string): string => (keyed ? `${f}|BPF_F_ZERO_SEED` : f);
  const v = pattern(8, 0x11);
  const s: Json[] = [];
  s.push(create({ ...base, flags: fl('BPF_F_RDONLY') }, 'read-only from user space'));
  s.push(step('info', {}, 'the map keeps no BPF_F_RDONLY: it belongs to the fd'));
  s.push(step('update', { key: 1, value: v }));
  s.push(step('update', { key: 1, value: v, flags: 8 }, 'order: permission before flags'));
  s.push(step('delete', { key: 1 }));
  s.push(step('lookup', { key: 1 }));
  s.push(step('lookup', { key: 1, flags: 1 }, 'order: lookup flags before permission'));
  s.push(step('getNextKey', { key: null }));
  s.push(step('lookupAndDelete', { key: 1 }));
  s.push(step('freeze', {}));
  s.push(create({ ...base, flags: fl('BPF_F_WRONLY') }, 'write-only from user space'));
  s.push(step('update', { key: 1, value: v }));
  s.push(step('lookup', { key: 1 }));
  s.push(step('lookup', { key: 1, flags: 'BPF_F_LOCK' }, 'order: permission before the lock check'));
  s.push(step('lookup', { key: 1, flags: 2 }, 'order: flags before permission'));
  s.push(step('getNextKey', { key: null }));
  s.push(step('getNextKey', { key: 1 }));
  s.push(step('lookupAndDelete', { key: 1 }));
  s.push(step('delete', { key: 1 }));
  s.push(step('freeze', {}));
  s.push(step('info', {}));
  s.push(step('update', { key: 1, value: v }, 'after the freeze'));
  s.push(create({ ...base, flags: fl('BPF_F_RDONLY_PROG') }, 'program access flags do not limit user space'));
  s.push(step('info', {}));
  s.push(step('update', { key: 1, value: v }));
  s.push(step('lookup', { key: 1 }));
  s.push(step('freeze', {}));
  s.push(create({ ...base, flags: fl('BPF_F_WRONLY_PROG') }));
  s.push(step('update', { key: 1, value: v }));
  s.push(step('lookup', { key: 1 }));
  return s;
}

// ---- PERCPU_ARRAY: values per CPU ------------------------------------------------------------------

function percpuValues(type: 'percpu_array' | 'percpu_hash'): Json[] {
  const hash = type === 'percpu_hash';
  const s: Json[] = [];
  for (const vs of [1, 4, 8, 12, 16, 40]) {
    s.push(create({ type, keySize: 4, valueSize: vs, maxEntries: 3, ...(hash ? { flags: 'BPF_F_ZERO_SEED' } : {}) }, `value_size ${vs}: slots of ${ru8(vs)} bytes per CPU`));
    if (!hash) s.push(step('lookup', { key: 0 }, 'zero-filled on every CPU'));
    s.push(step('update', { key: 0, values: [pattern(vs, 1), pattern(vs, 0x81)] }, 'a different value on each CPU'));
    s.push(step('lookup', { key: 0 }));
    s.push(step('lookup', { key: 0, padding: true }, 'the padding of each slot reads as zero'));
    s.push(step('update', { key: 1, value: pattern(vs, 0x40) }, 'one value for every CPU'));
    s.push(step('lookup', { key: 1 }));
    if (vs % 8 !== 0) {
      s.push(step('update', { key: 2, values: [pattern(ru8(vs), 0x21), pattern(ru8(vs), 0xa1)] }, 'whole slots: padding bytes travel with the copy'));
      s.push(step('lookup', { key: 2, padding: true }));
      s.push(step('lookup', { key: 2 }));
    }
    s.push(step('update', { key: 0, values: [pattern(vs, 0x33)], flags: 'BPF_EXIST' }, 'one value in the list: repeated on every CPU'));
    s.push(step('lookup', { key: 0 }));
    s.push(step('update', { key: 0, values: [zeros(vs), pattern(vs, 0x55)], cpu: 1 }, 'the calling CPU does not matter to a user update'));
    s.push(step('lookup', { key: 0, cpu: 0 }));
    if (hash) {
      s.push(step('lookupAndDelete', { key: 0, padding: true }, 'every CPU\'s value, padding included'));
      s.push(step('lookupAndDelete', { key: 1 }));
      s.push(step('lookup', { key: 0 }));
    }
  }
  return s;
}

function percpuArrayOps(): Json[] {
  const vs = 8;
  const v = (seed: number): string[] => [pattern(vs, seed), pattern(vs, seed + 0x80)];
  const s: Json[] = [create({ type: 'percpu_array', keySize: 4, valueSize: vs, maxEntries: 4 })];
  for (const flags of ['BPF_ANY', 'BPF_EXIST', 'BPF_NOEXIST', 'BPF_F_LOCK', 'BPF_NOEXIST|BPF_EXIST', 'BPF_EXIST|BPF_F_LOCK', 8, 16]) {
    s.push(step('update', { key: 1, values: v(0x10), flags }));
  }
  s.push(step('lookup', { key: 1 }));
  for (const flags of ['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST', 3, 8]) s.push(step('update', { key: 4, values: v(0x30), flags }, 'out of range'));
  s.push(step('update', { key: 4, value: pattern(vs, 0x30), flags: 'BPF_NOEXIST' }, 'the same through bpftool'));
  for (const key of [3, 4, 0xffffffff]) s.push(step('lookup', { key }));
  for (const flags of ['BPF_F_LOCK', 1, 8]) s.push(step('lookup', { key: 1, flags }, 'no lock in a per-CPU value'));
  for (const key of [1, 4]) s.push(step('delete', { key }));
  for (const flags of [0, 'BPF_F_LOCK']) s.push(step('lookupAndDelete', { key: 1, flags }));
  s.push(step('lookup', { key: null }));
  s.push(step('update', { key: null, values: v(0x50) }));
  s.push(step('getNextKey', { key: null }));
  for (const key of [0, 2, 3, 4, 0xffffffff]) s.push(step('getNextKey', { key }));
  s.push(step('freeze', {}));
  s.push(step('update', { key: 1, values: v(0x70) }));
  s.push(step('lookup', { key: 1 }));
  return s;
}

// ---- ARRAY with a bpf_spin_lock: BPF_F_LOCK --------------------------------------------------------

function arrayLock(): Json[] {
  const s: Json[] = [];
  for (const [vs, lock] of [[8, 0], [8, 4], [16, 8], [40, 20]] as const) {
    s.push(create({ type: 'array', keySize: 4, valueSize: vs, maxEntries: 2, lockOffset: lock }, `a ${vs}-byte value, its lock at ${lock}`));
    s.push(step('update', { key: 0, value: pattern(vs, 0x11), flags: 'BPF_F_LOCK' }, 'the lock bytes of the input are not copied'));
    s.push(step('lookup', { key: 0, flags: 'BPF_F_LOCK' }, 'the lock word reads as zero'));
    s.push(step('lookup', { key: 0 }));
    s.push(step('update', { key: 1, value: pattern(vs, 0x91) }, 'without BPF_F_LOCK the lock word is skipped too'));
    s.push(step('lookup', { key: 1 }));
  }
  s.push(create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 2, lockOffset: 4 }));
  const v = pattern(16, 0x31);
  for (const flags of ['BPF_F_LOCK', 'BPF_NOEXIST|BPF_F_LOCK', 'BPF_EXIST|BPF_F_LOCK', 7, 12, 0x104]) {
    s.push(step('update', { key: 1, value: v, flags }));
  }
  s.push(step('update', { key: 2, value: v, flags: 'BPF_F_LOCK' }, 'out of range'));
  s.push(step('update', { key: 2, value: v, flags: 'BPF_NOEXIST|BPF_F_LOCK' }, 'out of range: the index before NOEXIST'));
  for (const flags of ['BPF_F_LOCK', 5, 8]) s.push(step('lookup', { key: 1, flags }));
  s.push(step('lookup', { key: 2, flags: 'BPF_F_LOCK' }));
  for (const flags of [0, 'BPF_F_LOCK']) s.push(step('lookupAndDelete', { key: 1, flags }));
  s.push(step('delete', { key: 1 }));
  s.push(step('freeze', {}, 'a map with a bpf_spin_lock cannot be frozen'));
  s.push(step('info', {}));
  s.push(step('update', { key: 1, value: pattern(16, 0x51) }, 'and stays writable'));
  s.push(step('lookup', { key: 1, flags: 'BPF_F_LOCK' }));
  return s;
}

// ---- QUEUE and STACK ---------------------------------------------------------------------------------

function queueStackCreate(type: 'queue' | 'stack'): Json[] {
  const m = (over: Json): Json => ({ type, keySize: 0, valueSize: 4, maxEntries: 4, ...over });
  const s: Json[] = [create(m({}))];
  for (const keySize of [1, 4]) s.push(create(m({ keySize }), 'a queue or stack has no key'));
  for (const valueSize of [0, 1, 3, 4096, 1 << 22, (1 << 22) + 1, 0x80000000]) s.push(create(m({ valueSize, maxEntries: 1 })));
  for (const maxEntries of [0, 1, 1000]) s.push(create(m({ maxEntries })));
  s.push(create(m({ maxEntries: 0xffffffff, valueSize: 4096 }), 'too large to allocate (larger than any memory)'));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  for (const flags of ['BPF_F_RDONLY|BPF_F_WRONLY', 'BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG']) s.push(create(m({ flags })));
  s.push(create(m({ valueSize: 8, lockOffset: 0 }), 'no bpf_spin_lock in a queue or stack'));
  s.push(create(m({ mapExtra: 1 })));
  s.push(create(m({ valueSize: (1 << 22) + 1, name: 'a-b' }), 'order: the size before the name'));
  return s;
}

function queueStackOps(type: 'queue' | 'stack'): Json[] {
  const vs = 3; // queue and stack slots are not rounded up to 8
  const v = (i: number): string => pattern(vs, i * 16);
  const s: Json[] = [create({ type, keySize: 0, valueSize: vs, maxEntries: 3 })];
  s.push(step('lookup', {}, 'peek on an empty map'));
  s.push(step('lookupAndDelete', {}, 'pop on an empty map'));
  for (let i = 1; i <= 3; i++) s.push(step('update', { value: v(i) }, 'push'));
  s.push(step('update', { value: v(4) }, 'full'));
  s.push(step('update', { value: v(4), flags: 'BPF_NOEXIST' }));
  s.push(step('update', { value: v(4), flags: 'BPF_EXIST' }, 'full with BPF_EXIST: the oldest element goes'));
  s.push(step('lookup', {}));
  s.push(step('lookupAndDelete', {}));
  s.push(step('lookupAndDelete', {}));
  for (const flags of ['BPF_F_LOCK', 3, 8]) s.push(step('update', { value: v(5), flags }));
  s.push(step('update', { value: v(5), flags: 'BPF_EXIST' }, 'not full: BPF_EXIST just pushes'));
  for (const flags of ['BPF_F_LOCK', 1]) s.push(step('lookup', { flags }));
  for (const flags of ['BPF_F_LOCK', 1]) s.push(step('lookupAndDelete', { flags }, 'pop takes no flags'));
  s.push(step('lookup', { key: '' }, 'a key pointer for a keyless map'));
  s.push(step('update', { key: '', value: v(6) }));
  s.push(step('lookupAndDelete', { key: '' }));
  s.push(step('delete', {}));
  s.push(step('delete', { key: '' }));
  s.push(step('getNextKey', { key: null }));
  s.push(step('getNextKey', { key: '' }));
  s.push(step('lookupAndDelete', {}));
  s.push(step('lookupAndDelete', {}));
  s.push(step('lookupAndDelete', {}, 'empty again'));
  for (let i = 7; i <= 12; i++) s.push(step('update', { value: v(i), flags: 'BPF_EXIST' }, 'wrap around the ring'));
  for (let i = 0; i < 4; i++) s.push(step('lookupAndDelete', {}));
  s.push(step('update', { value: v(13) }));
  s.push(step('freeze', {}));
  s.push(step('info', {}));
  s.push(step('update', { value: v(14) }));
  s.push(step('lookup', {}));
  s.push(step('lookupAndDelete', {}, 'pop writes: refused on a frozen map'));
  s.push(create({ type, keySize: 0, valueSize: 4, maxEntries: 2, flags: 'BPF_F_RDONLY' }));
  s.push(step('update', { value: pattern(4, 1) }));
  s.push(step('lookup', {}));
  s.push(step('lookupAndDelete', {}));
  s.push(create({ type, keySize: 0, valueSize: 4, maxEntries: 2, flags: 'BPF_F_WRONLY' }));
  s.push(step('update', { value: pattern(4, 1) }));
  s.push(step('lookup', {}));
  s.push(step('lookupAndDelete', {}));
  return s;
}

// ---- HASH and PERCPU_HASH -------------------------------------------------------------------------
// BPF_F_ZERO_SEED everywhere the order matters: the bucket of a key is then the same in every map.

function hashCreate(type: 'hash' | 'percpu_hash'): Json[] {
  const percpu = type === 'percpu_hash';
  const m = (over: Json): Json => ({ type, keySize: 4, valueSize: 8, maxEntries: 4, ...over });
  const s: Json[] = [create(m({}))];
  for (const keySize of [0, 1, 2, 3, 7, 64, 512, 513, 4112]) s.push(create(m({ keySize }), 'no key size limit but key + value'));
  for (const valueSize of [0, 1, 3, 4096]) s.push(create(m({ valueSize })));
  if (percpu) {
    for (const valueSize of [32760, 32768, 32769]) s.push(create(m({ valueSize, maxEntries: 1 }), 'the per-CPU value limit'));
  } else {
    // key_size + value_size must stay below KMALLOC_MAX_SIZE - sizeof(struct htab_elem) = 4194256.
    for (const keySize of [4194247, 4194248, 4194249]) s.push(create(m({ keySize, valueSize: 8, maxEntries: 1 }), 'key + value against 4 MiB - 48'));
    for (const valueSize of [4194251, 4194252]) s.push(create(m({ keySize: 4, valueSize, maxEntries: 1 }), 'key + value against 4 MiB - 48'));
  }
  for (const valueSize of [0x80000000, 0xffffffff]) s.push(create(m({ valueSize, maxEntries: 1 })));
  for (const maxEntries of [0, 1, 3, 1000]) s.push(create(m({ maxEntries })));
  // More than 2^31 entries is refused before any allocation (smaller huge counts would allocate).
  for (const maxEntries of [0x80000001, 0xffffffff]) {
    s.push(create(m({ maxEntries }), 'above 2^31 entries'));
    s.push(create(m({ maxEntries, flags: 'BPF_F_NO_PREALLOC' }), 'above 2^31 entries'));
  }
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  const combos = ['BPF_F_NO_PREALLOC|BPF_F_ZERO_SEED', 'BPF_F_NUMA_NODE|BPF_F_NO_PREALLOC', 'BPF_F_NO_PREALLOC|BPF_F_NO_COMMON_LRU',
    'BPF_F_RDONLY|BPF_F_WRONLY', 'BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG', 'BPF_F_ZERO_SEED|BPF_F_RDONLY_PROG', 'BPF_F_NO_PREALLOC|BPF_F_MMAPABLE'];
  for (const flags of combos) s.push(create(m({ flags })));
  for (const name of ['', 'abcdefghijklmno', 'abcdefghijklmnop', 'a-b']) s.push(create(m({ name })));
  s.push(create(m({ mapExtra: 1 })));
  s.push(create(m({ keySize: 0, valueSize: 0x80000000 }), 'order: EINVAL before E2BIG'));
  s.push(create(m({ valueSize: 0x80000000, name: 'a-b' }), 'order: the size before the name'));
  s.push(create(m({ maxEntries: 0xffffffff, name: 'a-b' }), 'order: the entry count before the name'));
  s.push(create(m({ flags: 'BPF_F_NO_COMMON_LRU', valueSize: 0x80000000 }), 'order: flags before sizes'));
  for (const [keySize, valueSize, lockOffset] of [[4, 4, 0], [4, 8, 4], [3, 16, 8], [12, 40, 20]] as const) {
    s.push(create(m({ keySize, valueSize, lockOffset }), percpu ? 'no bpf_spin_lock in per-CPU values' : 'a bpf_spin_lock in a hash value'));
  }
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_NO_PREALLOC' })));
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_RDONLY_PROG' }), 'EACCES: a lock with a program access flag'));
  s.push(create(m({ valueSize: 8, lockOffset: 0, flags: 'BPF_F_WRONLY_PROG|BPF_F_ZERO_SEED' })));
  s.push(create(m({ valueSize: 8, lockOffset: 0, name: 'a-b' }), 'order: the name before the BTF checks'));
  return s;
}

const ZS = 'BPF_F_ZERO_SEED';

function hashOps(type: 'hash' | 'percpu_hash', prealloc: boolean): Json[] {
  const percpu = type === 'percpu_hash';
  const flags = prealloc ? ZS : `${ZS}|BPF_F_NO_PREALLOC`;
  const vs = 8;
  const val = (seed: number): Json => (percpu ? { values: [pattern(vs, seed), pattern(vs, seed + 0x80)] } : { value: pattern(vs, seed) });
  const s: Json[] = [create({ type, keySize: 4, valueSize: vs, maxEntries: 4, flags })];
  s.push(step('lookup', { key: 1 }, 'empty'));
  s.push(step('getNextKey', { key: null }, 'empty'));
  s.push(step('getNextKey', { key: 1 }, 'empty, with a key'));
  s.push(step('delete', { key: 1 }));
  s.push(step('lookupAndDelete', { key: 1 }));
  s.push(step('update', { key: 1, ...val(0x10), flags: 'BPF_EXIST' }, 'update only: missing'));
  s.push(step('update', { key: 1, ...val(0x10), flags: 'BPF_NOEXIST' }, 'create only'));
  s.push(step('update', { key: 1, ...val(0x18), flags: 'BPF_NOEXIST' }, 'create only: exists'));
  s.push(step('lookup', { key: 1 }));
  s.push(step('update', { key: 1, ...val(0x20), flags: 'BPF_EXIST' }));
  s.push(step('update', { key: 1, ...val(0x28), flags: 'BPF_ANY' }));
  s.push(step('lookup', { key: 1 }));
  for (const f of ['BPF_F_LOCK', 'BPF_EXIST|BPF_F_LOCK', 3, 8, 16, 0x100000000]) s.push(step('update', { key: 1, ...val(0x30), flags: f }));
  s.push(step('update', { key: 9, ...val(0x30), flags: 3 }, 'order: flags before the key lookup'));
  for (const f of ['BPF_F_LOCK', 1, 2]) s.push(step('lookup', { key: 1, flags: f }));
  for (const key of [2, 3, 4]) s.push(step('update', { key, ...val(key * 16), flags: 'BPF_NOEXIST' }, 'fill'));
  s.push(step('walk', {}, 'the kernel\'s order with a zero seed'));
  s.push(step('update', { key: 5, ...val(0x50) }, 'full: a new key'));
  s.push(step('update', { key: 5, ...val(0x50), flags: 'BPF_NOEXIST' }, 'full: a new key, create only'));
  s.push(step('update', { key: 5, ...val(0x50), flags: 'BPF_EXIST' }, 'full: update only of a missing key'));
  s.push(step('update', { key: 2, ...val(0x52) }, 'full: replacing an existing key is allowed'));
  s.push(step('update', { key: 3, ...val(0x53), flags: 'BPF_EXIST' }));
  s.push(step('update', { key: 4, ...val(0x54), flags: 'BPF_NOEXIST' }, 'full: create only of an existing key'));
  s.push(step('walk', {}, percpu ? 'per-CPU replaces are in place: the order stays' : 'a replace moves the key to the head of its bucket'));
  s.push(step('update', { key: 5, ...val(0x55), cpu: 1 }, 'full, from another CPU'));
  s.push(step('delete', { key: 2 }));
  s.push(step('delete', { key: 2 }));
  s.push(step('update', { key: 5, ...val(0x56), cpu: 1 }, 'room again'));
  s.push(step('update', { key: 6, ...val(0x56), cpu: 0 }, 'full again'));
  s.push(step('lookupAndDelete', { key: 5 }));
  s.push(step('lookupAndDelete', { key: 5 }));
  for (const f of ['BPF_F_LOCK', 1, 8]) s.push(step('lookupAndDelete', { key: 1, flags: f }));
  s.push(step('lookup', { key: 1 }));
  s.push(step('update', { key: 6, ...val(0x60), flags: 'BPF_NOEXIST', cpu: 1 }));
  s.push(step('walk', {}));
  for (const key of [1, 3, 4, 6, 7, 0xffffffff]) s.push(step('getNextKey', { key }, 'a missing key restarts at the first key'));
  // Deletions and re-insertions in the middle of a walk.
  s.push(step('getNextKey', { key: null }));
  s.push(step('delete', { key: 3 }));
  s.push(step('getNextKey', { key: 3 }, 'the current key deleted: back to the first key'));
  s.push(step('update', { key: 3, ...val(0x73) }, 're-insert: at the head of its bucket'));
  s.push(step('walk', {}));
  s.push(step('delete', { key: 4 }));
  s.push(step('delete', { key: 6 }));
  s.push(step('walk', {}));
  s.push(step('update', { key: 6, ...val(0x76) }));
  s.push(step('update', { key: 4, ...val(0x74) }));
  s.push(step('walk', {}));
  // NULL key pointers.
  s.push(step('lookup', { key: null }));
  s.push(step('update', { key: null, ...val(0x80) }));
  s.push(step('delete', { key: null }));
  s.push(step('lookupAndDelete', { key: null }));
  s.push(step('info', {}));
  s.push(step('freeze', {}));
  s.push(step('info', {}));
  s.push(step('update', { key: 1, ...val(0x90) }));
  s.push(step('delete', { key: 1 }));
  s.push(step('lookupAndDelete', { key: 1 }, 'needs write permission'));
  s.push(step('lookup', { key: 1 }));
  s.push(step('walk', {}));
  return s;
}

/** Many keys, odd key sizes: the kernel's jhash decides the buckets, so the walk order checks our hash. */
function hashOrder(type: 'hash' | 'percpu_hash'): Json[] {
  const percpu = type === 'percpu_hash';
  const s: Json[] = [];
  for (const [keySize, maxEntries, count] of [[4, 64, 40], [3, 16, 12], [8, 32, 20], [12, 8, 8], [16, 5, 5], [1, 256, 24]] as const) {
    const vs = 4;
    s.push(create({ type, keySize, valueSize: vs, maxEntries, flags: ZS }, `${count} keys of ${keySize} bytes in ${maxEntries} slots`));
    const keys = Array.from({ length: count }, (_, i) => pattern(keySize, 3 + i * 29));
    keys.forEach((key, i) => s.push(step('update', { key, value: pattern(vs, i), flags: 'BPF_NOEXIST' })));
    s.push(step('walk', {}));
    for (let i = 0; i < count; i += 3) s.push(step('delete', { key: keys[i] }));
    s.push(step('walk', {}, 'after deleting every third key'));
    for (let i = count - 1; i >= 0; i -= 3) s.push(step('update', { key: keys[i], value: pattern(vs, 0x40 + i) }));
    s.push(step('walk', {}, 'after re-inserting some and replacing others (a replace moves a key to its bucket head)'));
    s.push(step('lookup', { key: keys[count - 1] }));
    if (percpu) {
      s.push(step('update', { key: keys[1], values: [pattern(8, 0x61), pattern(8, 0xe1)] }, 'whole slots, padding included'));
      s.push(step('lookup', { key: keys[1], padding: true }));
    }
  }
  return s;
}

function hashLock(): Json[] {
  const vs = 16;
  const s: Json[] = [create({ type: 'hash', keySize: 4, valueSize: vs, maxEntries: 3, flags: ZS, lockOffset: 4 })];
  s.push(step('update', { key: 1, value: pattern(vs, 0x10), flags: 'BPF_F_LOCK' }, 'missing key: a normal insert'));
  s.push(step('update', { key: 2, value: pattern(vs, 0x20), flags: 'BPF_EXIST|BPF_F_LOCK' }, 'missing key, update only'));
  s.push(step('update', { key: 2, value: pattern(vs, 0x20), flags: 'BPF_NOEXIST|BPF_F_LOCK' }));
  s.push(step('update', { key: 3, value: pattern(vs, 0x30) }));
  s.push(step('walk', {}));
  s.push(step('update', { key: 1, value: pattern(vs, 0x11), flags: 'BPF_NOEXIST|BPF_F_LOCK' }, 'exists, create only'));
  s.push(step('update', { key: 1, value: pattern(vs, 0x12), flags: 'BPF_F_LOCK' }, 'exists: copied in place under the lock'));
  s.push(step('walk', {}, 'an in-place update does not move the key'));
  s.push(step('update', { key: 1, value: pattern(vs, 0x13), flags: 'BPF_EXIST|BPF_F_LOCK' }));
  s.push(step('lookup', { key: 1, flags: 'BPF_F_LOCK' }, 'the lock word reads as zero'));
  s.push(step('lookup', { key: 1 }));
  s.push(step('update', { key: 2, value: pattern(vs, 0x22) }, 'without the lock: a new element at the bucket head'));
  s.push(step('walk', {}));
  for (const f of [7, 12, 'BPF_F_LOCK|8']) s.push(step('update', { key: 1, value: pattern(vs, 0x14), flags: f }));
  s.push(step('update', { key: 4, value: pattern(vs, 0x40), flags: 'BPF_F_LOCK' }, 'full: a new key under the lock flag'));
  s.push(step('update', { key: 3, value: pattern(vs, 0x33), flags: 'BPF_F_LOCK' }, 'full: in place is fine'));
  for (const f of ['BPF_F_LOCK', 5, 8]) s.push(step('lookup', { key: 3, flags: f }));
  s.push(step('lookup', { key: 4, flags: 'BPF_F_LOCK' }));
  s.push(step('lookupAndDelete', { key: 3, flags: 'BPF_F_LOCK' }));
  s.push(step('lookupAndDelete', { key: 3, flags: 'BPF_F_LOCK' }));
  s.push(step('lookupAndDelete', { key: 2, flags: 5 }));
  s.push(step('lookupAndDelete', { key: 2 }));
  s.push(step('freeze', {}, 'a map with a bpf_spin_lock cannot be frozen'));
  s.push(step('walk', {}));
  s.push(create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2, flags: `${ZS}|BPF_F_NO_PREALLOC`, lockOffset: 0 }, 'without preallocation'));
  s.push(step('update', { key: 1, value: pattern(8, 1), flags: 'BPF_F_LOCK' }));
  s.push(step('update', { key: 1, value: pattern(8, 2), flags: 'BPF_F_LOCK' }));
  s.push(step('update', { key: 2, value: pattern(8, 3), flags: 'BPF_F_LOCK' }));
  s.push(step('update', { key: 3, value: pattern(8, 4), flags: 'BPF_F_LOCK' }));
  s.push(step('lookup', { key: 1, flags: 'BPF_F_LOCK' }));
  s.push(step('walk', {}));
  return s;
}

// ---- RINGBUF from user space ---------------------------------------------------------------------

function ringbuf(): Json[] {
  const m = (over: Json): Json => ({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, ...over });
  const s: Json[] = [create(m({}))];
  for (const maxEntries of [0, 1, 2048, 4095, 4097, 6144, 8192, 12288, 65536, 1 << 20, (1 << 20) + 4096]) {
    s.push(create(m({ maxEntries }), 'a power of two and a multiple of the page size'));
  }
  for (const [keySize, valueSize] of [[4, 0], [0, 4], [4, 8]] as const) s.push(create(m({ keySize, valueSize }), 'no keys and no values'));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  s.push(create(m({ mapExtra: 1 })));
  s.push(create(m({ name: 'a-b', maxEntries: 12288 }), 'order: the size before the name'));
  s.push(create(m({ maxEntries: 8192 })));
  s.push(step('info', {}));
  s.push(step('lookup', {}, 'records are read through the mapped ring, never by element ops'));
  s.push(step('update', { value: '' }));
  s.push(step('delete', {}));
  s.push(step('getNextKey', { key: null }));
  s.push(step('lookupAndDelete', {}));
  s.push(step('lookup', { flags: 1 }, 'order: the flags first'));
  s.push(step('lookup', { flags: 'BPF_F_LOCK' }));
  s.push(step('update', { value: '', flags: 8 }));
  s.push(step('lookup', { key: '' }, 'a key pointer for a keyless map'));
  s.push(step('freeze', {}));
  s.push(step('info', {}));
  s.push(step('update', { value: '' }, 'frozen'));
  s.push(step('lookup', {}));
  return s;
}

// ---- BLOOM_FILTER from user space ------------------------------------------------------------------
// A zero seed makes the bits (and so the false positives) the same in every filter.

function bloomCreate(): Json[] {
  const m = (over: Json): Json => ({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 16, ...over });
  const s: Json[] = [create(m({}))];
  for (const keySize of [1, 4]) s.push(create(m({ keySize }), 'a bloom filter has no key'));
  for (const valueSize of [0, 1, 3, 4096, 1 << 22, (1 << 22) + 1, 0x80000000]) s.push(create(m({ valueSize, maxEntries: 1 })));
  for (const maxEntries of [0, 1, 1000]) s.push(create(m({ maxEntries })));
  for (const mapExtra of [1, 5, 15, 16, 17, 0x100, 2 ** 32]) s.push(create(m({ mapExtra }), 'map_extra: the number of hash functions in its low 4 bits'));
  for (const flags of FLAG_BITS) s.push(create(m({ flags })));
  for (const flags of ['BPF_F_RDONLY|BPF_F_WRONLY', 'BPF_F_RDONLY_PROG|BPF_F_WRONLY_PROG', 'BPF_F_ZERO_SEED|BPF_F_NUMA_NODE']) s.push(create(m({ flags })));
  s.push(create(m({ valueSize: 8, lockOffset: 0 }), 'no bpf_spin_lock in a bloom filter'));
  s.push(create(m({ keySize: 4, valueSize: (1 << 22) + 1 }), 'order: the value size first'));
  s.push(create(m({ mapExtra: 16, name: 'a-b' })));
  s.push(create(m({ mapExtra: 3, flags: 'BPF_F_ZERO_SEED' })));
  s.push(step('info', {}, 'map_extra is kept as given'));
  return s;
}

function bloomOps(): Json[] {
  const s: Json[] = [];
  for (const [valueSize, maxEntries, mapExtra] of [[4, 4, 0], [3, 8, 2], [8, 2, 1], [12, 100, 7]] as const) {
    s.push(create({ type: 'bloom_filter', keySize: 0, valueSize, maxEntries, flags: 'BPF_F_ZERO_SEED', ...(mapExtra ? { mapExtra } : {}) },
      `${valueSize}-byte values, ${mapExtra || 5} hash functions`));
    s.push(step('lookup', { value: pattern(valueSize, 1) }, 'empty: certainly absent'));
    const pushed = Array.from({ length: 6 }, (_, i) => pattern(valueSize, 1 + i * 13));
    for (const v of pushed) s.push(step('update', { value: v }, 'push'));
    for (const v of pushed) s.push(step('lookup', { value: v }, 'no false negatives'));
    // Values never pushed: absent, or a false positive where all their bits happen to be set.
    for (let i = 0; i < 12; i++) s.push(step('lookup', { value: pattern(valueSize, 0x80 + i * 5) }));
    s.push(step('lookup', {}, 'the buffer holds zeros'));
  }
  const v = pattern(4, 0x21);
  s.push(create({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4, flags: 'BPF_F_ZERO_SEED' }));
  for (const flags of ['BPF_NOEXIST', 'BPF_EXIST', 'BPF_F_LOCK', 8]) s.push(step('update', { value: v, flags }, 'push takes no flags'));
  s.push(step('update', { value: v }));
  for (const flags of [1, 'BPF_F_LOCK']) s.push(step('lookup', { value: v, flags }));
  s.push(step('delete', {}, 'nothing can be removed'));
  s.push(step('getNextKey', { key: null }));
  s.push(step('lookupAndDelete', {}));
  s.push(step('lookupAndDelete', { flags: 1 }));
  s.push(step('lookup', { key: '', value: v }, 'a key pointer for a keyless map'));
  s.push(step('update', { key: '', value: v }));
  s.push(step('freeze', {}));
  s.push(step('info', {}));
  s.push(step('update', { value: v }));
  s.push(step('lookup', { value: v }));
  s.push(create({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4, flags: 'BPF_F_WRONLY' }));
  s.push(step('update', { value: v }));
  s.push(step('lookup', { value: v }));
  return s;
}

// ---- write them ------------------------------------------------------------------------------------

write('array-create', 'ARRAY creation: every key size, value size, max_entries, flag bit and name the kernel rejects, the edges it accepts, and which check wins when two fail', arrayCreate('array'));
write('percpu-array-create', 'PERCPU_ARRAY creation: as ARRAY, plus the 32 KiB per-CPU value limit and the flags per-CPU arrays refuse', arrayCreate('percpu_array'));
write('array-ops', 'ARRAY element operations: every update and lookup flag, out-of-range indexes, delete and lookup-and-delete, NULL keys, get_next_key walks, freeze', arrayOps());
write('array-access', 'ARRAY: BPF_F_RDONLY and BPF_F_WRONLY on the creation fd, the program access flags, and which check comes first', arrayAccess('array'));
write('percpu-array-access', 'PERCPU_ARRAY: BPF_F_RDONLY and BPF_F_WRONLY on the creation fd, the program access flags', arrayAccess('percpu_array'));
write('percpu-array-values', 'PERCPU_ARRAY values of 1, 4, 8, 12, 16 and 40 bytes: different values per CPU, padding, the calling CPU', percpuValues('percpu_array'));
write('percpu-array-ops', 'PERCPU_ARRAY element operations: every flag, out-of-range indexes, delete and lookup-and-delete, NULL keys, get_next_key, freeze', percpuArrayOps());
write('array-lock', 'ARRAY with a bpf_spin_lock in the value (BTF built by the native helper): BPF_F_LOCK updates and lookups, the lock word, flags, freeze', arrayLock());
write('queue-create', 'QUEUE creation: key size, value size, max_entries, every flag bit', queueStackCreate('queue'));
write('stack-create', 'STACK creation: key size, value size, max_entries, every flag bit', queueStackCreate('stack'));
write('queue-ops', 'QUEUE from user space: push (update), peek (lookup), pop (lookup-and-delete), full, BPF_EXIST overwrite, wrap-around, flags, key pointers, freeze and access flags', queueStackOps('queue'));
write('stack-ops', 'STACK from user space: push (update), peek (lookup), pop (lookup-and-delete), full, BPF_EXIST overwrite, wrap-around, flags, key pointers, freeze and access flags', queueStackOps('stack'));
write('hash-create', 'HASH creation: key and value sizes against 4 MiB, max_entries above 2^31, every flag bit, names, locks, check order', hashCreate('hash'));
write('percpu-hash-create', 'PERCPU_HASH creation: as HASH, plus the 32 KiB per-CPU value limit and no bpf_spin_lock', hashCreate('percpu_hash'));
write('hash-ops', 'HASH (preallocated, zero seed): every flag, full maps, missing keys, lookup-and-delete, get_next_key walks with deletions and re-insertions, NULL keys, freeze', hashOps('hash', true));
write('hash-ops-noprealloc', 'HASH with BPF_F_NO_PREALLOC: the same steps as hash-ops', hashOps('hash', false));
write('percpu-hash-ops', 'PERCPU_HASH (zero seed): every flag, full maps, missing keys, lookup-and-delete, walks (replaces stay in place), NULL keys, freeze', hashOps('percpu_hash', true));
write('hash-order', 'HASH walk order with a zero seed for key sizes 1, 3, 4, 8, 12, 16: the kernel\'s jhash picks the buckets', hashOrder('hash'));
write('percpu-hash-order', 'PERCPU_HASH walk order with a zero seed for key sizes 1, 3, 4, 8, 12, 16', hashOrder('percpu_hash'));
write('hash-lock', 'HASH with a bpf_spin_lock in the value: BPF_F_LOCK inserts, in-place updates that keep the order, lookups, lookup-and-delete, freeze', hashLock());
write('hash-access', 'HASH: BPF_F_RDONLY and BPF_F_WRONLY on the creation fd, the program access flags', arrayAccess('hash'));
write('percpu-hash-access', 'PERCPU_HASH: BPF_F_RDONLY and BPF_F_WRONLY on the creation fd, the program access flags', arrayAccess('percpu_hash'));
write('percpu-hash-values', 'PERCPU_HASH values of 1, 4, 8, 12, 16 and 40 bytes: different values per CPU, padding, lookup-and-delete of every CPU', percpuValues('percpu_hash'));
write('ringbuf', 'RINGBUF from user space: sizes (a power-of-two number of pages), flags, and element ops that are not supported', ringbuf());
write('bloom-create', 'BLOOM_FILTER creation: key and value sizes, max_entries, map_extra (hash functions), every flag bit', bloomCreate());
write('bloom-ops', 'BLOOM_FILTER from user space with a zero seed: push (update), membership tests (lookup with the value as input) including the exact false positives, flags, unsupported ops, freeze', bloomOps());
for (const [name, description, steps] of lruAndBatchScenarios()) write(name, description, steps);
for (const [name, description, steps] of issue16Scenarios()) write(name, description, steps);
