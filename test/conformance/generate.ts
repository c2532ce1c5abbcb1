// Writes the conformance scenario files of this directory (steps only). The kernel's outcomes come
// from the kernel, never from here: after generating, record them on a live kernel with
//   npx tsx test/conformance/generate.ts && percpu-maps conformance --record
// A file whose steps did not change keeps its recorded outcomes.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScenario } from '../../src/cli/conformance/runner.js';

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
  s.push(step('freeze', {}, 'no more user-space writes'));
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
  s.push(step('update', { key: 1, value: v }, 'after the freeze'));
  s.push(create({ ...base, flags: fl('BPF_F_RDONLY_PROG') }, 'program access flags do not limit user space'));
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
      s.push(step('lookupAndDelete', { key: 0 }, 'every CPU\'s value'));
      s.push(step('lookupAndDelete', { key: 1, padding: true }));
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
