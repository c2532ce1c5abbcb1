// Scenarios of the helpers programs call on maps (ops.h's interpreter and the helper objects).

import { elf, note, open, u32, u64, type Json, type ScenarioDef } from './generate.js';

const OP = { lookup: 1, update: 2, delete: 3, bump: 4, lookupPercpu: 5, cpu: 6, push: 7, pop: 8, peek: 9, updateLookup: 10 } as const;
type OpName = keyof typeof OP;
const ANY = 0, NOEXIST = 1, EXIST = 2, F_LOCK = 4;

interface OpArgs { key?: number | bigint; val?: number | bigint; flags?: number | bigint; cpu?: number }

/** ops.h's ARGS_T(__u32, __u64): 32 bytes. */
function a32x64(op: OpName, o: OpArgs): string[] {
  return [u32(OP[op]), u32(o.cpu ?? 0), u64(o.flags ?? 0), u32(o.key ?? 0), 'zero 4', u64(o.val ?? 0)];
}
/** ARGS_T(__u32, __u32): 32 bytes (28 rounded up). */
function a32x32(op: OpName, o: OpArgs): string[] {
  return [u32(OP[op]), u32(o.cpu ?? 0), u64(o.flags ?? 0), u32(o.key ?? 0), 'zero 4', u32(o.val ?? 0), 'zero 4'];
}
/** raw_tp arguments: op, cpu, flags, key, val, more. */
function rawArgs(op: OpName, o: OpArgs & { more?: number | bigint }): string[] {
  return [u64(OP[op]), u64(o.cpu ?? 0), u64(o.flags ?? 0), u64(o.key ?? 0), u64(o.val ?? 0), u64(o.more ?? 0)];
}

/** A run step: program, CPU, packet (tc/xdp: after a zeroed 14-byte header) or context. */
function pkt(prog: string, cpu: number, fields: string[], text?: string, extra: Json = {}): Json {
  return note({ op: 'run', prog, cpu, data: ['zero 14', ...fields], ...extra }, text);
}
function ctx(prog: string, cpu: number, fields: string[], text?: string, extra: Json = {}): Json {
  return note({ op: 'run', prog, cpu, ctx: fields, ...extra }, text);
}
const user = (op: string, fields: Json, text?: string): Json => note({ op, ...fields }, text);

// ---- ARRAY / PERCPU_ARRAY ------------------------------------------------------------------------

function arrayHelpers(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('arr_ops', cpu, a32x64(op, o), text);
  return {
    name: 'array-helpers',
    description: 'ARRAY map helpers from a tc program: lookup in and out of range, update with every flag (-EEXIST, -E2BIG past the end, -EINVAL for bad flags), delete (always -EINVAL), writes through the looked-up pointer, and user-space steps in between',
    object: elf('maps-array'),
    steps: [
      open('every element exists from the start, zero-filled'),
      r(0, 'lookup', { key: 0 }, 'found: the value is copied to .bss'),
      r(0, 'lookup', { key: 3 }),
      r(0, 'lookup', { key: 4 }, 'index max_entries: NULL'),
      r(0, 'lookup', { key: 0xffffffff }, 'NULL'),
      r(0, 'update', { key: 1, val: 0x1122334455667788n, flags: ANY }),
      r(1, 'lookup', { key: 1 }, 'from the other CPU: an array is shared'),
      r(0, 'update', { key: 2, val: 5, flags: EXIST }, 'every array element exists'),
      r(0, 'update', { key: 2, val: 6, flags: NOEXIST }, '-EEXIST'),
      r(0, 'update', { key: 4, val: 1, flags: ANY }, 'past the end: -E2BIG'),
      r(0, 'update', { key: 0xffffffff, val: 1, flags: EXIST }),
      r(0, 'update', { key: 1, val: 7, flags: NOEXIST | EXIST }, 'both: -EINVAL'),
      r(0, 'update', { key: 1, val: 7, flags: F_LOCK }, 'BPF_F_LOCK on a value without a lock: -EINVAL'),
      r(0, 'update', { key: 1, val: 7, flags: 8 }, 'an unknown flag'),
      r(0, 'update', { key: 1, val: 7, flags: 1n << 32n }, 'a flag in the upper half'),
      r(0, 'delete', { key: 1 }, 'arrays cannot delete: -EINVAL'),
      r(0, 'delete', { key: 9 }),
      r(0, 'bump', { key: 1 }, 'a write through the pointer'),
      r(1, 'bump', { key: 1 }),
      r(0, 'bump', { key: 4 }, 'no pointer past the end'),
      r(1, 'updateLookup', { key: 3, val: 0xfffffffffffffffen, flags: ANY }),
      user('lookup', { map: 'arr', key: 1 }),
      user('update', { map: 'arr', key: 0, value: [u64(42)] }),
      r(1, 'lookup', { key: 0 }, 'the program sees the user-space write'),
      user('delete', { map: 'arr', key: 0 }, 'user space cannot delete either'),
      user('update', { map: 'arr', key: 0, value: [u64(1)], flags: 'BPF_NOEXIST' }),
      user('getNextKey', { map: 'arr', key: 2 }),
      user('getNextKey', { map: 'arr', key: 3 }),
      r(0, 'cpu', {}),
      r(1, 'cpu', {}),
      note({ op: 'run', prog: 'arr_ops', cpu: 0, data: ['zero 14', ...a32x64('bump', { key: 2 })], repeat: 5 }, 'repeat 5: five bumps'),
      note({ op: 'run', prog: 'arr_ops', cpu: 0, data: ['zero 14', 'u32 1', 'zero 9'] }, 'a packet too short for the arguments: the program returns -1'),
    ],
  };
}

function percpuArraySlots(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('parr_ops', cpu, a32x32(op, o), text);
  return {
    name: 'percpu-array-slots',
    description: 'PERCPU_ARRAY (value_size 4) from tc programs on each CPU: lookups and writes reach the running CPU\'s slot only; bpf_map_lookup_percpu_elem reads any CPU\'s slot and NULL past the last possible CPU; user-space values per CPU',
    object: elf('maps-array'),
    steps: [
      open(),
      r(0, 'bump', { key: 0 }, 'CPU 0\'s slot'),
      r(1, 'bump', { key: 0 }, 'CPU 1\'s slot'),
      r(1, 'bump', { key: 0 }),
      r(0, 'bump', { key: 2 }),
      r(0, 'lookup', { key: 0 }, 'this CPU\'s value'),
      r(1, 'lookup', { key: 0 }),
      r(0, 'lookup', { key: 3 }, 'NULL past max_entries'),
      r(0, 'lookupPercpu', { key: 0, cpu: 1 }, 'another CPU\'s slot'),
      r(1, 'lookupPercpu', { key: 0, cpu: 0 }),
      r(0, 'lookupPercpu', { key: 2, cpu: 0 }),
      r(0, 'lookupPercpu', { key: 0, cpu: 2 }, 'no CPU 2: NULL'),
      r(0, 'lookupPercpu', { key: 0, cpu: 0xffffffff }),
      r(0, 'lookupPercpu', { key: 3, cpu: 0 }, 'no key 3: NULL'),
      r(1, 'update', { key: 1, val: 7, flags: ANY }, 'a program\'s update writes its own CPU\'s slot only'),
      r(0, 'update', { key: 1, val: 9, flags: EXIST }),
      r(0, 'update', { key: 1, val: 9, flags: NOEXIST }, '-EEXIST'),
      r(0, 'update', { key: 3, val: 9, flags: ANY }, '-E2BIG'),
      r(0, 'update', { key: 1, val: 9, flags: 3 }, '-EINVAL'),
      r(0, 'delete', { key: 1 }, '-EINVAL'),
      user('update', { map: 'parr', key: 2, values: [[u32(0xaaaa)], [u32(0xbbbb)]] }, 'one value per CPU'),
      r(0, 'lookup', { key: 2 }),
      r(1, 'lookup', { key: 2 }),
      r(1, 'lookupPercpu', { key: 2, cpu: 0 }),
      user('update', { map: 'parr', key: 0, value: [u32(5)] }, 'one value: every CPU'),
      user('lookup', { map: 'parr', key: 0 }),
      note({ op: 'run', prog: 'parr_ops', cpu: 1, data: ['zero 14', ...a32x32('bump', { key: 0 })], repeat: 10 }, 'ten runs on CPU 1'),
      user('lookup', { map: 'parr', key: 0 }),
      r(0, 'cpu', {}),
      r(1, 'cpu', {}),
    ],
  };
}

function percpuArrayWide(): ScenarioDef {
  const args = (op: OpName, key: number, a: number, b: number, c: string, cpu = 0): string[] =>
    [u32(OP[op]), u32(cpu), u64(0), u32(key), 'zero 4', u32(a), `u16 ${b}`, `hex ${c}`];
  const r = (cpu: number, op: OpName, key: number, a = 0, b = 0, c = '00'.repeat(10), text?: string, target = 0): Json =>
    pkt('pwide_ops', cpu, args(op, key, a, b, c, target), text);
  return {
    name: 'percpu-array-wide',
    description: 'PERCPU_ARRAY with a 16-byte struct value: whole structs per CPU from user space and from programs, lookup_percpu_elem copying another CPU\'s struct',
    object: elf('maps-array'),
    steps: [
      open(),
      user('update', { map: 'pwide', key: 0, values: [[u32(1), 'u16 2', 'hex 0304050607080900aabb'], [u32(0x11), 'u16 0x22', 'hex 33343536373839303132']] }),
      r(0, 'lookup', 0, 0, 0, undefined, 'CPU 0\'s struct'),
      r(1, 'lookup', 0, 0, 0, undefined, 'CPU 1\'s struct'),
      r(0, 'update', 1, 0xdead, 0xbeef, 'ffeeddccbbaa99887766', 'CPU 0 writes its slot of key 1'),
      r(1, 'bump', 1, 0, 0, undefined, 'CPU 1 bumps the first u32 of its own (zero) slot'),
      r(0, 'bump', 1),
      r(1, 'lookupPercpu', 1, 0, 0, undefined, 'CPU 0\'s struct read from CPU 1', 0),
      r(0, 'lookupPercpu', 0, 0, 0, undefined, undefined, 1),
      r(0, 'lookupPercpu', 2, 0, 0, undefined, 'key 2 does not exist', 0),
      user('lookup', { map: 'pwide', key: 1 }),
      r(1, 'update', 0, 7, 8, '09090909090909090909', 'replaces CPU 1\'s struct of key 0, CPU 0\'s stays'),
      user('lookup', { map: 'pwide', key: 0 }),
      r(0, 'update', 2, 1, 1, '01010101010101010101', '-E2BIG'),
    ],
  };
}

// ---- HASH / PERCPU_HASH (raw_tp) -----------------------------------------------------------------

function hashHelpers(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => ctx('hash_ops', cpu, rawArgs(op, o), text);
  return {
    name: 'hash-helpers',
    description: 'HASH (preallocated, max_entries 4) from raw_tp programs: insert until full (-E2BIG), -EEXIST and -ENOENT by flag, replacing in a full map, delete and -ENOENT, the space a delete frees, writes through the pointer, bad flags',
    object: elf('maps-hash'),
    steps: [
      open(),
      r(0, 'lookup', { key: 1 }, 'empty: NULL'),
      r(0, 'update', { key: 1, val: 10, flags: ANY }),
      r(0, 'update', { key: 2, val: 20, flags: NOEXIST }),
      r(0, 'update', { key: 3, val: 30, flags: EXIST }, 'missing key with BPF_EXIST: -ENOENT'),
      r(1, 'update', { key: 3, val: 30, flags: ANY }, 'from CPU 1'),
      r(1, 'update', { key: 4, val: 40, flags: NOEXIST }),
      r(0, 'update', { key: 5, val: 50, flags: ANY }, 'full: -E2BIG'),
      r(0, 'update', { key: 5, val: 50, flags: NOEXIST }, 'full: -E2BIG'),
      r(0, 'update', { key: 5, val: 50, flags: EXIST }, 'missing: -ENOENT before full'),
      r(0, 'update', { key: 1, val: 11, flags: NOEXIST }, '-EEXIST'),
      r(0, 'update', { key: 1, val: 12, flags: EXIST }, 'replacing works in a full map'),
      r(1, 'update', { key: 2, val: 21, flags: ANY }),
      r(0, 'lookup', { key: 1 }),
      r(1, 'lookup', { key: 2 }),
      r(0, 'delete', { key: 2 }),
      r(0, 'delete', { key: 2 }, '-ENOENT'),
      r(0, 'lookup', { key: 2 }, 'NULL'),
      r(1, 'update', { key: 5, val: 50, flags: NOEXIST }, 'the freed element is used again'),
      r(0, 'update', { key: 6, val: 60, flags: ANY }, 'full again'),
      r(0, 'bump', { key: 5 }),
      r(1, 'bump', { key: 5 }),
      r(0, 'bump', { key: 6 }, 'no such key'),
      r(0, 'updateLookup', { key: 4, val: 0x8000000000000000n, flags: EXIST }),
      r(0, 'update', { key: 4, val: 1, flags: 3 }, '-EINVAL'),
      r(0, 'update', { key: 4, val: 1, flags: F_LOCK }, 'no lock in the value: -EINVAL'),
      r(0, 'update', { key: 4, val: 1, flags: 16 }),
      user('delete', { map: 'hash', key: 1 }),
      user('delete', { map: 'hash', key: 1 }, '-ENOENT'),
      r(0, 'lookup', { key: 1 }, 'gone for the program too'),
      user('update', { map: 'hash', key: 7, value: [u64(70)], flags: 'BPF_NOEXIST' }),
      r(1, 'lookup', { key: 7 }),
      user('update', { map: 'hash', key: 8, value: [u64(80)] }, 'full: E2BIG from user space as well'),
      user('lookupAndDelete', { map: 'hash', key: 7 }),
      r(0, 'update', { key: 8, val: 80, flags: ANY }),
      r(0, 'cpu', {}),
      r(1, 'cpu', {}),
    ],
  };
}

function hashUpdateFlags(): ScenarioDef {
  const steps: Json[] = [open()];
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => ctx('hash_ops', cpu, rawArgs(op, o), text);
  steps.push(r(0, 'update', { key: 1, val: 1 }));
  for (const flags of [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x100, 1n << 32n, 0xffffffffffffffffn]) {
    steps.push(r(0, 'update', { key: 1, val: 100 + Number(BigInt(flags) & 0xffn), flags }, `on an existing key, flags ${flags}`));
    steps.push(r(0, 'update', { key: 9, val: 200, flags }, `on a missing key, flags ${flags}`));
    steps.push(r(0, 'delete', { key: 9 }));
  }
  return {
    name: 'hash-update-flags',
    description: 'bpf_map_update_elem from a program on a hash, every flags value on an existing and on a missing key (the key inserted is deleted again each time)',
    object: elf('maps-hash'),
    steps,
  };
}

function percpuHashInsert(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => ctx('phash_ops', cpu, rawArgs(op, o), text);
  return {
    name: 'percpu-hash-insert',
    description: 'PERCPU_HASH: a program\'s insert writes its CPU\'s slot and zeroes the other CPUs\' (also when the element is a reused one that held other values); an update of an existing key writes only its own slot; lookup_percpu_elem of each CPU; full at max_entries',
    object: elf('maps-hash'),
    steps: [
      open(),
      user('update', { map: 'phash', key: 1, values: [[u64(0x11)], [u64(0x22)]] }),
      r(1, 'update', { key: 2, val: 5, flags: NOEXIST }, 'inserted from CPU 1: CPU 0\'s slot is zero'),
      r(0, 'update', { key: 1, val: 9, flags: EXIST }, 'existing key from CPU 0: CPU 1 keeps 0x22'),
      r(0, 'lookup', { key: 1 }),
      r(1, 'lookup', { key: 1 }),
      r(0, 'lookupPercpu', { key: 1, cpu: 1 }),
      r(1, 'lookupPercpu', { key: 2, cpu: 0 }),
      r(0, 'lookupPercpu', { key: 2, cpu: 2 }, 'NULL: no CPU 2'),
      r(0, 'lookupPercpu', { key: 3, cpu: 0 }, 'NULL: no key 3'),
      user('update', { map: 'phash', key: 2, values: [[u64(0x77)], [u64(0x88)]] }, 'both slots of key 2 set'),
      r(0, 'delete', { key: 2 }),
      r(0, 'update', { key: 2, val: 6, flags: NOEXIST }, 'a fresh insert after delete: CPU 1\'s slot is zero, not the old 0x88'),
      r(0, 'bump', { key: 2 }),
      r(1, 'bump', { key: 2 }),
      r(1, 'bump', { key: 2 }),
      r(1, 'update', { key: 3, val: 3, flags: ANY }),
      r(0, 'update', { key: 4, val: 4, flags: ANY }),
      r(0, 'update', { key: 5, val: 5, flags: ANY }, 'full: -E2BIG'),
      r(1, 'updateLookup', { key: 4, val: 44, flags: ANY }, 'CPU 1 writes its slot of key 4 and reads it back'),
      user('lookup', { map: 'phash', key: 4 }),
      user('lookupAndDelete', { map: 'phash', key: 3 }),
      r(1, 'update', { key: 5, val: 55, flags: ANY }),
      r(0, 'lookup', { key: 5 }),
      r(1, 'delete', { key: 5 }),
      r(1, 'delete', { key: 5 }, '-ENOENT'),
    ],
  };
}

function percpuHashWide(): ScenarioDef {
  const r = (cpu: number, op: OpName, key: bigint, v = 0n, z = 0, text?: string, target = 0): Json =>
    ctx('phash8_ops', cpu, rawArgs(op, { key, val: v, more: z, cpu: target }), text);
  return {
    name: 'percpu-hash-wide',
    description: 'PERCPU_HASH with a u64 key and a 12-byte value (16-byte per-CPU slots): inserts from each CPU, per-CPU reads, max_entries 3',
    object: elf('maps-hash'),
    steps: [
      open(),
      r(0, 'update', 0x0102030405060708n, 0x1111111122222222n, 0x33333333, 'CPU 0 inserts'),
      r(1, 'update', 0x0102030405060708n, 0x4444444455555555n, 0x66666666, 'CPU 1 replaces its slot only'),
      r(1, 'update', 0xffffffffffffffffn, 1n, 2, 'the all-ones key'),
      r(0, 'update', 0n, 3n, 4),
      r(0, 'update', 5n, 5n, 5, 'full: -E2BIG'),
      r(0, 'lookup', 0x0102030405060708n),
      r(1, 'lookup', 0x0102030405060708n),
      r(0, 'lookupPercpu', 0xffffffffffffffffn, 0n, 0, 'CPU 1 inserted it: CPU 0\'s slot is zero', 1),
      r(0, 'lookupPercpu', 0xffffffffffffffffn, 0n, 0, undefined, 0),
      r(1, 'bump', 0n),
      user('lookup', { map: 'phash8', key: [u64(0)] }),
      user('update', { map: 'phash8', key: [u64(0)], values: [[u32(9), u32(9), u32(9)], [u32(8), u32(8), u32(8)]], flags: 'BPF_EXIST' }),
      r(1, 'lookup', 0n),
      r(0, 'delete', 0n),
      r(1, 'update', 6n, 6n, 6, 'room again'),
    ],
  };
}

// ---- LRU (xdp) -----------------------------------------------------------------------------------

function lruEviction(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('lru_ops', cpu, a32x64(op, o), text);
  const steps: Json[] = [open()];
  for (let k = 1; k <= 8; k++) steps.push(r(0, 'update', { key: k, val: k * 10 }, k === 1 ? 'fill the 8 elements from CPU 0' : undefined));
  for (let k = 9; k <= 12; k++) steps.push(r(0, 'update', { key: k, val: k * 10 }, k === 9 ? 'past max_entries: an element is evicted, no -E2BIG' : undefined));
  for (let k = 13; k <= 16; k++) steps.push(r(1, 'update', { key: k, val: k * 10 }, k === 13 ? 'inserts from CPU 1' : undefined));
  steps.push(r(0, 'update', { key: 16, val: 1, flags: NOEXIST }, '-EEXIST'));
  steps.push(r(0, 'update', { key: 99, val: 1, flags: EXIST }, '-ENOENT'));
  steps.push(r(0, 'delete', { key: 16 }));
  steps.push(r(0, 'delete', { key: 16 }, '-ENOENT'));
  for (let k = 20; k <= 24; k++) steps.push(r(k % 2, 'updateLookup', { key: k, val: k }, k === 20 ? 'alternate CPUs, and read back at once' : undefined));
  steps.push(r(0, 'update', { key: 30, val: 1, flags: 3 }, '-EINVAL'));
  steps.push(user('update', { map: 'lru', key: 40, value: [u64(40)] }, 'a user-space insert evicts as well'));
  steps.push(user('delete', { map: 'lru', key: 40 }));
  return {
    name: 'lru-hash-eviction',
    description: 'LRU_HASH (max_entries 8, common LRU) filled from XDP programs on each CPU: inserts past max_entries evict the coldest elements instead of failing; the kernel\'s choice of victim, from both CPUs\' local free lists, decides the contents',
    object: elf('maps-lru'),
    steps,
  };
}

function lruRefbit(prog: 'program' | 'user'): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('lru_ops', cpu, a32x64(op, o), text);
  const steps: Json[] = [open()];
  for (let k = 1; k <= 8; k++) steps.push(r(0, 'update', { key: k, val: k }, k === 1 ? 'fill from CPU 0' : undefined));
  const touched = [1, 2, 3, 4];
  for (const k of touched) {
    steps.push(prog === 'program'
      ? r(0, 'lookup', { key: k }, k === 1 ? 'program lookups set the reference bit of keys 1-4' : undefined)
      : user('lookup', { map: 'lru', key: k }, k === 1 ? 'user-space lookups do not set the reference bit' : undefined));
  }
  for (let k = 9; k <= 14; k++) steps.push(r(0, 'update', { key: k, val: k }, k === 9 ? 'six new keys: which old ones survive?' : undefined));
  for (const k of [13, 14]) {
    steps.push(prog === 'program' ? r(0, 'bump', { key: k }, k === 13 ? 'the newest two, looked up (bump looks up too)' : undefined) : user('lookup', { map: 'lru', key: k }, k === 13 ? 'the newest two, looked up' : undefined));
  }
  for (let k = 15; k <= 20; k++) steps.push(r(0, 'update', { key: k, val: k }));
  for (const k of [1, 2, 3, 4, 13, 14]) steps.push(r(0, 'lookup', { key: k }, k === 1 ? 'who is left of 1-4, 13 and 14 (0: found, 1: evicted)' : undefined));
  return {
    name: prog === 'program' ? 'lru-hash-refbit-program' : 'lru-hash-refbit-user',
    description: prog === 'program'
      ? 'LRU_HASH: a program\'s lookups set the reference bit, so the looked-up keys survive the evictions that follow (compare lru-hash-refbit-user)'
      : 'LRU_HASH: the same inserts as lru-hash-refbit-program, but the lookups come from user space, which does not set the reference bit: other keys survive',
    object: elf('maps-lru'),
    steps,
  };
}

function lruPercpu(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('plru_ops', cpu, a32x32(op, o), text);
  const steps: Json[] = [open()];
  for (let k = 1; k <= 10; k++) steps.push(r(k % 2, 'update', { key: k, val: k }, k === 1 ? 'inserts alternate CPUs: the inserting CPU\'s slot holds the value, the other is zero' : undefined));
  steps.push(r(0, 'bump', { key: 10 }));
  steps.push(r(1, 'bump', { key: 9 }));
  steps.push(r(0, 'lookupPercpu', { key: 9, cpu: 1 }));
  steps.push(r(1, 'lookupPercpu', { key: 10, cpu: 0 }));
  steps.push(r(0, 'lookupPercpu', { key: 10, cpu: 5 }, 'no CPU 5'));
  steps.push(user('update', { map: 'plru', key: 50, values: [[u32(5)], [u32(6)]] }));
  for (let k = 11; k <= 14; k++) steps.push(r(1, 'update', { key: k, val: k }));
  steps.push(r(0, 'update', { key: 14, val: 1, flags: NOEXIST }, '-EEXIST'));
  steps.push(r(1, 'delete', { key: 14 }));
  steps.push(r(0, 'lookup', { key: 50 }));
  return {
    name: 'lru-percpu-hash',
    description: 'LRU_PERCPU_HASH (max_entries 8) from XDP programs: inserts zero the other CPUs\' slots, evictions past max_entries, per-CPU reads and lookup_percpu_elem',
    object: elf('maps-lru'),
    steps,
  };
}

function lruNoCommon(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('lru_nc_ops', cpu, a32x64(op, o), text);
  const steps: Json[] = [open()];
  for (let k = 1; k <= 6; k++) steps.push(r(0, 'update', { key: k, val: k }, k === 1 ? 'BPF_F_NO_COMMON_LRU: each CPU owns a share of the elements; CPU 0 inserts six' : undefined));
  for (let k = 11; k <= 13; k++) steps.push(r(1, 'update', { key: k, val: k }, k === 11 ? 'CPU 1\'s inserts use its own list' : undefined));
  steps.push(r(0, 'lookup', { key: 5 }));
  for (let k = 7; k <= 9; k++) steps.push(r(0, 'update', { key: k, val: k }));
  for (let k = 14; k <= 17; k++) steps.push(r(1, 'update', { key: k, val: k }));
  steps.push(r(1, 'delete', { key: 5 }, 'a CPU may delete an element of the other CPU\'s list'));
  steps.push(r(1, 'update', { key: 18, val: 18 }));
  steps.push(r(0, 'update', { key: 19, val: 19 }));
  return {
    name: 'lru-hash-no-common',
    description: 'LRU_HASH with BPF_F_NO_COMMON_LRU (per-CPU LRU lists, max_entries 8) driven from XDP programs on both CPUs: each CPU evicts from its own list',
    object: elf('maps-lru'),
    steps,
  };
}

// ---- no-prealloc hashes (syscall) ------------------------------------------------------------------

function hashNoPrealloc(percpu: boolean): ScenarioDef {
  const prog = percpu ? 'phash_np_ops' : 'hash_np_ops';
  const map = percpu ? 'phash_np' : 'hash_np';
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => ctx(prog, cpu, a32x64(op, o), text);
  const steps: Json[] = [
    open(),
    r(0, 'update', { key: 1, val: 1 }),
    r(1, 'update', { key: 2, val: 2 }),
    r(0, 'update', { key: 3, val: 3, flags: NOEXIST }),
    r(1, 'update', { key: 4, val: 4 }, 'the count reached max_entries 3: -E2BIG'),
    r(0, 'update', { key: 3, val: 33, flags: EXIST }, 'replacing a key in a full map'),
    r(0, 'update', { key: 3, val: 34, flags: ANY }),
    r(0, 'update', { key: 2, val: 22, flags: NOEXIST }, '-EEXIST'),
    r(0, 'update', { key: 4, val: 4, flags: EXIST }, '-ENOENT'),
    r(1, 'delete', { key: 1 }),
    r(1, 'update', { key: 4, val: 4, flags: NOEXIST }, 'room for one more'),
    r(0, 'lookup', { key: 4 }),
    r(1, 'lookup', { key: 4 }),
    r(0, 'bump', { key: 2 }),
    r(1, 'bump', { key: 2 }),
    r(0, 'delete', { key: 9 }, '-ENOENT'),
    user('update', { map, key: 9, value: [u64(9)] }, 'user space sees the same limit'),
    user('delete', { map, key: 2 }),
    user('update', { map, key: 9, value: [u64(9)] }),
    r(1, 'lookup', { key: 9 }),
    r(0, 'update', { key: 9, val: 1, flags: 3 }, '-EINVAL'),
  ];
  if (percpu) {
    steps.push(r(1, 'lookupPercpu', { key: 9, cpu: 0 }));
    steps.push(r(0, 'lookupPercpu', { key: 4, cpu: 1 }));
    steps.push(r(0, 'update', { key: 4, val: 0x4040, flags: EXIST }, 'CPU 0 writes its slot; CPU 1 keeps the inserted value'));
  }
  return {
    name: percpu ? 'percpu-hash-no-prealloc' : 'hash-no-prealloc',
    description: `${percpu ? 'PERCPU_HASH' : 'HASH'} with BPF_F_NO_PREALLOC (max_entries 3) from syscall programs: elements allocated on insert, -E2BIG by count, inserts after deletes, user-space steps between`,
    object: elf('maps-noprealloc'),
    steps,
  };
}

// ---- QUEUE / STACK / BLOOM (tc) --------------------------------------------------------------------

function queueHelpers(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('queue_ops', cpu, a32x32(op, o), text);
  return {
    name: 'queue-helpers',
    description: 'QUEUE (max_entries 4) from tc programs: push until full (-E2BIG), push with BPF_EXIST over the oldest, pop and peek in FIFO order, -ENOENT when empty, -EINVAL for other flags; user-space push and pop in between',
    object: elf('maps-keyless'),
    steps: [
      open('the dump of a queue lists what pop would return, in order'),
      r(0, 'pop', {}, 'empty: -ENOENT'),
      r(0, 'peek', {}, 'empty: -ENOENT'),
      r(0, 'push', { val: 1 }),
      r(1, 'push', { val: 2 }),
      r(0, 'push', { val: 3 }),
      r(1, 'push', { val: 4 }),
      r(0, 'push', { val: 5 }, 'full: -E2BIG'),
      r(0, 'push', { val: 5, flags: EXIST }, 'full with BPF_EXIST: the oldest (1) is dropped'),
      r(0, 'push', { val: 6, flags: NOEXIST }, '-EINVAL'),
      r(0, 'push', { val: 6, flags: 4 }, '-EINVAL'),
      r(1, 'peek', {}),
      r(1, 'pop', {}),
      r(0, 'pop', {}),
      user('push', { map: 'queue', value: [u32(0x100)] }),
      user('peek', { map: 'queue' }),
      user('pop', { map: 'queue' }),
      r(0, 'pop', {}),
      r(0, 'pop', {}),
      r(0, 'pop', {}, 'empty again'),
      r(0, 'push', { val: 7, flags: EXIST }, 'BPF_EXIST on a queue with room: a plain push'),
      user('pop', { map: 'queue' }),
      user('pop', { map: 'queue' }, 'ENOENT'),
      r(0, 'cpu', {}),
    ],
  };
}

function stackHelpers(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('stack_ops', cpu, a32x64(op, o), text);
  return {
    name: 'stack-helpers',
    description: 'STACK (max_entries 3, u64 values) from tc programs: LIFO pop and peek, -E2BIG when full, BPF_EXIST replacing the oldest (bottom) element, -ENOENT when empty, flags refused',
    object: elf('maps-keyless'),
    steps: [
      open('the dump of a stack lists what pop would return, in order'),
      r(0, 'peek', {}, '-ENOENT'),
      r(0, 'push', { val: 0x1111111111111111n }),
      r(0, 'push', { val: 0x2222222222222222n }),
      r(1, 'push', { val: 0x3333333333333333n }),
      r(1, 'push', { val: 4, flags: ANY }, 'full: -E2BIG'),
      r(1, 'push', { val: 4, flags: EXIST }, 'full with BPF_EXIST: the oldest (bottom) goes'),
      r(0, 'peek', {}),
      r(0, 'pop', {}),
      r(0, 'pop', {}),
      user('push', { map: 'stack', value: [u64(0x55)] }),
      r(1, 'peek', {}),
      r(1, 'pop', {}),
      r(1, 'pop', {}),
      r(1, 'pop', {}, 'empty: -ENOENT'),
      r(0, 'push', { val: 1, flags: NOEXIST }, '-EINVAL'),
      r(0, 'push', { val: 1, flags: 3 }, '-EINVAL'),
      user('pop', { map: 'stack' }, 'ENOENT'),
      r(0, 'push', { val: 9 }),
      user('peek', { map: 'stack' }),
      user('pop', { map: 'stack' }),
    ],
  };
}

function bloomHelpers(): ScenarioDef {
  const r = (cpu: number, op: OpName, o: OpArgs, text?: string): Json => pkt('bloom_ops', cpu, a32x32(op, o), text);
  const steps: Json[] = [open('a bloom filter cannot be listed: only its answers are compared')];
  for (const v of [0, 1, 42, 0xffffffff]) steps.push(r(0, 'peek', { val: v }, v === 0 ? 'empty: -ENOENT for every value' : undefined));
  for (const v of [1, 42, 1000, 0xdeadbeef]) steps.push(r(v % 2, 'push', { val: v }));
  for (const v of [1, 42, 1000, 0xdeadbeef]) steps.push(r(1 - (v % 2), 'peek', { val: v }, v === 1 ? 'added: 0' : undefined));
  for (const v of [2, 43, 999, 7, 0x12345678, 0]) steps.push(r(0, 'peek', { val: v }, v === 2 ? 'never added: -ENOENT, or 0 for a false positive (the same for the same hashes)' : undefined));
  steps.push(r(0, 'push', { val: 5, flags: EXIST }, 'flags must be 0 or BPF_ANY: -EINVAL'));
  steps.push(r(0, 'push', { val: 5, flags: NOEXIST }));
  steps.push(user('lookup', { map: 'bloom', key: null, value: [u32(42)] }, 'user space tests membership with lookup'));
  steps.push(user('push', { map: 'bloom', value: [u32(77)] }, 'and adds with a NULL-key update'));
  steps.push(r(1, 'peek', { val: 77 }));
  steps.push(user('pop', { map: 'bloom' }, 'a bloom filter has no pop'));
  steps.push(user('delete', { map: 'bloom', key: null }));
  return {
    name: 'bloom-filter-helpers',
    description: 'BLOOM_FILTER (BPF_F_ZERO_SEED, 3 hashes) from tc programs: push adds, peek answers 0 or -ENOENT, flags refused; user-space lookup and push beside it',
    object: elf('maps-keyless'),
    steps,
  };
}

// ---- ring buffer (syscall, tc) -----------------------------------------------------------------------

const RB = { output: 1, submit: 2, discard: 3, query: 4, two: 5, reserveFlags: 6 } as const;
function rbArgs(op: keyof typeof RB, size: number, flags: number | bigint, data: (number | bigint)[] = []): string[] {
  const d = [...data, 0, 0, 0, 0].slice(0, 4);
  return [u32(RB[op]), u32(size), u64(flags), ...d.map((x) => u64(x))];
}
function rb(op: keyof typeof RB, size: number, flags: number | bigint = 0, data: (number | bigint)[] = [], text?: string, cpu = 0): Json {
  return ctx('rb_ops', cpu, rbArgs(op, size, flags, data), text);
}
const consume = (text?: string): Json => note({ op: 'consume', map: 'rb' }, text);
const AVAIL = 0, RING_SIZE = 1, CONS_POS = 2, PROD_POS = 3;

function ringbufOutput(): ScenarioDef {
  return {
    name: 'ringbuf-output',
    description: 'bpf_ringbuf_output from a syscall program: records of 0 to 31 bytes (each takes an 8-byte header and is padded to 8), the wake-up flags, -EINVAL for others; the consumer sees each record\'s bytes in order',
    object: elf('ringbuf'),
    steps: [
      open('the dump of a ring buffer lists the records not yet consumed'),
      rb('output', 8, 0, [0x0102030405060708n]),
      rb('output', 1, 0, [0xaa]),
      rb('output', 0, 0, [], 'an empty record'),
      rb('output', 13, 0, [0x1111111111111111n, 0x2222222222222222n]),
      rb('query', 0, AVAIL, [], 'bytes waiting: headers and padding included'),
      consume(),
      rb('query', 0, AVAIL),
      rb('output', 31, 1, [1, 2, 3, 4], 'BPF_RB_NO_WAKEUP'),
      rb('output', 16, 2, [5, 6], 'BPF_RB_FORCE_WAKEUP'),
      rb('output', 16, 3, [7, 8], 'both wake-up flags'),
      rb('output', 16, 4, [9], '-EINVAL'),
      rb('output', 16, 0x100, [9], '-EINVAL'),
      rb('output', 24, 0, [0xa, 0xb, 0xc], undefined, 1),
      consume(),
      consume('nothing new'),
      rb('query', 0, CONS_POS),
      rb('query', 0, PROD_POS),
      rb('output', 7, 0, [0x77]),
      rb('query', 0, AVAIL),
      consume(),
    ],
  };
}

function ringbufReserve(): ScenarioDef {
  return {
    name: 'ringbuf-reserve-submit',
    description: 'bpf_ringbuf_reserve + bpf_ringbuf_submit of 8 to 4096 bytes: each record takes its size plus an 8-byte header, rounded to 8; a reservation fails (NULL) once the producer would run more than size - 1 bytes ahead of the consumer, so a 4096-byte ring holds at most a 4080-byte record; reserve flags refused; two reservations submitted out of order',
    object: elf('ringbuf'),
    steps: [
      open(),
      rb('submit', 8, 0, [0x10], 'the record holds seed, seed+1, ...'),
      rb('submit', 16, 0, [0x20]),
      rb('submit', 96, 0, [0x30]),
      rb('query', 0, AVAIL, [], '16 + 24 + 104 bytes'),
      consume(),
      rb('submit', 1000, 0, [0x1000]),
      rb('submit', 2048, 0, [0x2000]),
      rb('submit', 1000, 0, [0x3000], '1008 + 2056 + 1008 = 4072 bytes: fits'),
      rb('submit', 96, 0, [0x40], '104 more would be 4176: NULL'),
      rb('submit', 8, 0, [0x41], '16 more: 4088, fits'),
      rb('submit', 8, 0, [0x42], '16 more: 4104, NULL'),
      consume(),
      rb('submit', 4088, 0, [0x5000], '4096 bytes with its header: never fits (the producer may not get 4096 bytes ahead)'),
      rb('submit', 4080, 0, [0x5000], 'the largest record that fits'),
      rb('submit', 8, 0, [0x60], 'full: NULL'),
      consume(),
      rb('submit', 4096, 0, [0x7000], 'larger than the ring: NULL'),
      rb('reserveFlags', 0, 1, [0x80], 'reserve takes no flags: NULL'),
      rb('reserveFlags', 0, 0, [0x81]),
      rb('two', 0, 0, [0x90], 'two records, the second submitted first: read in reservation order'),
      consume(),
      rb('two', 0, 1, [0xa0], 'the first discarded, the second submitted'),
      consume(),
      rb('query', 0, CONS_POS),
      rb('query', 0, PROD_POS),
      rb('query', 0, RING_SIZE),
    ],
  };
}

function ringbufDiscard(): ScenarioDef {
  return {
    name: 'ringbuf-discard',
    description: 'bpf_ringbuf_discard: a discarded record keeps its space until the consumer passes it, is counted in the available bytes, and is never shown to the consumer',
    object: elf('ringbuf'),
    steps: [
      open(),
      rb('discard', 8, 0, [1]),
      rb('query', 0, AVAIL, [], 'the discarded record still takes 16 bytes'),
      rb('submit', 8, 0, [2]),
      rb('discard', 96, 0, [3]),
      rb('submit', 16, 0, [4]),
      rb('query', 0, AVAIL),
      consume('only the submitted records'),
      rb('query', 0, AVAIL),
      rb('query', 0, CONS_POS),
      rb('discard', 1000, 0, [5]),
      rb('discard', 1000, 0, [6]),
      rb('discard', 1000, 0, [7]),
      rb('discard', 96, 0, [7], '160 + 3 x 1008 + 104 bytes between the consumer and the producer'),
      rb('submit', 1000, 0, [8], '1008 more would pass 4095: discarded space is not free until consumed (NULL)'),
      consume('nothing to show, but the consumer moves past the discarded records'),
      rb('submit', 1000, 0, [9], 'now it fits'),
      rb('discard', 8, 2, [10], 'discard with BPF_RB_FORCE_WAKEUP'),
      consume(),
      rb('query', 0, CONS_POS),
    ],
  };
}

function ringbufQuery(): ScenarioDef {
  const steps: Json[] = [open()];
  for (const f of [AVAIL, RING_SIZE, CONS_POS, PROD_POS, 4, 0xffff]) steps.push(rb('query', 0, f, [], f === 4 ? 'an unknown flag: 0' : undefined));
  steps.push(rb('output', 20, 0, [1, 2, 3]));
  for (const f of [AVAIL, CONS_POS, PROD_POS]) steps.push(rb('query', 0, f));
  steps.push(consume());
  for (const f of [AVAIL, CONS_POS, PROD_POS]) steps.push(rb('query', 0, f, [], undefined, 1));
  steps.push(rb('output', 31, 0, [1, 2, 3, 4], undefined, 1));
  steps.push(rb('output', 31, 0, [5, 6, 7, 8], undefined, 1));
  steps.push(rb('query', 0, AVAIL));
  steps.push(rb('query', 0, PROD_POS));
  return {
    name: 'ringbuf-query',
    description: 'bpf_ringbuf_query: available bytes, ring size, consumer and producer positions (the u64 truncated to the u32 return value), before and after records and consumption, and 0 for unknown flags',
    object: elf('ringbuf'),
    steps,
  };
}

function ringbufFull(): ScenarioDef {
  const steps: Json[] = [open()];
  for (let i = 0; i < 10; i++) steps.push(rb('submit', 96, 0, [i * 0x100], i === 0 ? 'ten 104-byte records' : undefined));
  steps.push(rb('submit', 2048, 0, [0xa000], '1040 + 2056 = 3096 bytes'));
  steps.push(rb('submit', 1000, 0, [0xb000], '1008 more would pass 4095: NULL'));
  steps.push(rb('output', 31, 0, [0xc000], '40 bytes: 3136'));
  for (let i = 0; i < 9; i++) steps.push(rb('submit', 96, 0, [0xd000 + i], i === 0 ? 'nine more 104-byte records: 4072' : undefined));
  steps.push(rb('submit', 96, 0, [0xe000], 'full: NULL'));
  steps.push(rb('output', 16, 0, [0xe100], '24 bytes would make 4096: -EAGAIN'));
  steps.push(rb('output', 8, 0, [0xe200], '16 bytes: 4088, fits'));
  steps.push(rb('output', 0, 0, [], 'an empty record still takes 8: -EAGAIN'));
  steps.push(rb('query', 0, AVAIL));
  steps.push(consume());
  steps.push(rb('output', 31, 0, [0xf000], 'room again'));
  steps.push(rb('submit', 2048, 0, [0xf100], 'this record wraps around the end of the data area'));
  steps.push(rb('query', 0, PROD_POS));
  steps.push(consume('the wrapped record reads whole'));
  steps.push(rb('submit', 4080, 0, [0xf200], 'the largest record, starting mid-ring'));
  steps.push(consume());
  return {
    name: 'ringbuf-full',
    description: 'A ring buffer filled by programs to the last byte: reserve answers NULL and output -EAGAIN once the producer would be 4096 bytes ahead of the consumer, consumption frees space, records wrap around the end of the ring and read back whole',
    object: elf('ringbuf'),
    steps,
  };
}

function ringbufTc(): ScenarioDef {
  const packet = (b: number): string[] => [`hex ${Array.from({ length: 14 }, (_, i) => ((b + i) & 0xff).toString(16).padStart(2, '0')).join('')}`, u64(0x1122334455667788n + BigInt(b))];
  return {
    name: 'ringbuf-tc',
    description: 'bpf_ringbuf_output from a tc program with the packet\'s first 16 bytes (copied to the stack: the verifier refuses packet memory as the helper\'s source), from each CPU',
    object: elf('ringbuf'),
    steps: [
      open(),
      { op: 'run', prog: 'rb_packet', cpu: 0, data: packet(0) },
      { op: 'run', prog: 'rb_packet', cpu: 1, data: packet(0x40) },
      { op: 'run', prog: 'rb_packet', cpu: 0, data: packet(0x80), repeat: 3, note: 'three runs, three records' },
      consume(),
      { op: 'run', prog: 'rb_packet', cpu: 1, data: packet(0xc0) },
      consume(),
      note({ op: 'verify', prog: 'rb_packet_direct' }, 'the packet itself as the source: refused'),
      note({ op: 'verify', prog: 'rb_packet' }, 'accepted'),
    ],
  };
}

// ---- bpf_spin_lock (tc) --------------------------------------------------------------------------

function lockArgs(key: number, add: number | bigint, flags = 0): string[] {
  return ['zero 14', u32(key), u32(flags), u64(add)];
}
function lockRun(prog: string, cpu: number, key: number, add: number | bigint, flags = 0, text?: string, extra: Json = {}): Json {
  return note({ op: 'run', prog, cpu, data: lockArgs(key, add, flags), ...extra }, text);
}
/** struct locked { u32 cnt; bpf_spin_lock lock; u64 sum } as user space writes it */
const locked = (cnt: number, lock: number, sum: number | bigint): string[] => [u32(cnt), u32(lock), u64(sum)];

function spinlockArray(): ScenarioDef {
  return {
    name: 'spinlock-array',
    description: 'bpf_spin_lock sections in tc programs over an ARRAY value holding a lock (cnt += 1, sum += add, from each CPU), with user space reading and writing the value with and without BPF_F_LOCK: the lock word always reads as zero and is never written',
    object: elf('spinlock'),
    steps: [
      open(),
      lockRun('larr_add', 0, 0, 5),
      lockRun('larr_add', 1, 0, 7),
      lockRun('larr_add', 0, 1, 100, 0, undefined, { repeat: 4 }),
      lockRun('larr_add', 1, 2, 1, 0, 'no element 2: the program returns 1000'),
      user('lookup', { map: 'larr', key: 0, flags: 'BPF_F_LOCK' }),
      user('lookup', { map: 'larr', key: 0 }),
      user('update', { map: 'larr', key: 0, value: locked(50, 0xffffffff, 500), flags: 'BPF_F_LOCK' }, 'the lock word of the given value is ignored'),
      lockRun('larr_add', 0, 0, 1),
      user('update', { map: 'larr', key: 1, value: locked(9, 0x12345678, 9) }, 'without BPF_F_LOCK the lock word is not copied either'),
      user('lookup', { map: 'larr', key: 1 }),
      lockRun('larr_add', 1, 1, 1),
      user('update', { map: 'larr', key: 1, value: locked(0, 0, 0), flags: 'BPF_F_LOCK|BPF_NOEXIST' }, 'array: -EEXIST'),
      user('update', { map: 'larr', key: 1, value: locked(0, 0, 0), flags: 'BPF_F_LOCK|BPF_EXIST' }),
      user('update', { map: 'larr', key: 2, value: locked(0, 0, 0), flags: 'BPF_F_LOCK' }, '-E2BIG'),
      user('lookup', { map: 'larr', key: 1, flags: 'BPF_F_LOCK' }),
      user('lookup', { map: 'larr', key: 1, flags: 8 }, 'an unknown lookup flag'),
    ],
  };
}

function spinlockHash(): ScenarioDef {
  return {
    name: 'spinlock-hash',
    description: 'bpf_spin_lock over HASH values: a tc program inserts missing keys (a fresh value\'s lock word is zero) then updates under the lock; a program\'s map_update_elem with BPF_F_LOCK; user-space BPF_F_LOCK updates of existing and missing keys',
    object: elf('spinlock'),
    steps: [
      open(),
      lockRun('lhash_add', 0, 1, 10, 0, 'inserted, then cnt 1'),
      lockRun('lhash_add', 1, 1, 20),
      lockRun('lhash_add', 1, 2, 30),
      lockRun('lhash_add', 0, 3, 40),
      lockRun('lhash_add', 0, 4, 50),
      lockRun('lhash_add', 0, 5, 60, 0, 'full: the insert returns -E2BIG'),
      lockRun('lhash_set_locked', 1, 1, 0x99, 4, 'a program\'s update with BPF_F_LOCK: cnt 100, sum 0x99'),
      lockRun('lhash_set_locked', 1, 6, 0x99, 4, 'BPF_F_LOCK on a missing key inserts (the map is full: -E2BIG)'),
      lockRun('lhash_set_locked', 0, 2, 0x77, 4 | 2, 'BPF_F_LOCK|BPF_EXIST'),
      lockRun('lhash_set_locked', 0, 2, 0x77, 4 | 1, 'BPF_F_LOCK|BPF_NOEXIST on an existing key: -EEXIST'),
      lockRun('lhash_set_locked', 0, 2, 0x77, 8, 'an unknown flag: -EINVAL'),
      user('lookup', { map: 'lhash', key: 1, flags: 'BPF_F_LOCK' }),
      user('update', { map: 'lhash', key: 3, value: locked(1000, 7, 7), flags: 'BPF_F_LOCK' }),
      lockRun('lhash_add', 1, 3, 1),
      user('delete', { map: 'lhash', key: 4 }),
      user('update', { map: 'lhash', key: 9, value: locked(1, 1, 1), flags: 'BPF_F_LOCK' }, 'BPF_F_LOCK on a missing key from user space'),
      lockRun('lhash_add', 0, 9, 1),
      user('lookup', { map: 'lhash', key: 7, flags: 'BPF_F_LOCK' }, 'ENOENT'),
    ],
  };
}

function spinlockVerify(): ScenarioDef {
  const v = (prog: string, text: string): Json => note({ op: 'verify', prog }, text);
  return {
    name: 'spinlock-verifier',
    description: 'What the verifier says about bpf_spin_lock: accepted in tc, xdp and syscall programs, refused in tracing programs (raw_tp), around a helper call, at an exit while held, and for a direct access to the lock word',
    object: elf('spinlock'),
    steps: [
      open(),
      v('larr_add', 'tc: accepted'),
      v('lock_in_xdp', 'xdp: accepted'),
      v('lock_in_syscall', 'syscall (sleepable): accepted'),
      v('lock_in_raw_tp', 'raw_tp: refused, tracing programs cannot use bpf_spin_lock'),
      v('call_under_lock', 'a helper call while holding the lock: refused'),
      v('exit_under_lock', 'an exit while holding the lock: refused'),
      v('write_lock_word', 'a store to the lock word: refused'),
      lockRun('larr_add', 0, 0, 1, 0, 'the loaded programs still run'),
    ],
  };
}

function helperVerify(): ScenarioDef {
  const v = (prog: string, text: string): Json => note({ op: 'verify', prog }, text);
  return {
    name: 'helper-verifier',
    description: 'Helpers called on maps they do not apply to, which the verifier refuses when the program loads (and the messages it gives), a NULL check left out, and a program it accepts whose helper fails at run time instead',
    object: elf('helper-refusals'),
    steps: [
      open(),
      v('lookup_queue', 'a lookup on a queue (key_size 0)'),
      v('push_hash', 'push on a hash'),
      v('percpu_lookup_array', 'lookup_percpu_elem on a plain array'),
      v('lookup_ringbuf', 'a lookup on a ring buffer'),
      v('pop_bloom', 'pop on a bloom filter'),
      v('bloom_sleepable', 'a bloom filter in a sleepable (syscall) program'),
      v('unchecked_pointer', 'a dereference without the NULL check'),
      v('delete_array', 'accepted: an array delete is refused at run time'),
      { op: 'run', prog: 'delete_array', cpu: 0, data: ['zero 14'], note: '-EINVAL' },
      { op: 'run', prog: 'delete_array', cpu: 1, data: ['zero 64'] },
    ],
  };
}

// ---- per-CPU identity, current task, time, randomness ----------------------------------------------

function cpuIds(): ScenarioDef {
  const steps: Json[] = [open()];
  const runs: [string, Json][] = [['cpu_tc', { data: ['zero 14'] }], ['cpu_xdp', { data: ['zero 14'] }], ['cpu_raw_tp', {}], ['cpu_syscall', {}]];
  for (const cpu of [0, 1, 1, 0]) {
    for (const [prog, input] of runs) steps.push({ op: 'run', prog, cpu, ...input });
  }
  steps.push(note({ op: 'run', prog: 'cpu_tc', cpu: 1, data: ['zero 14'], repeat: 7 }, 'seven runs on CPU 1'));
  steps.push(note({ op: 'run', prog: 'cpu_raw_tp', cpu: 1, repeat: 2 }, 'raw_tp takes no repeat: -EINVAL'));
  steps.push(user('lookup', { map: 'runs', key: 0 }));
  return {
    name: 'cpu-ids',
    description: 'bpf_get_smp_processor_id in tc, xdp, raw_tp and syscall programs run on CPU 0 and CPU 1 (tc, xdp and syscall run on the caller\'s pinned CPU, raw_tp is asked for the CPU): the return value, a per-CPU run count, and seen[cpu] = the program type',
    object: elf('cpu-task'),
    undumped: { last_ns: 'holds a ktime timestamp, not comparable' },
    steps,
  };
}

function taskAndTime(): ScenarioDef {
  const steps: Json[] = [open()];
  for (const cpu of [0, 1]) {
    steps.push(note({ op: 'run', prog: 'pid_tc', cpu, data: ['zero 14'] }, cpu === 0 ? '7: pid == tgid, both non-zero (the caller is single-threaded)' : undefined));
    steps.push({ op: 'run', prog: 'pid_raw_tp', cpu });
    steps.push({ op: 'run', prog: 'pid_syscall', cpu });
  }
  for (let i = 0; i < 6; i++) steps.push(note({ op: 'run', prog: 'ktime', cpu: i % 2, data: ['zero 14'] }, i === 0 ? '7: time does not go back, within a run or since the last run' : undefined));
  steps.push(note({ op: 'run', prog: 'ktime', cpu: 0, data: ['zero 14'], repeat: 20 }));
  for (const cpu of [0, 1]) steps.push(note({ op: 'run', prog: 'prandom', cpu, data: ['zero 14'] }, cpu === 0 ? 'prandom is called; its values are never compared' : undefined));
  steps.push(note({ op: 'run', prog: 'prandom', cpu: 1, data: ['zero 14'], repeat: 100 }));
  return {
    name: 'task-time-random',
    description: 'bpf_get_current_pid_tgid, bpf_ktime_get_ns and bpf_get_prandom_u32 where only properties compare: pid == tgid and non-zero for a single-threaded caller, time monotonic within a run and across runs, prandom callable (its values are never compared; the timestamps live in an undumped map)',
    object: elf('cpu-task'),
    undumped: { last_ns: 'holds a ktime timestamp, not comparable' },
    steps,
  };
}

function tracePrintk(): ScenarioDef {
  const steps: Json[] = [open('the lines themselves go to the shared trace buffer and are not compared')];
  const p = (which: number, a: number | bigint, b: number | bigint, c: number | bigint, text?: string, cpu = 0): Json =>
    ctx('printk', cpu, [u64(which), u64(a), u64(b), u64(c)], text);
  steps.push(p(0, 0, 0, 0, '"hello": 5 bytes'));
  steps.push(p(1, 42, 0, 0, '"a=42"'));
  steps.push(p(1, -7, 0, 0, '"a=-7"'));
  steps.push(p(1, 0x80000000, 0, 0, 'INT_MIN'));
  steps.push(p(2, 42, 0xffffffff, 0));
  steps.push(p(3, 0xabc, 0x123456789n, -1));
  steps.push(p(4, -1, 0x7fffffffffffffffn, 0xffffffffffffffffn));
  steps.push(p(5, 0, 0, 0, '%s of a stack string'));
  steps.push(p(6, 0x41, 0x7a, 0, '%c%c'));
  steps.push(p(7, 0, 0, 0, '%%'));
  steps.push(p(8, 42, -3, 7, 'widths and padding'));
  steps.push(p(8, 123456, -123456, -1));
  steps.push(p(9, 1, 0, 0, 'fmt_size one short: -EINVAL'));
  steps.push(p(10, 1, 0, 0, 'an unknown specifier: -EINVAL'));
  steps.push(p(11, 1, 2, 3, 'four specifiers, three arguments: -EINVAL'));
  steps.push(p(12, 0x1234, 0, 0, '%px'));
  steps.push(p(13, 0, 0, 0, 'a trailing newline counts'));
  steps.push(p(2, 0, 0, 0, undefined, 1));
  steps.push(p(99, 0, 0, 0, 'no such case: the program returns -1'));
  return {
    name: 'trace-printk',
    description: 'bpf_trace_printk\'s return value (the formatted length) for integer, string, char and pointer conversions, widths and %%, and -EINVAL for a format the helper refuses at run time (fmt_size not ending at the NUL, unknown conversions, more conversions than arguments)',
    object: elf('trace-printk'),
    steps,
  };
}

function bpfLoop(): ScenarioDef {
  const l = (nr: number, stop: number, flags: number | bigint, text?: string, cpu = 0): Json =>
    note({ op: 'run', prog: 'loop', cpu, data: ['zero 14', u32(nr), u32(stop), u64(flags)] }, text);
  return {
    name: 'bpf-loop',
    description: 'bpf_loop from a tc program: the iterations done, the callback\'s early stop, -E2BIG above 1 << 23 iterations, -EINVAL for flags; the callback\'s state (calls, sum of indexes) lands in .bss',
    object: elf('loop'),
    steps: [
      open(),
      l(0, 0, 0, 'no iterations'),
      l(1, 0, 0),
      l(10, 0, 0),
      l(10, 3, 0, 'the callback returns 1 at index 2: three calls'),
      l(10, 1, 0),
      l(10, 10, 0, 'stops at the last one anyway'),
      l(10, 11, 0),
      l(1000, 0, 0, undefined, 1),
      l(1 << 23, 0, 0, 'the most iterations allowed'),
      l((1 << 23) + 1, 0, 0, '-E2BIG, no call'),
      l(0xffffffff, 0, 0, '-E2BIG'),
      l(10, 0, 1, 'flags must be 0: -EINVAL'),
      l(10, 0, 1n << 40n, '-EINVAL'),
      l(5, 0, 0, undefined, 1),
      note({ op: 'run', prog: 'loop', cpu: 0, data: ['zero 14', u32(3), u32(0), u64(0)], repeat: 4 }, 'four runs: the last one\'s state'),
    ],
  };
}

// ---- global data -----------------------------------------------------------------------------------

function globalsScenario(): ScenarioDef {
  const g = (op: number, idx: number, v: number | bigint, text?: string, cpu = 0): Json => ctx('globals', cpu, [u32(op), u32(idx), u64(v)], text);
  return {
    name: 'global-data',
    description: 'Global data as one-element ARRAY maps: .bss and .data written by programs and by user space, .rodata and .rodata.* read by programs and frozen against user-space writes, a custom .data.* section, and a program that writes .rodata refused',
    object: elf('globals'),
    steps: [
      open('the sections as loaded: .data with its initial values, .rodata with the knobs\' defaults'),
      g(1, 0, 0, 'counter += knob (3)'),
      g(1, 0, 0),
      g(2, 0, 0, 'scale *= 2'),
      g(3, 2, 0xabcd, 'table[2] = 0xabcd'),
      g(3, 7, 0x55, 'the index is masked to 3'),
      g(4, 1, 0, 'greeting[1]'),
      g(4, 3, 0),
      g(5, 0, 0x1ff, 'custom += v & mask'),
      g(6, 0, 0, 'limits[0]'),
      g(6, 1, 0),
      g(7, 0, 0, 'big = bswap64(big)'),
      g(8, 0, 0, 'knob * 1000 + mask'),
      user('update', { map: '.data', key: 0, value: [u32(100), 'zero 4', u64(1)] }, 'user space writes .data'),
      g(2, 0, 0, 'the program sees it'),
      user('update', { map: '.bss', key: 0, value: ['zero 24'] }, 'and resets .bss'),
      g(1, 0, 0, undefined, 1),
      user('update', { map: '.rodata', key: 0, value: ['zero 24'] }, '.rodata is frozen: EPERM'),
      user('lookup', { map: '.rodata', key: 0 }),
      user('update', { map: '.rodata.limits', key: 0, value: [u32(1), u32(2)] }, 'frozen too'),
      user('update', { map: '.data.custom', key: 0, value: [u64(5)] }),
      g(5, 0, 0x10),
      user('freeze', { map: '.data.custom' }, 'user space may freeze any section'),
      user('update', { map: '.data.custom', key: 0, value: [u64(6)] }, 'then its writes fail'),
      g(5, 0, 1, 'programs still write it'),
      user('update', { map: '.bss', key: 1, value: ['zero 24'] }, 'one element only: E2BIG'),
      note({ op: 'verify', prog: 'write_rodata' }, 'a program writing .rodata: refused'),
    ],
  };
}

function globalsKnob(): ScenarioDef {
  const g = (op: number, text?: string): Json => ctx('globals', 0, [u32(op), u32(0), u64(0xffff)], text);
  return {
    name: 'global-data-knobs',
    description: 'const volatile knobs set by the loader before load, as a skeleton does (rodata->knob = 9): the program reads the values given, not the compiled-in defaults, and .rodata is frozen with them',
    object: elf('globals'),
    initial: { '.rodata': [u32(9), 'zero 4', u64(0x0f), 'hex 776f726c64000000'] },
    steps: [
      open('.rodata as set before load'),
      g(8, 'knob 9, mask 0x0f'),
      g(1, 'counter += 9'),
      g(1),
      g(5, 'custom += 0xffff & 0x0f'),
      ctx('globals', 0, [u32(4), u32(0), u64(0)], 'greeting[0] is now "w"'),
      user('update', { map: '.rodata', key: 0, value: [u32(1), 'zero 20'] }, 'frozen: EPERM'),
      user('lookup', { map: '.rodata', key: 0 }),
    ],
  };
}

// ---- value pointers, test-run contract -----------------------------------------------------------------

function valuePointers(): ScenarioDef {
  const p = (op: number, k1: number, k2: number, v: number | bigint, text?: string, cpu = 0): Json =>
    note({ op: 'run', prog: 'pointers', cpu, data: ['zero 14', u32(op), u32(k1), u32(k2), u32(0), u64(v)] }, text);
  return {
    name: 'value-pointers',
    description: 'What a value pointer is: the element itself (a second lookup returns the same pointer and sees the write), the same memory after a delete, which a preallocated hash hands to the next insert on the same CPU (the old pointer then reads the new key\'s value); an update of an existing key that installs another element (the old pointer keeps the old value); array pointers',
    object: elf('value-pointers'),
    initial: { ph: [{ key: 1, value: [u64(100)] }, { key: 2, value: [u64(200)] }] },
    steps: [
      open(),
      p(1, 1, 0, 5, 'write through the pointer: 105, and the same pointer twice (1)'),
      p(1, 3, 0, 5, 'no key 3'),
      p(4, 2, 0, 222, 'an update of an existing key swaps in another element: the old pointer still reads 200'),
      p(2, 1, 7, 777, 'delete key 1 while holding its pointer, insert key 7: the old pointer reads 777'),
      p(2, 2, 8, 888, undefined, 1),
      p(2, 7, 7, 7, 'delete 7, insert 7 again'),
      p(3, 0, 1, 50, 'two array elements'),
      p(3, 2, 2, 60, 'the same element twice: the same pointer (1)'),
      p(3, 4, 0, 1, 'past the end: NULL'),
      p(1, 8, 0, 1, undefined, 1),
      user('lookup', { map: 'ph', key: 8 }),
      user('delete', { map: 'ph', key: 8 }),
      p(2, 7, 9, 999, undefined, 1),
      p(9, 0, 0, 0, 'no such operation: -1'),
    ],
  };
}

function testRunContract(): ScenarioDef {
  const t = (prog: string, input: Json, text?: string, cpu = 0): Json => note({ op: 'run', prog, cpu, ...input }, text);
  const bytes = (n: number, first = 0): string => `hex ${Array.from({ length: n }, (_, i) => ((first + i) & 0xff).toString(16).padStart(2, '0')).join('')}`;
  return {
    name: 'test-run-contract',
    description: 'What BPF_PROG_TEST_RUN accepts per program type: tc and xdp need a packet of at least 14 bytes and give it back as written (data_out), take a repeat count, and no context alone; raw_tp takes 8-byte arguments only, no packet, no repeat; syscall takes a context (written back) and nothing else; tracepoint and kprobe programs cannot be test-run',
    object: elf('testrun'),
    steps: [
      open(),
      t('tc_len', { data: [bytes(14)] }, 'exactly the Ethernet header: the program sees 14 bytes'),
      t('tc_len', { data: [bytes(13)] }, 'shorter: -EINVAL'),
      t('tc_len', { data: [bytes(64, 1)] }, 'len 64 + byte 14; byte 15 written'),
      t('tc_len', { data: [bytes(64, 1)], repeat: 3 }),
      t('tc_len', { data: [bytes(1500, 7)] }, 'a full-size frame'),
      t('tc_len', { ctx: ['zero 8'] }, 'a context without a packet: -EINVAL'),
      t('tc_len', { data: [bytes(20)] }, undefined, 1),
      t('xdp_len', { data: [bytes(14)] }),
      t('xdp_len', { data: [bytes(13)] }, '-EINVAL'),
      t('xdp_len', { data: [bytes(100, 0x80)] }, 'byte 15 inverted'),
      t('xdp_len', { data: [bytes(100, 0x80)], repeat: 2 }, 'twice: inverted back'),
      t('xdp_len', {}, 'nothing: -EINVAL'),
      t('raw_args', { ctx: [u64(1), u64(2), u64(3)] }),
      t('raw_args', { ctx: [u64(1), u64(2)] }, 'shorter than the arguments the program reads: -EINVAL'),
      t('raw_args', { ctx: Array.from({ length: 12 }, (_, i) => u64(i)) }, 'twelve arguments: the most'),
      t('raw_args', { ctx: Array.from({ length: 13 }, (_, i) => u64(i)) }, 'thirteen: -EINVAL'),
      t('raw_args', { ctx: [u64(1), u64(2), u64(3), 'zero 4'] }, 'not a multiple of 8 bytes'),
      t('raw_args', { data: [bytes(14)] }, 'a packet: -EINVAL'),
      t('raw_args', { ctx: [u64(1), u64(2), u64(3)], repeat: 1 }, 'any repeat: -EINVAL'),
      t('raw_args', { ctx: [u64(5), u64(6), u64(7)] }, undefined, 1),
      t('sys_double', { ctx: [u32(21), u32(0)] }, 'the context comes back written'),
      t('sys_double', { ctx: [u32(21), u32(0), 'zero 8'] }, 'a longer context'),
      t('sys_double', { ctx: [u32(21)] }, 'shorter than what the program touches: -EINVAL'),
      t('sys_double', {}, 'no context: -EINVAL'),
      t('sys_double', { ctx: [u32(1), u32(0)], repeat: 2 }, 'repeat: -EINVAL'),
      t('sys_double', { data: [bytes(14)], ctx: [u32(1), u32(0)] }, 'a packet: -EINVAL'),
      t('sys_double', { ctx: [u32(0x80000000), u32(0)] }, undefined, 1),
      t('tp', { ctx: [u64(0)] }, 'a tracepoint program: not supported (524)'),
      t('tp', { data: [bytes(14)] }),
      t('kp', { ctx: [u64(0)] }, 'a kprobe program: not supported'),
    ],
  };
}

// ---- the race lab ------------------------------------------------------------------------------------

function race(name: string, prog: string, map: string, expect: 'exact' | 'racy', description: string, cpus: 'all' | number[] = 'all', size: 4 | 8 = 4): ScenarioDef {
  const step = (repeat: number, text?: string): Json => note({ op: 'race', prog, cpus, repeat, data: ['zero 64'], counter: { map, key: 0, size }, expect }, text);
  return {
    name,
    description,
    object: elf('race-lab'),
    undumped: { [map]: 'the race\'s counter: judged by the race rule (the count vs the runs), not by the dumps' },
    steps: [open(), step(1000), step(100000), step(1000000, 'a million runs on each CPU'), step(250000)],
  };
}

// ---- seeded random sequences: programs and user space interleaved ---------------------------------------

/** xorshift32: the same sequence on every run of the generator. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Every map here has u64 values. */
function randomOps(name: string, description: string, object: string, prog: string, map: string, args: (op: OpName, o: OpArgs) => string[], kind: 'tc' | 'raw_tp' | 'xdp',
  percpu: boolean, count: number, seed: number): ScenarioDef {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const steps: Json[] = [open(`${count} operations drawn from a fixed seed (${seed}): keys 1-8 on a map of fewer entries`)];
  const run = (cpu: number, op: OpName, o: OpArgs): Json => (kind === 'raw_tp' ? ctx(prog, cpu, args(op, o)) : pkt(prog, cpu, args(op, o)));
  for (let i = 0; i < count; i++) {
    const cpu = next() % 2;
    const key = 1 + (next() % 8);
    const val = next();
    const r = next() % 100;
    if (r < 30) steps.push(run(cpu, 'update', { key, val, flags: pick([ANY, ANY, NOEXIST, EXIST]) }));
    else if (r < 45) steps.push(run(cpu, 'lookup', { key }));
    else if (r < 55) steps.push(run(cpu, 'bump', { key }));
    else if (r < 65) steps.push(run(cpu, 'delete', { key }));
    else if (r < 70 && percpu) steps.push(run(cpu, 'lookupPercpu', { key, cpu: next() % 3 }));
    else if (r < 75) steps.push(user('update', { map, key, cpu, ...(percpu ? { values: [[u64(val)], [u64(val ^ 0xffff)]] } : { value: [u64(val)] }), flags: pick(['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST']) }));
    else if (r < 82) steps.push(user('lookup', { map, key, cpu }));
    else if (r < 88) steps.push(user('delete', { map, key, cpu }));
    else if (r < 92) steps.push(user('lookupAndDelete', { map, key, cpu }));
    else steps.push(run(cpu, 'updateLookup', { key, val, flags: ANY }));
  }
  return { name, description, object: elf(object), steps };
}

export function helperScenarios(): ScenarioDef[] {
  return [
    arrayHelpers(), percpuArraySlots(), percpuArrayWide(),
    hashHelpers(), hashUpdateFlags(), percpuHashInsert(), percpuHashWide(),
    lruEviction(), lruRefbit('program'), lruRefbit('user'), lruPercpu(), lruNoCommon(),
    hashNoPrealloc(false), hashNoPrealloc(true),
    queueHelpers(), stackHelpers(), bloomHelpers(),
    ringbufOutput(), ringbufReserve(), ringbufDiscard(), ringbufQuery(), ringbufFull(), ringbufTc(),
    spinlockArray(), spinlockHash(), spinlockVerify(), helperVerify(),
    cpuIds(), taskAndTime(), tracePrintk(), bpfLoop(),
    globalsScenario(), globalsKnob(), valuePointers(), testRunContract(),
    randomOps('hash-random-ops', 'A seeded random mix of program helpers (update with each flag, lookup, bump, delete) and user-space steps (update, lookup, delete, lookup-and-delete) on a 4-entry HASH, from both CPUs', 'maps-hash', 'hash_ops', 'hash', rawArgs, 'raw_tp', false, 70, 0x5eed1),
    randomOps('percpu-hash-random-ops', 'A seeded random mix of program helpers and user-space steps on a 4-entry PERCPU_HASH from both CPUs: which CPU\'s slot each write lands in, and the zeroing of the others on insert', 'maps-hash', 'phash_ops', 'phash', rawArgs, 'raw_tp', true, 70, 0x5eed2),
    randomOps('lru-hash-random-ops', 'A seeded random mix of program helpers and user-space steps on an 8-entry LRU_HASH from both CPUs: evictions, reference bits from program lookups, deletes', 'maps-lru', 'lru_ops', 'lru', a32x64, 'xdp', false, 70, 0x5eed3),
    randomOps('array-random-ops', 'A seeded random mix of program helpers and user-space steps on a 4-entry ARRAY (keys past the end included): deletes refused, updates by flag, writes through pointers', 'maps-array', 'arr_ops', 'arr', a32x64, 'tc', false, 50, 0x5eed4),
    race('race-racy', 'racy', 'racy_map', 'racy', 'The racy counter (load, add, store) run on every CPU at once through BPF_PROG_TEST_RUN: updates are lost between a load and a store on another CPU, so the count may fall short of the runs and never exceeds them'),
    race('race-racy-one-cpu', 'racy', 'racy_map', 'exact', 'The racy counter on one CPU only: nothing runs in between, so it counts every run', [1]),
    race('race-atomic', 'atomic', 'atomic_map', 'exact', 'The atomic counter (BPF_ATOMIC add) on every CPU at once: every run counted'),
    race('race-spinlock', 'spinlock', 'spin_map', 'exact', 'The bpf_spin_lock counter on every CPU at once: every run counted'),
    race('race-percpu', 'percpu', 'percpu_map', 'exact', 'The per-CPU counter on every CPU at once: each CPU counts its own runs; the sum is every run', 'all', 8),
  ];
}
