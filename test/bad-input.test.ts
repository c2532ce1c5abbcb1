// The bad-input table: every kind of wrong input a user can give, with the errno (or error class)
// and the message it must get. Kernel-level refusals carry the kernel's errno (map creation rows
// were checked with bpftool on Linux 6.18); JavaScript-level ones (wrong types) name the field.
// CLI rows run the real CLI: a non-zero exit and one line on stderr. At the end no worker thread
// may be left running.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_WRONLY, BPF_NOEXIST,
  BpfError, bpf_map_lookup_elem, bpf_map_lookup_percpu_elem, bpf_map_push_elem, bpf_map_update_elem, bpf_spin_lock,
  createMap, declareMap, struct, u32, type MapSpec,
} from '../src/index.js';
import { bpf_ringbuf_reserve } from '../src/maps/ringbuf-helpers.js';
import { setSmpProcessorId } from '../src/smp/smp.js';
import { Runtime, type RuntimeOptions, type RunOptions } from '../src/cpu/runtime.js';
import { parseScenario } from '../src/conformance/index.js';
import { parseResult } from '../src/bench/schema.js';

// The program-helper rows call helpers directly, as a handler on a CPU would: this thread plays CPU 0
// (user space, on no CPU, would be refused: test/helpers-user-space.test.ts).
setSmpProcessorId(0);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CPUS = 2;

/** What a call did: 'ok', the errno name of a BpfError, or the error's class name; and its message. */
interface Outcome { what: string; message: string }
function outcome(fn: () => unknown): Outcome {
  try {
    fn();
    return { what: 'ok', message: '' };
  } catch (e) {
    const err = e as Error;
    return { what: e instanceof BpfError ? e.errno : err.name, message: err.message };
  }
}
async function outcomeAsync(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    await fn();
    return { what: 'ok', message: '' };
  } catch (e) {
    const err = e as Error;
    return { what: e instanceof BpfError ? e.errno : err.name, message: err.message };
  }
}

type Row = [label: string, input: () => unknown, what: string, message: RegExp];

// ---- map specs ------------------------------------------------------------------------------------

const base = (over: Partial<Record<keyof MapSpec, unknown>>, type = 'array'): MapSpec =>
  ({ type, keySize: 4, valueSize: 8, maxEntries: 4, name: 'bad', ...over }) as MapSpec;
const create = (spec: unknown) => () => createMap(spec as MapSpec, { cpus: CPUS });
const without = (field: keyof MapSpec) => { const s = base({}) as unknown as Record<string, unknown>; delete s[field]; return s; };

const SPEC_ROWS: Row[] = [
  ['keySize missing', create(without('keySize')), 'EINVAL', /spec\.keySize is missing$/],
  ['keySize negative', create(base({ keySize: -4 })), 'EINVAL', /spec\.keySize must be from 0 to 4294967295 \(a u32\), got -4$/],
  ['keySize zero (array)', create(base({ keySize: 0 })), 'EINVAL', /: array maps take key_size 4 \(the u32 index\), got 0$/],
  ['keySize zero (hash)', create(base({ keySize: 0 }, 'hash')), 'EINVAL', /: hash maps need a key: key_size must be at least 1, got 0$/],
  ['keySize not an integer', create(base({ keySize: 4.5 })), 'EINVAL', /spec\.keySize must be an integer, got 4\.5$/],
  ['keySize too large for a u32', create(base({ keySize: 2 ** 32 })), 'EINVAL', /spec\.keySize must be from 0 to 4294967295/],
  ['keySize a string', create(base({ keySize: '4' })), 'EINVAL', /spec\.keySize must be an integer, got "4"$/],
  ['keySize NaN (printed as given, not as JSON null)', create(base({ keySize: NaN })), 'EINVAL', /spec\.keySize must be an integer, got NaN$/],
  ['maxEntries Infinity', create(base({ maxEntries: Infinity })), 'EINVAL', /spec\.maxEntries must be an integer, got Infinity$/],
  ['keySize 8 on an array', create(base({ keySize: 8 })), 'EINVAL', /: array maps take key_size 4 \(the u32 index\), got 8$/],
  ['keySize 4 on a queue', create(base({ keySize: 4 }, 'queue')), 'EINVAL', /queue maps need key_size 0, value_size > 0, max_entries > 0/],
  ['valueSize missing', create(without('valueSize')), 'EINVAL', /spec\.valueSize is missing$/],
  ['valueSize negative', create(base({ valueSize: -8 })), 'EINVAL', /spec\.valueSize must be from 0 to 4294967295 \(a u32\), got -8$/],
  ['valueSize zero', create(base({ valueSize: 0 })), 'EINVAL', /: value_size must be at least 1, got 0$/],
  ['valueSize not an integer', create(base({ valueSize: 1.5 })), 'EINVAL', /spec\.valueSize must be an integer, got 1\.5$/],
  ['valueSize too large for a u32', create(base({ valueSize: 2 ** 40 })), 'EINVAL', /spec\.valueSize must be from 0 to 4294967295/],
  ['valueSize an array', create(base({ valueSize: [8] })), 'EINVAL', /spec\.valueSize must be an integer, got \[8\]$/],
  ['valueSize past 32 KiB on a per-CPU array', create(base({ valueSize: 32769 }, 'percpu_array')), 'E2BIG', /per-CPU values are limited to 32768 bytes/],
  ['valueSize 4 MiB on a hash', create(base({ valueSize: 4 * 1024 * 1024 }, 'hash')), 'E2BIG', /too large for this map type/],
  ['maxEntries missing', create(without('maxEntries')), 'EINVAL', /spec\.maxEntries is missing$/],
  ['maxEntries negative', create(base({ maxEntries: -1 })), 'EINVAL', /spec\.maxEntries must be from 0 to 4294967295 \(a u32\), got -1$/],
  ['maxEntries zero', create(base({ maxEntries: 0 })), 'EINVAL', /: max_entries must be at least 1, got 0$/],
  ['maxEntries zero (hash)', create(base({ maxEntries: 0 }, 'hash')), 'EINVAL', /: max_entries must be at least 1, got 0$/],
  ['maxEntries not an integer', create(base({ maxEntries: 2.5 })), 'EINVAL', /spec\.maxEntries must be an integer, got 2\.5$/],
  ['maxEntries too large for a u32', create(base({ maxEntries: 2 ** 32 })), 'EINVAL', /spec\.maxEntries must be from 0 to 4294967295/],
  ['maxEntries a string', create(base({ maxEntries: 'ten' })), 'EINVAL', /spec\.maxEntries must be an integer, got "ten"$/],
  ['maxEntries u32 max on an array (too much memory)', create(base({ maxEntries: 0xffffffff })), 'ENOMEM', /too large to allocate/],
  ['flags with an unknown bit', create(base({ flags: 1 << 20 })), 'EINVAL', /: the kernel refuses map_flags 0x100000 \(an unknown bit, 0x100000\) for array maps$/],
  ['flags negative', create(base({ flags: -1 })), 'EINVAL', /spec\.flags must be from 0 to 4294967295 \(a u32\), got -1$/],
  ['flags not an integer', create(base({ flags: 0.5 })), 'EINVAL', /spec\.flags must be an integer, got 0\.5$/],
  ['flags a string', create(base({ flags: 'BPF_F_NO_PREALLOC' })), 'EINVAL', /spec\.flags must be an integer, got "BPF_F_NO_PREALLOC"$/],
  ['flags RDONLY and WRONLY together', create(base({ flags: BPF_F_RDONLY | BPF_F_WRONLY })), 'EINVAL', /: BPF_F_RDONLY and BPF_F_WRONLY together leave user space no access; give one of them \(or neither\)$/],
  ['flags NO_PREALLOC on an array', create(base({ flags: BPF_F_NO_PREALLOC })), 'EINVAL', /: the kernel refuses map_flags 0x1 \(BPF_F_NO_PREALLOC\) for array maps$/],
  ['flags MMAPABLE on a per-CPU array', create(base({ flags: BPF_F_MMAPABLE }, 'percpu_array')), 'EINVAL', /: the kernel refuses map_flags 0x400 \(BPF_F_MMAPABLE\) for percpu_array maps$/],
  ['flags NO_COMMON_LRU on a hash', create(base({ flags: BPF_F_NO_COMMON_LRU }, 'hash')), 'EINVAL', /: the kernel refuses map_flags 0x2 \(BPF_F_NO_COMMON_LRU\) for hash maps$/],
  ['mapExtra on an array', create(base({ mapExtra: 1 })), 'EINVAL', /: map_extra is for bloom filters \(the number of hash functions\); leave it 0 for array maps, got 1$/],
  ['mapExtra negative', create(base({ mapExtra: -1 })), 'EINVAL', /spec\.mapExtra must be from 0 to 4294967295/],
  ['type unknown name', create(base({ type: 'hashmap' })), 'EINVAL', /spec\.type 'hashmap' is not a map type; use one of hash, array,/],
  ['type unknown number', create(base({ type: 99 })), 'EINVAL', /map type 99 is not supported; use one of hash \(1\), array \(2\)/],
  ['type negative number', create(base({ type: -1 })), 'EINVAL', /spec\.type must be a map type name or a BPF_MAP_TYPE_\* number, got -1$/],
  ['type null', create(base({ type: null })), 'EINVAL', /spec\.type must be a map type name or a BPF_MAP_TYPE_\* number, got null$/],
  ['type an object', create(base({ type: {} })), 'EINVAL', /spec\.type must be a map type name or a BPF_MAP_TYPE_\* number, got \{\}$/],
  ['type missing', create(without('type')), 'EINVAL', /spec\.type must be a map type name or a BPF_MAP_TYPE_\* number, got undefined$/],
  ['name of 16 characters', create(base({ name: 'sixteen_chars_xx' })), 'EINVAL', /: the name 'sixteen_chars_xx' has 16 characters; the kernel takes at most 15 \(BPF_OBJ_NAME_LEN - 1\)$/],
  ['name with a space', create(base({ name: 'bad name' })), 'EINVAL', /: the name 'bad name' has a character the kernel refuses \(' '\); use letters, digits, '_' and '\.'$/],
  ['name a number', create(base({ name: 5 })), 'EINVAL', /spec\.name must be a string, got number$/],
  ['spec null', create(null), 'EINVAL', /spec\. must be an object \{ type, keySize, valueSize, maxEntries \}$/],
  ['slabAlign 3', create(base({ slabAlign: 3 }, 'percpu_array')), 'EINVAL', /spec\.slabAlign must be 8, 64, 128 or 256, got 3$/],
  ['a lock in a per-CPU value', create({ ...base({ valueSize: 8 }, 'percpu_array'), value: struct({ a: u32, lock: bpf_spin_lock }) }), 'EOPNOTSUPP', /a bpf_spin_lock is allowed only in hash and array map values/],
  ['a layout larger than valueSize', create({ ...base({ valueSize: 4 }), value: struct({ a: u32, b: u32 }) }), 'EINVAL', /: the value layout is 8 bytes but valueSize is 4; the kernel would accept the spec, the layout does not describe it: give valueSize: layout\.size \(8\), or a layout of 4 bytes$/],
  ['a layout smaller than valueSize', create({ ...base({ valueSize: 8 }), value: struct({ a: u32 }) }), 'EINVAL', /: the value layout is 4 bytes but valueSize is 8; .*give valueSize: layout\.size \(4\), or a layout of 8 bytes$/],
  ['cpus 0', () => createMap(base({}), { cpus: 0 }), 'RangeError', /^cpus must be an integer from 1 to 1024, got 0$/],
];

// ---- the user-space face: keys, values, flags ----------------------------------------------------

const arr = () => createMap(base({}), { cpus: CPUS });
const hash = () => createMap(base({}, 'hash'), { cpus: CPUS });
const pcpu = () => createMap(base({}, 'percpu_array'), { cpus: CPUS });
const queue = () => createMap(base({ keySize: 0 }, 'queue'), { cpus: CPUS });
const bytes = (n: number) => new Uint8Array(n);

const USER_ROWS: Row[] = [
  ['lookup with a 3-byte key', () => arr().lookup(bytes(3)), 'EINVAL', /the key must be a Uint8Array of exactly key_size = 4 bytes$/],
  ['lookup with a 5-byte key', () => hash().lookup(bytes(5)), 'EINVAL', /exactly key_size = 4 bytes$/],
  ['lookup with a negative number key', () => arr().lookup(-1), 'EINVAL', /a number key must be a non-negative integer that fits in 4 bytes$/],
  ['lookup with a number key past u32', () => arr().lookup(2 ** 32), 'EINVAL', /fits in 4 bytes$/],
  ['lookup with a fractional number key', () => arr().lookup(1.5), 'EINVAL', /fits in 4 bytes$/],
  ['lookup with a string key', () => arr().lookup('1' as unknown as number), 'EINVAL', /exactly key_size = 4 bytes$/],
  ['lookup with a number key on a 16-byte key', () => createMap(base({ keySize: 16 }, 'hash'), { cpus: CPUS }).lookup(1), 'EINVAL', /number keys work for 4- and 8-byte keys only/],
  ['lookup with a null key (array)', () => arr().lookup(null), 'EFAULT', /the key is missing: pass 4 bytes$/],
  ['lookup with a null key (hash)', () => hash().lookup(null), 'EFAULT', /the key is missing/],
  ['delete with a null key (hash)', () => hash().delete(null), 'EFAULT', /the key is missing/],
  ['update with a null key (array)', () => arr().update(null, bytes(8)), 'EFAULT', /the key is missing/],
  ['push to a queue with a key', () => queue().update(1, bytes(8)), 'EINVAL', /a queue map has no keys: pass null as the key$/],
  ['update with a 7-byte value', () => arr().update(0, bytes(7)), 'EINVAL', /the value must be a Uint8Array of exactly value_size = 8 bytes$/],
  ['update with a 9-byte value', () => hash().update(0, bytes(9)), 'EINVAL', /exactly value_size = 8 bytes$/],
  ['update a per-CPU map with one CPU\'s value', () => pcpu().update(0, bytes(8)), 'EINVAL', /a per-CPU value crosses the API as cpus x round_up\(value_size, 8\) = 2 x 8 = 16 bytes$/],
  ['update with a number as the value', () => arr().update(0, 5 as unknown as Uint8Array), 'EINVAL', /exactly value_size = 8 bytes$/],
  ['lookup with flags 1', () => arr().lookup(0, 1), 'EINVAL', /lookups take 0 or BPF_F_LOCK/],
  ['lookup with BPF_F_LOCK and no lock in the value', () => arr().lookup(0, BPF_F_LOCK), 'EINVAL', /BPF_F_LOCK needs a value layout with a bpf_spin_lock field/],
  ['update with an unknown flag (8)', () => arr().update(0, bytes(8), 8), 'EINVAL', /use BPF_ANY \(0\), BPF_NOEXIST \(1\) or BPF_EXIST \(2\)/],
  ['update with flags -1', () => arr().update(0, bytes(8), -1), 'EINVAL', /the flags are not valid for this operation/],
  ['update with flags 0.5', () => hash().update(0, bytes(8), 0.5), 'EINVAL', /the flags are not valid for this operation/],
  ['update an array with BPF_NOEXIST', () => arr().update(0, bytes(8), BPF_NOEXIST), 'EEXIST', /every array element always exists/],
  ['update an array past max_entries', () => arr().update(4, bytes(8)), 'E2BIG', /the index is not below max_entries \(4\)$/],
  ['update a hash with BPF_EXIST on a missing key', () => hash().update(1, bytes(8), BPF_EXIST), 'ENOENT', /BPF_EXIST was given/],
  ['delete from an array', () => arr().delete(0), 'EINVAL', /array elements cannot be deleted/],
  ['lookup an array index past max_entries', () => arr().lookup(4), 'ENOENT', /the index is not below max_entries \(4\)$/],
  ['lookup a missing hash key', () => hash().lookup(3), 'ENOENT', /no element has this key/],
  ['lookup-and-delete on an array', () => arr().lookupAndDelete(0), 'ENOTSUPP', /do not support this operation/],
  ['get_next_key with a 2-byte key', () => hash().getNextKey(bytes(2)), 'EINVAL', /exactly key_size = 4 bytes$/],
  ['update a frozen map', () => { const m = arr(); m.freeze(); m.update(0, bytes(8), BPF_ANY); }, 'EPERM', /read-only from user space/],
  ['freeze a map whose value holds a lock', () => createMap({ ...base({}), value: struct({ a: u32, lock: bpf_spin_lock }) }, { cpus: CPUS }).freeze(), 'ENOTSUPP', /cannot be frozen/],
  ['lookup on a declared map never created', () => declareMap(base({})).lookup(0), 'Error', /the map is declared but not created; load its program first$/],
];

// ---- the program face ------------------------------------------------------------------------------

const PROGRAM_ROWS: Row[] = [
  ['bpf_map_lookup_elem with a 2-byte key', () => bpf_map_lookup_elem(arr(), bytes(2)), 'EINVAL', /the key is 2 bytes but key_size is 4; pass 4 bytes or a non-negative integer \(the verifier would reject this program\)$/],
  ['bpf_map_lookup_elem with a negative key', () => bpf_map_lookup_elem(hash(), -3), 'EINVAL', /the key is the number -3 but key_size is 4/],
  ['bpf_map_lookup_elem with a null key', () => bpf_map_lookup_elem(hash(), null as unknown as number), 'EINVAL', /the key is null but key_size is 4/],
  ['bpf_map_update_elem with a 4-byte value', () => bpf_map_update_elem(arr(), 0, bytes(4), BPF_ANY), 'EINVAL', /the value is 4 bytes but value_size is 8 \(the verifier would reject this program\)$/],
  ['bpf_map_update_elem with unknown flags returns -EINVAL', () => { const r = bpf_map_update_elem(hash(), 0, bytes(8), 7); if (r !== -22) throw new Error(`returned ${r}`); throw new BpfError('bad', 'bpf_map_update_elem', r, 'returned'); }, 'EINVAL', /returned$/],
  ['bpf_map_push_elem on an array', () => bpf_map_push_elem(arr(), bytes(8), 0), 'EINVAL', /bpf_map_push_elem works on queue and stack and bloom filter maps only, not on array maps/],
  ['bpf_map_lookup_percpu_elem on an array', () => bpf_map_lookup_percpu_elem(arr(), 0, 0), 'EINVAL', /only per-CPU maps have per-CPU slots/],
  ['bpf_ringbuf_reserve on an array', () => bpf_ringbuf_reserve(arr(), 8, 0), 'EINVAL', /works on ring buffer maps only, not on array maps/],
  ['bpf_map_lookup_elem on a map never created', () => bpf_map_lookup_elem(declareMap(base({ name: 'hidden' })), 0), 'Error', /the map was never created; list it in the program's maps/],
];

describe.each([
  ['map specs', SPEC_ROWS],
  ['the user-space face', USER_ROWS],
  ['the program face', PROGRAM_ROWS],
] as const)('bad input: %s', (_group, rows) => {
  it.each(rows)('%s', (_label, input, what, message) => {
    const o = outcome(input);
    expect(o.what).toBe(what);
    expect(o.message).toMatch(message);
  });
});

// ---- runtime options, runs and program modules -------------------------------------------------------

const start = (o: unknown) => () => Runtime.start({ onWarning: () => {}, ...(o as RuntimeOptions) }).then((rt) => rt.close());
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

const START_ROWS: [string, () => Promise<unknown>, string, RegExp][] = [
  ['cpus 0', start({ cpus: 0 }), 'RangeError', /^cpus must be an integer from 1 to 1024, got 0$/],
  ['cpus -1', start({ cpus: -1 }), 'RangeError', /got -1$/],
  ['cpus 1.5', start({ cpus: 1.5 }), 'RangeError', /got 1\.5$/],
  ['cpus 1025', start({ cpus: 1025 }), 'RangeError', /got 1025$/],
  ['cpus a string', start({ cpus: '2' }), 'RangeError', /got 2$/],
  ['spinLock unknown', start({ cpus: 1, spinLock: 'fast' }), 'RangeError', /^spinLock must be 'adaptive' or 'spin', got fast$/],
  ['lockTimeoutMs 0', start({ cpus: 1, lockTimeoutMs: 0 }), 'RangeError', /^lockTimeoutMs must be a positive number of milliseconds, got 0$/],
  ['lockTimeoutMs negative', start({ cpus: 1, lockTimeoutMs: -5 }), 'RangeError', /got -5$/],
  ['stopTimeoutMs a string', start({ cpus: 1, stopTimeoutMs: '1s' }), 'RangeError', /^stopTimeoutMs must be a positive number of milliseconds, got 1s$/],
];

describe('bad input: runtime options', () => {
  it.each(START_ROWS)('%s', async (_label, input, what, message) => {
    const o = await outcomeAsync(input);
    expect([o.what, o.message]).toEqual([what, expect.stringMatching(message)]);
  });
});

describe('bad input: runs and program modules', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.start({ cpus: CPUS, onWarning: () => {} });
    await rt.load(fixture('cpu-ids.ts'));
  });
  afterAll(async () => { await rt.close(); });

  const run = (o: unknown) => () => rt.run(o as RunOptions);
  const load = (name: string) => () => rt.load(fixture(name));
  const ROWS: [string, () => Promise<unknown>, string, RegExp][] = [
    ['events -1', run({ probe: 'kprobe/test', events: -1 }), 'RunError', /^events must be an integer from 0 to 8589934590, got -1$/],
    ['events 1.5', run({ probe: 'kprobe/test', events: 1.5 }), 'RunError', /got 1\.5$/],
    ['events a string', run({ probe: 'kprobe/test', events: '10' }), 'RunError', /got 10$/],
    ['events missing', run({ probe: 'kprobe/test' }), 'RunError', /got undefined$/],
    ['perCpu of the wrong length', run({ probe: 'kprobe/test', perCpu: [1] }), 'RunError', /^perCpu must list 2 event counts/],
    ['perCpu with a negative count', run({ probe: 'kprobe/test', perCpu: [1, -1] }), 'RunError', /^perCpu must list 2 event counts/],
    ['an unknown probe', run({ probe: 'kprobe/nope', events: 1 }), 'RunError', /^no loaded program attaches to probe 'kprobe\/nope'; attached probes: kprobe\/test$/],
    ['source.pids 0', run({ probe: 'kprobe/test', events: 1, source: { pids: 0 } }), 'RunError', /^source\.pids must be a positive integer, got 0$/],
    ['a module with no handlers', load('bad/no-handlers.ts'), 'ProgramLoadError', /no handlers; attach at least one, e\.g\. handlers: \{ 'kprobe\/sys_clone'/],
    ['a handler that is not a function', load('bad/handler-not-function.ts'), 'ProgramLoadError', /the handler for 'kprobe\/sys_clone' is not a function$/],
    ['an async handler', load('bad/async-handler.ts'), 'ProgramLoadError', /the handler for 'kprobe\/sys_clone' is an async function; a BPF program runs to its end in one go and cannot wait: make it a plain function/],
    ['a probe name without a program type', load('bad/bad-probe.ts'), 'ProgramLoadError', /'sys_clone' is not a probe name; use a program type and attach point/],
    ['a maps entry that is not a map', load('bad/not-a-map.ts'), 'ProgramLoadError', /maps\.counter is not a map; declare it with declareMap/],
    ['a module without a default export', load('no-default.ts'), 'ProgramLoadError', /the module's default export is not a program; end it with 'export default defineProgram/],
    ['a module that does not exist', load('bad/missing.ts'), 'ProgramLoadError', /^cannot load file:.*bad\/missing\.ts: /],
    ['a handler using a map the program does not list', async () => {
      const p = await rt.load(fixture('bad/undeclared-map.ts'));
      try { await rt.run({ probe: 'kprobe/x', events: 2 }); } finally { await p.unload(); }
    }, 'HandlerError', /bpf_map_lookup_elem on map 'hidden': the map was never created; list it in the program's maps/],
  ];
  it.each(ROWS)('%s', async (_label, input, what, message) => {
    const o = await outcomeAsync(input);
    expect([o.what, o.message]).toEqual([what, expect.stringMatching(message)]);
  });
});

// ---- scenario and baseline files ---------------------------------------------------------------------

const scenario = (steps: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ description: 'bad input', steps, ...extra });
const create1 = { op: 'create', map: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 } };
const FILE_ROWS: Row[] = [
  ['scenario: not JSON', () => parseScenario('s.json', '{ steps: [ }'), 'ScenarioError', /^s\.json: file: not valid JSON/],
  ['scenario: an array at the top', () => parseScenario('s.json', '[]'), 'ScenarioError', /^s\.json: file: must be a JSON object \{ "description", "steps" \}$/],
  ['scenario: no description', () => parseScenario('s.json', JSON.stringify({ steps: [create1] })), 'ScenarioError', /field 'description': must be a non-empty string/],
  ['scenario: no steps', () => parseScenario('s.json', scenario([])), 'ScenarioError', /field 'steps': must be a non-empty array of steps$/],
  ['scenario: an unknown top-level field', () => parseScenario('s.json', scenario([create1], { author: 'x' })), 'ScenarioError', /field 'author': unknown field/],
  ['scenario: an unknown op', () => parseScenario('s.json', scenario([create1, { op: 'upsert', key: 0 }])), 'ScenarioError', /^s\.json: step 2, field 'op': must be one of create, update,/],
  ['scenario: an update before any create', () => parseScenario('s.json', scenario([{ op: 'update', key: 0, value: '00000000' }])), 'ScenarioError', /step 1, field 'op': a update step needs a create step before it$/],
  ['scenario: an unknown map type', () => parseScenario('s.json', scenario([{ op: 'create', map: { ...create1.map, type: 'hashmap' } }])), 'ScenarioError', /step 1, field 'map\.type': must be one of/],
  ['scenario: a negative key size', () => parseScenario('s.json', scenario([{ op: 'create', map: { ...create1.map, keySize: -4 } }])), 'ScenarioError', /field 'map\.keySize': must be an integer from 0 to 4294967295, got -4$/],
  ['scenario: a key of the wrong length', () => parseScenario('s.json', scenario([create1, { op: 'lookup', key: '0000' }])), 'ScenarioError', /step 2, field 'key': must be key_size = 4 bytes, got 2$/],
  ['scenario: a value that is not hex', () => parseScenario('s.json', scenario([create1, { op: 'update', key: 0, value: 'zz' }])), 'ScenarioError', /step 2, field 'value': must be lower-case hex/],
  ['scenario: a negative CPU', () => parseScenario('s.json', scenario([create1, { op: 'lookup', key: 0, cpu: -1 }])), 'ScenarioError', /field 'cpu': must be a CPU number from 0 to 4095, got -1$/],
  ['scenario: a misaligned lock offset', () => parseScenario('s.json', scenario([{ op: 'create', map: { ...create1.map, lockOffset: 2 } }])), 'ScenarioError', /field 'map\.lockOffset': must be a multiple of 4/],
  ['baseline: not JSON', () => parseResult('b.json', 'not json'), 'ResultFileError', /^b\.json is not JSON: /],
  ['baseline: an empty object', () => parseResult('b.json', '{}'), 'ResultFileError', /^b\.json is not a percpu-maps bench result .*is required/],
  ['baseline: a scenario file instead', () => parseResult('b.json', scenario([create1])), 'ResultFileError', /^b\.json is not a percpu-maps bench result/],
];

describe('bad input: scenario and baseline files', () => {
  it.each(FILE_ROWS)('%s', (_label, input, what, message) => {
    const o = outcome(input);
    expect([o.what, o.message]).toEqual([what, expect.stringMatching(message)]);
  });
});

// ---- the command line ------------------------------------------------------------------------------

interface CliOutcome { code: number | null; stdout: string; stderr: string }
function cli(args: string[]): Promise<CliOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'percpu-bad-'));
const runObject = join(ROOT, 'test', 'objects', 'run.bpf.o');
const badBaseline = join(dir, 'baseline.json');
writeFileSync(badBaseline, '{"format": "something else"}');

const CLI_ROWS: [string, string[], number, RegExp][] = [
  ['an unknown command', ['frobnicate'], 2, /^percpu-maps: unknown command 'frobnicate'; commands: race, workload, conformance, demo, bench/],
  ['race --cpus 0', ['race', '--cpus', '0'], 2, /^percpu-maps race: --cpus must be an integer from 1 to 1,024, got '0' \(see 'percpu-maps race --help'\)$/],
  ['race --cpus -2', ['race', '--cpus', '-2'], 2, /^percpu-maps race: --cpus must be an integer from 1 to 1,024, got '-2'/],
  ['race --cpus two', ['race', '--cpus', 'two'], 2, /got 'two'/],
  ['race --cpus 1.5', ['race', '--cpus', '1.5'], 2, /got '1\.5'/],
  ['race --events -1', ['race', '--events', '-1'], 2, /^percpu-maps race: --events must be an integer from 1 to 4,294,967,295, got '-1'/],
  ['race --events 0', ['race', '--events', '0'], 2, /--events must be an integer from 1 to 4,294,967,295, got '0'/],
  ['race --events 1e99', ['race', '--events', '1e99'], 2, /got '1e99'/],
  ['race --strategy nope', ['race', '--strategy', 'nope'], 2, /^percpu-maps race: --strategy: unknown 'nope'; choose from racy, atomic, spinlock, percpu/],
  ['race --bogus', ['race', '--bogus'], 2, /^percpu-maps race: unknown option '--bogus'/],
  ['race --cpus without a value', ['race', '--cpus'], 2, /^percpu-maps race: .*--cpus/],
  ['race with a stray word', ['race', 'fast'], 2, /^percpu-maps race: .*'fast'/],
  ['workload without a name', ['workload'], 2, /^percpu-maps workload: name a workload: histogram/],
  ['workload nope', ['workload', 'nope'], 2, /^percpu-maps workload: unknown workload 'nope'/],
  ['workload histogram --events -1', ['workload', 'histogram', '--events', '-1'], 2, /--events must be an integer from 1/],
  ['demo without a name', ['demo'], 2, /^percpu-maps demo: name a demo: use-after-delete, verifier/],
  ['demo nope', ['demo', 'nope'], 2, /^percpu-maps demo: unknown demo 'nope'; choose from use-after-delete, verifier/],
  ['conformance with a missing scenario', ['conformance', 'no-such-scenario'], 2, /^percpu-maps conformance: .*no-such-scenario/],
  ['bench --compare with a malformed baseline', ['bench', '--compare', badBaseline], 1, /is not a percpu-maps bench result/],
  ['race --object --verifier', ['race', '--object', '--verifier'], 2, /^percpu-maps race: --verifier checks the TypeScript programs; the C objects of --object go to the kernel's own verifier/],
  ['demo verifier --events 5', ['demo', 'verifier', '--events', '5'], 2, /^percpu-maps demo: --cpus and --events are options of the seed demo, not of verifier/],
  ['run without an object', ['run'], 2, /^percpu-maps run: name the object to run: percpu-maps run prog\.bpf\.o \(see 'percpu-maps run --help'\)$/],
  ['run with two objects', ['run', 'a.o', 'b.o'], 2, /^percpu-maps run: one object at a time, got a\.o b\.o/],
  ['run a missing file', ['run', '/nonexistent/x.bpf.o'], 1, /^percpu-maps run: ProgramLoadError: cannot load \/nonexistent\/x\.bpf\.o: /],
  ['run a file that is not an object', ['run', badBaseline], 1, /^percpu-maps run: ProgramLoadError: cannot load .*baseline\.json: object 'baseline': not an ELF file/],
  ['run --data that is not hex', ['run', runObject, '--data', 'zz'], 2, /^percpu-maps run: --data must be hex bytes \(e\.g\. 00112233\.\.\.\) or @FILE, got 'zz'/],
  ['run --data @ a missing file', ['run', runObject, '--data', '@/nonexistent'], 2, /^percpu-maps run: --data: cannot read \/nonexistent: ENOENT/],
  ['run --on-cpu past the CPUs', ['run', runObject, '--cpus', '2', '--on-cpu', '2'], 2, /^percpu-maps run: --on-cpu must be an integer from 0 to 1, got '2'/],
  ['run --global without a value', ['run', runObject, '--global', 'loops'], 2, /^percpu-maps run: --global takes NAME=INTEGER \(e\.g\. --global trace=1\), got 'loops'/],
  ['run --global of no variable', ['run', runObject, '--global', 'nosuch=1'], 1, /^percpu-maps run: ProgramLoadError: object 'run': globals names 'nosuch', which is not one of its global variables \(hits, loops\)$/],
  ['run an object of several sections without --probe', ['run', runObject], 2, /^percpu-maps run: run has programs in 8 sections; choose one with --probe: tc, xdp, /],
  ['run --probe of no section', ['run', runObject, '--probe', 'kprobe/nope'], 2, /^percpu-maps run: --probe 'kprobe\/nope' is not a section of run; its programs' sections: tc, /],
  ['run tc with a short packet', ['run', runObject, '--probe', 'tc', '--data', '0011'], 1, /^percpu-maps run: RunError: probe 'tc': data is 2 bytes; a packet needs at least 14/],
  ['run a program that faults', ['run', runObject, '--probe', 'kprobe/oob', '--cpus', '1'], 1, /^percpu-maps run: ProgramFaultError: program 'oob' \(kprobe\/oob\) stopped on CPU 0 at event 0, instruction 15 \(\.\/run\.bpf\.c:111: /],
];

describe('bad input: the command line', () => {
  const results = new Map<string, CliOutcome>();
  beforeAll(async () => {
    // Four children at a time: each is a node process with tsx.
    const queue = [...CLI_ROWS];
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (let row = queue.shift(); row; row = queue.shift()) results.set(row[0], await cli(row[1]));
    }));
  }, 120_000);

  it.each(CLI_ROWS)('%s', (label, _args, code, message) => {
    const r = results.get(label)!;
    expect(r.code).toBe(code);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  });
});

// ---- nothing left running ----------------------------------------------------------------------------

function threads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

describe('after every bad input', () => {
  it('no worker thread is left running in this process', async () => {
    // The runtimes above are closed; their threads take a moment to exit. Compare with a runtime's own count.
    const rt = await Runtime.start({ cpus: CPUS, onWarning: () => {} });
    const withWorkers = threads();
    await rt.close();
    let now = threads();
    for (let i = 0; i < 100 && now > withWorkers - CPUS; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = threads();
    }
    expect(withWorkers - now).toBeGreaterThanOrEqual(CPUS);
    expect(now).toBeLessThanOrEqual(baseline);
  });
});

// libuv starts its thread pool on first use: start it now, so the baseline counts it.
await stat(ROOT);
const baseline = threads();
